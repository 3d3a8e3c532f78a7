/*
 * abort: dies of SIGABRT (shell exit status 134).  abort() in glibc raises
 * the signal with the default action restored, so this exercises
 * rt_sigprocmask, tgkill/raise and death-by-signal reporting.  The line is
 * flushed first because abort() does not flush stdio.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("abort: calling abort()\n");
    fflush(stdout);
    abort();
}
