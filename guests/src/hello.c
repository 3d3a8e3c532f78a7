/*
 * hello: the smallest useful guest.  Exercises process start-up (argc/argv
 * and envp on the initial stack, as laid out by the loader), stdio through
 * write(2), and a clean exit(0).
 *
 * Usage: hello [ARGS...]
 * Echoes every argv[i] with its index.  If FAULTLINE_GREETING is set in the
 * environment its value is printed too; when unset a fixed line says so, so
 * the output never depends on the host's environment otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    printf("hello, world\n");
    printf("argc=%d\n", argc);
    /* argv[0] is the path the loader was given, which differs between
     * runners; print only its presence, not its value. */
    printf("argv[0] %s\n", argv[0] && argv[0][0] ? "present" : "missing");
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    if (argv[argc] != NULL) {
        printf("FAIL argv not NULL-terminated\n");
        return 1;
    }

    const char *greeting = getenv("FAULTLINE_GREETING");
    if (greeting)
        printf("FAULTLINE_GREETING=%s\n", greeting);
    else
        printf("FAULTLINE_GREETING unset\n");
    return 0;
}
