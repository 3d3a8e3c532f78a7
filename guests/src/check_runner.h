/*
 * Independent checks in one guest (fileio, mm): a failing check prints
 * "FAIL <check>: <detail> (errno N <text>)", abandons the rest of its
 * function and the run resumes with the next check, so one broken feature
 * does not hide the results of the others.  main() reports `failures`.
 *
 * Everything is static so that each guest stays one translation unit.
 */
#ifndef CHECK_RUNNER_H
#define CHECK_RUNNER_H

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

static int failures;
static jmp_buf next_check;

static void ok(const char *check)
{
    printf("ok %s\n", check);
}

static void fail(const char *check, const char *detail)
{
    printf("FAIL %s: %s (errno %d %s)\n", check, detail, errno,
           strerror(errno));
    fflush(stdout);
    failures++;
    longjmp(next_check, 1);
}

/* Runs one check; a fail() inside it comes back here. */
static void run(void (*check)(void))
{
    if (setjmp(next_check) == 0)
        check();
}

#endif
