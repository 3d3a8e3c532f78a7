/*
 * mapmany: many small mappings, timed, and vm.max_map_count.
 *
 * Usage: mapmany N          make N one-page anonymous mappings that cannot merge
 *                           (neighbours alternate PROT_READ and PROT_READ|WRITE),
 *                           then unmap them, timing each phase; prints
 *                           "mapmany: mapped N ..." or, when mmap fails with
 *                           ENOMEM first, "mapmany: ENOMEM after K mappings"
 *        mapmany N split    as above, then (at the limit) try to split a
 *                           three-page mapping with munmap and with mprotect
 *                           of its middle page, and print each result
 *
 * Exits 1 with "mapmany: FAIL ..." on any other failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096L

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void fail(const char *what)
{
    printf("mapmany: FAIL %s (errno %d)\n", what, errno);
    exit(1);
}

static const char *result(int r)
{
    if (r == 0)
        return "ok";
    return errno == ENOMEM ? "ENOMEM" : strerror(errno);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("usage: mapmany N [split]");
    long n = atol(argv[1]);
    int split = argc > 2 && strcmp(argv[2], "split") == 0;
    char **maps = malloc(n * sizeof *maps);
    if (!maps)
        fail("malloc");
    /* The three-page mapping to split later, made while there is room. */
    char *three = NULL;
    if (split) {
        three = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (three == MAP_FAILED)
            fail("mmap of three pages");
    }
    double t0 = now_ms();
    long made = 0;
    for (; made < n; made++) {
        int prot = made % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
        char *p = mmap(NULL, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            if (errno != ENOMEM)
                fail("mmap");
            break;
        }
        maps[made] = p;
    }
    double t1 = now_ms();
    if (made < n)
        printf("mapmany: ENOMEM after %ld mappings\n", made);
    if (split) {
        int u = munmap(three + PAGE, PAGE);
        printf("mapmany: munmap of a middle page: %s\n", result(u));
        int p = mprotect(three + PAGE, PAGE, PROT_NONE);
        printf("mapmany: mprotect of a middle page: %s\n", result(p));
        /* With two mappings fewer, the split into three has room. */
        for (int i = 0; i < 2 && made > 0; i++)
            if (munmap(maps[--made], PAGE) != 0)
                fail("munmap");
        printf("mapmany: mprotect with room: %s\n",
               result(mprotect(three + PAGE, PAGE, PROT_NONE)));
    }
    double t2 = now_ms();
    /* Newest first: the oldest may have merged with a neighbour, and unmapping it
       splits that, which needs room under the limit. */
    for (long i = made - 1; i >= 0; i--)
        if (munmap(maps[i], PAGE) != 0)
            fail("munmap");
    double t3 = now_ms();
    if (made == n)
        printf("mapmany: mapped %ld\n", n);
    /* Timings on stderr: they differ from run to run. */
    fprintf(stderr, "mapmany: %ld mappings: mmap %.3f us each, munmap %.3f us each\n", made,
            made ? (t1 - t0) * 1e3 / made : 0.0, made ? (t3 - t2) * 1e3 / made : 0.0);
    return 0;
}
