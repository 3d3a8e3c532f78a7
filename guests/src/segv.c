/*
 * segv: dies of SIGSEGV (shell exit status 139) by storing to a page that is
 * mapped but read-only.  This is a permission fault, not an unmapped access,
 * so it tests that the emulator honours mprotect(PROT_READ) and reports the
 * fault as a signal death rather than silently writing.
 *
 * Prints a line (flushed, since the process dies without running atexit)
 * before the faulting store; anything printed after it means the store
 * succeeded, which is a failure.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("FAIL mmap");
        return 1;
    }
    p[0] = 1; /* populate the page so the fault is a protection fault */
    if (mprotect(p, page, PROT_READ) != 0) {
        perror("FAIL mprotect");
        return 1;
    }

    printf("segv: writing to a read-only page\n");
    fflush(stdout);

    /* volatile: the compiler must emit the store. */
    *(volatile char *)p = 2;

    printf("FAIL store to read-only page did not fault\n");
    return 1;
}
