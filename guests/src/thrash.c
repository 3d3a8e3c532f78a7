/*
 * thrash: many threads reading file mappings in random order, the case of
 * page-cache thrashing under a memory limit.  With less memory than the
 * files, a page read in for one fault may be reclaimed before the fault's
 * retry finds it, and every thread keeps the storage busy.
 *
 * Usage: thrash [THREADS [FILE_MIB [ROUNDS [DIR]]]] [-m] [-v]
 *        defaults 8 threads, 16 MiB, 3 rounds, /tmp
 *
 * At start, file k (one per thread) is written with write(2): every 8-byte
 * word of it is a hash of (k, page, word).  The files are unlinked at once
 * (the open descriptors keep them).  Thread k maps its file read-only and,
 * each round, reads every page in an order shuffled by a fixed LCG, checking
 * the whole page.  With -m each thread maps its file afresh every round
 * and unmaps it after (a program mapping its files per request), so
 * mmap_lock writers come and go among the faults.  Prints the rounds completed and a checksum of the pages
 * read (both depend only on the arguments); -v adds the elapsed time and
 * rounds per second on stderr.  Each thread marks the end of each of its
 * rounds with the trace instant "thrash round" (faultline.h; no output).  Meant to be run with less memory than
 * THREADS * FILE_MIB, and must be correct with any amount.
 */
#include "guest_util.h"
#include "faultline.h"
#include <stdatomic.h>
#include <sys/mman.h>

#define WORDS (PAGE / 8)

static long rounds;
static int remap;                       /* -m: map and unmap every round */
static size_t file_pages;
static int *fds;
static pthread_barrier_t start;
static atomic_ullong rounds_done;
static atomic_ullong checksum;          /* sum over threads: order-free */

static uint64_t word(long file, size_t page, size_t i)
{
    return mix64(((uint64_t)file << 48) ^ ((uint64_t)page << 9) ^ i);
}

static void fill(uint8_t *p, size_t page, void *ctx)
{
    long file = (long)(intptr_t)ctx;
    uint64_t *w = (uint64_t *)p;
    for (size_t i = 0; i < WORDS; i++)
        w[i] = word(file, page, i);
}

static const uint64_t *map_file(long k, size_t len)
{
    const uint64_t *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fds[k], 0);
    if (map == MAP_FAILED)
        fail("mmap", "file %ld: %s", k, strerror(errno));
    return map;
}

static void unmap_file(const uint64_t *map, size_t len)
{
    if (munmap((void *)map, len) != 0)
        fail("munmap", "%s", strerror(errno));
}

static void *reader(void *arg)
{
    long k = (long)(intptr_t)arg;
    size_t len = file_pages * PAGE;
    const uint64_t *map = map_file(k, len);
    size_t *order = malloc(file_pages * sizeof *order);
    if (!order)
        fail("setup", "out of memory");
    for (size_t i = 0; i < file_pages; i++)
        order[i] = i;
    uint64_t lcg = (uint64_t)k + 1;
    uint64_t sum = 0;

    pthread_barrier_wait(&start);
    for (long r = 0; r < rounds; r++) {
        /* Fisher-Yates: each round visits every page once, in a new order. */
        if (remap && r > 0) {
            unmap_file(map, len);
            map = map_file(k, len);
        }
        for (size_t i = file_pages - 1; i > 0; i--) {
            size_t j = lcg_next(&lcg) % (i + 1);
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < file_pages; i++) {
            size_t pg = order[i];
            const uint64_t *w = map + pg * WORDS;
            for (size_t j = 0; j < WORDS; j++)
                if (w[j] != word(k, pg, j))
                    fail("read", "file %ld page %zu word %zu: %#llx, expected %#llx",
                         k, pg, j, (unsigned long long)w[j],
                         (unsigned long long)word(k, pg, j));
            /* Weigh each page by its position, so the sum sees the order. */
            sum += w[i % WORDS] * (i + 1);
        }
        atomic_fetch_add(&rounds_done, 1);
        fl_trace_instant("thrash round");
    }
    atomic_fetch_add(&checksum, sum);
    unmap_file(map, len);
    free(order);
    return NULL;
}

int main(int argc, char **argv)
{
    int verbose = take_verbose(&argc, argv);
    remap = take_flag(&argc, argv, "-m");
    long threads = arg_long(argc, argv, 1, 8, 1, 4096);
    long mib = arg_long(argc, argv, 2, 16, 1, 1L << 16);
    rounds = arg_long(argc, argv, 3, 3, 1, 1L << 30);
    const char *dir = argc > 4 ? argv[4] : "/tmp";
    file_pages = (size_t)mib * MIB / PAGE;

    fds = calloc((size_t)threads, sizeof *fds);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!fds || !tid || pthread_barrier_init(&start, NULL, (unsigned)threads + 1) != 0)
        fail("setup", "out of memory");
    for (long k = 0; k < threads; k++) {
        char path[4096];
        fds[k] = create_file(dir, "thrash", k, path, sizeof path);
        if (unlink(path) != 0)
            fail("create", "unlink %s: %s", path, strerror(errno));
        write_pages(fds[k], file_pages, fill, (void *)(intptr_t)k);
    }
    for (long k = 0; k < threads; k++)
        if (pthread_create(&tid[k], NULL, reader, (void *)(intptr_t)k) != 0)
            fail("setup", "pthread_create");
    pthread_barrier_wait(&start);
    double t0 = now();
    for (long k = 0; k < threads; k++)
        pthread_join(tid[k], NULL);
    double elapsed = now() - t0;
    for (long k = 0; k < threads; k++)
        close(fds[k]);

    unsigned long long done = atomic_load(&rounds_done);
    if (done != (unsigned long long)(threads * rounds))
        fail("rounds", "%llu, expected %ld", done, threads * rounds);
    printf("thrash: threads=%ld file_mib=%ld rounds=%ld rounds_completed=%llu\n",
           threads, mib, rounds, done);
    printf("checksum %016llx\n", (unsigned long long)atomic_load(&checksum));
    printf("ok every page read back as written\n");
    if (verbose)
        fprintf(stderr, "thrash: %.3f s, %.1f rounds/s\n", elapsed,
                (double)done / elapsed);
    return 0;
}
