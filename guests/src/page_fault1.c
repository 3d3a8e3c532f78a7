/*
 * page_fault1: the will-it-scale page_fault1 benchmark.  Each of T threads
 * repeatedly maps a private anonymous region, writes one byte to every
 * 4 KiB page of it (one page fault each) and unmaps it; this measures how
 * the page-fault path and mmap/munmap scale with threads that share one
 * address space.
 *
 * Usage: page_fault1 [THREADS [ITERATIONS [SIZE_MIB [-v]]]]
 *        defaults 2 threads, 4 iterations, 128 MiB
 *
 * Prints the number of pages touched, which depends only on the
 * arguments.  With -v it also prints the elapsed time and the rate (to
 * stderr, so stdout stays deterministic).  Each thread marks the end of each
 * iteration with the trace instant "pf iteration" (faultline.h; no output).
 */
#include "faultline.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static long iterations = 4;
static size_t region;                  /* bytes per mapping */
static pthread_barrier_t start;        /* all threads begin together */
static atomic_ullong pages_touched;
static atomic_int failed;

static void *worker(void *arg)
{
    (void)arg;
    unsigned long long touched = 0;

    pthread_barrier_wait(&start);
    for (long it = 0; it < iterations; it++) {
        char *p = mmap(NULL, region, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            atomic_store(&failed, 1);
            break;
        }
        for (size_t off = 0; off < region; off += PAGE) {
            p[off] = 1;
            touched++;
        }
        /* Each mapping starts out zero-filled and holds what was written:
         * spot-check the first and last pages' first two bytes. */
        if (p[0] != 1 || p[1] != 0 || p[region - PAGE] != 1 ||
            p[region - PAGE + 1] != 0)
            atomic_store(&failed, 2);
        if (munmap(p, region) != 0) {
            atomic_store(&failed, 3);
            break;
        }
        fl_trace_instant("pf iteration");
    }
    atomic_fetch_add(&pages_touched, touched);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long threads = argc > 1 ? atol(argv[1]) : 2;
    iterations = argc > 2 ? atol(argv[2]) : 4;
    long mib = argc > 3 ? atol(argv[3]) : 128;
    int verbose = argc > 4 && strcmp(argv[4], "-v") == 0;
    if (threads < 1 || threads > 1024 || iterations < 1 || mib < 1 ||
        mib > (1L << 20)) {
        fprintf(stderr, "usage: page_fault1 [THREADS [ITERATIONS [SIZE_MIB [-v]]]]\n");
        return 2;
    }
    region = (size_t)mib << 20;

    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!tid || pthread_barrier_init(&start, NULL, (unsigned)threads + 1) != 0) {
        printf("FAIL setup\n");
        return 1;
    }
    for (long i = 0; i < threads; i++)
        if (pthread_create(&tid[i], NULL, worker, NULL) != 0) {
            printf("FAIL pthread_create\n");
            return 1;
        }
    double t0 = now();
    pthread_barrier_wait(&start);
    for (long i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    double elapsed = now() - t0;

    switch (atomic_load(&failed)) {
    case 1: printf("FAIL mmap\n"); return 1;
    case 2: printf("FAIL page contents\n"); return 1;
    case 3: printf("FAIL munmap\n"); return 1;
    }
    unsigned long long want =
        (unsigned long long)threads * (unsigned long long)iterations *
        (region / PAGE);
    unsigned long long got = atomic_load(&pages_touched);
    if (got != want) {
        printf("FAIL page count: %llu, expected %llu\n", got, want);
        return 1;
    }
    printf("page_fault1: threads=%ld iterations=%ld size_mib=%ld pages_touched=%llu\n",
           threads, iterations, mib, got);
    if (verbose)
        fprintf(stderr, "page_fault1: %.3f s, %.0f pages/s\n", elapsed,
                (double)got / elapsed);
    return 0;
}
