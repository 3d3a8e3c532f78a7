/*
 * exitcode: checks that the exit status and both output streams reach the
 * host intact.  Prints one line to stdout and one to stderr, then exits with
 * the status given as argv[1] (default 3).  Uses exit(), so stdio buffers are
 * flushed by libc's atexit machinery before exit_group.
 *
 * Usage: exitcode [STATUS]
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 3;

    printf("exitcode: stdout, exiting with %d\n", status);
    fprintf(stderr, "exitcode: stderr, exiting with %d\n", status);
    exit(status);
}
