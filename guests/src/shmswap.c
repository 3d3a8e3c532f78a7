/*
 * shmswap: shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS) seen through
 * two mappings of the same pages, meant to run with less memory than it maps
 * so that the pages go to swap and come back.
 *
 * Usage: shmswap [SIZE_MIB [THREADS [ROUNDS]]] [-v]   defaults 8, 4, 4
 *
 * The region is filled with a pattern (every word a hash of its page and
 * place) through the first mapping; mremap(old_size 0) gives a second
 * mapping of the same pages.  In each round every thread, for each of its
 * pages (page % THREADS == its number), stores the round number in word 0
 * through one mapping and checks the whole page through the other, the two
 * swapping roles from round to round; a barrier ends the round.  Then
 * MADV_REMOVE punches out the first half, which must read back as zeroes
 * through both mappings while the second half keeps its data.  Prints one
 * "ok <check>" line per check, the parameters and a checksum of what was
 * read; -v adds the time on stderr.
 */
#include "guest_util.h"
#include <stdatomic.h>
#include <sys/mman.h>

#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif

#define WORDS (PAGE / 8)

static uint64_t *maps[2];
static size_t npages;
static long threads, rounds;
static pthread_barrier_t round_end;
static atomic_ullong checksum;

static uint64_t pattern(size_t page, size_t i)
{
    return mix64(((uint64_t)page << 9) | i);
}

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (long r = 0; r < rounds; r++) {
        uint64_t *store = maps[r & 1], *load = maps[(r + 1) & 1];
        uint64_t sum = 0;
        for (size_t p = (size_t)id; p < npages; p += (size_t)threads) {
            store[p * WORDS] = (uint64_t)r;
            const uint64_t *w = load + p * WORDS;
            if (w[0] != (uint64_t)r)
                fail("two mappings", "page %zu word 0: %llu, want %ld", p,
                     (unsigned long long)w[0], r);
            for (size_t i = 1; i < WORDS; i++) {
                if (w[i] != pattern(p, i))
                    fail("two mappings", "page %zu word %zu corrupt", p, i);
                sum += w[i] ^ (uint64_t)r;
            }
        }
        atomic_fetch_add(&checksum, sum);
        pthread_barrier_wait(&round_end);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int verbose = take_verbose(&argc, argv);
    long mib = arg_long(argc, argv, 1, 8, 1, 1024);
    threads = arg_long(argc, argv, 2, 4, 1, 64);
    rounds = arg_long(argc, argv, 3, 4, 1, 1000);
    npages = (size_t)mib * MIB / PAGE;
    size_t len = npages * PAGE;
    double t0 = now();

    maps[0] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (maps[0] == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    for (size_t p = 0; p < npages; p++) {
        maps[0][p * WORDS] = 0;
        for (size_t i = 1; i < WORDS; i++)
            maps[0][p * WORDS + i] = pattern(p, i);
    }
    maps[1] = mremap(maps[0], 0, len, MREMAP_MAYMOVE);
    if (maps[1] == MAP_FAILED)
        fail("mremap", "%s", strerror(errno));

    pthread_barrier_init(&round_end, NULL, (unsigned)threads);
    pthread_t tid[64];
    for (long t = 0; t < threads; t++)
        if (pthread_create(&tid[t], NULL, worker, (void *)(intptr_t)t) != 0)
            fail("pthread_create", "%s", strerror(errno));
    for (long t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    printf("ok two mappings\n");

    size_t half = npages / 2;
    if (madvise(maps[0], half * PAGE, MADV_REMOVE) != 0)
        fail("hole punch", "madvise: %s", strerror(errno));
    for (size_t p = 0; p < npages; p++)
        for (int m = 0; m < 2; m++) {
            const uint64_t *w = maps[m] + p * WORDS;
            for (size_t i = 1; i < WORDS; i++) {
                uint64_t want = p < half ? 0 : pattern(p, i);
                if (w[i] != want)
                    fail("hole punch", "mapping %d page %zu word %zu", m, p, i);
            }
        }
    printf("ok hole punch\n");

    if (munmap(maps[0], len) != 0 || munmap(maps[1], len) != 0)
        fail("munmap", "%s", strerror(errno));
    printf("shmswap: size_mib=%ld threads=%ld rounds=%ld\n", mib, threads, rounds);
    printf("checksum %016llx\n", (unsigned long long)atomic_load(&checksum));
    if (verbose)
        fprintf(stderr, "shmswap: %.3f s\n", now() - t0);
    return 0;
}
