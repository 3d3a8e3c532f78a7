/*
 * swapin: threads paging anonymous memory out with MADV_PAGEOUT while other
 * threads fault it back in, so that swap-in faults meet pages on their way
 * out and in.
 *
 * Usage: swapin [SIZE_MIB [PAGEOUT_THREADS [READERS [ROUNDS]]]] [-v]
 *        defaults 100 MiB, 5, 5, 10 rounds
 *
 * The region is filled with a pattern (every word a hash of its page and
 * place), then cut into 256 KiB chunks.  In each round every pageout thread
 * calls madvise(MADV_PAGEOUT) on its share of the chunks while every reader
 * reads and checks the whole of its share, starting at a place that moves
 * from round to round; a barrier ends the round.  Readers also bump the
 * first word of one page per chunk each round, so pages are dirtied again
 * after going to swap, and the expected value of every word is still known
 * from the round number alone.  A fixed number of rounds (not a time) keeps
 * the output deterministic: the rounds completed and a checksum of what the
 * readers read.  A kernel or emulator without MADV_PAGEOUT answers EINVAL;
 * then the readers' checks still run (-v says so on stderr, with the time
 * and rounds per second).  A reader marks the end of its share of each round
 * with the trace instant "swapin read round" (faultline.h; no output).
 */
#include "guest_util.h"
#include "faultline.h"
#include <stdatomic.h>
#include <sys/mman.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define WORDS (PAGE / 8)
#define CHUNK_PAGES 64

static uint64_t *region;
static size_t nchunks;
static long pageout_threads, readers, rounds;
static pthread_barrier_t round_end;     /* all pageout threads and readers */
static atomic_int pageout_unsupported;
static atomic_ullong pageouts;
static atomic_ullong checksum;

static uint64_t pattern(size_t page, size_t i)
{
    return mix64(((uint64_t)page << 9) | i);
}

/* Word 0 of page `page` at the start of round `round`: the readers add one
 * to it in every round r with r % CHUNK_PAGES == the page's place in its
 * chunk. */
static uint64_t first_word(size_t page, long round)
{
    size_t j = page % CHUNK_PAGES, n = (size_t)round;
    uint64_t bumps = n > j ? (n - j + CHUNK_PAGES - 1) / CHUNK_PAGES : 0;
    return pattern(page, 0) + bumps;
}

static void *pageout(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (long r = 0; r < rounds; r++) {
        for (size_t c = (size_t)id; c < nchunks; c += (size_t)pageout_threads) {
            if (atomic_load(&pageout_unsupported))
                break;
            if (madvise(region + c * CHUNK_PAGES * WORDS, CHUNK_PAGES * PAGE,
                        MADV_PAGEOUT) == 0)
                atomic_fetch_add(&pageouts, 1);
            else if (errno == EINVAL)
                atomic_store(&pageout_unsupported, 1);
            else
                fail("madvise", "MADV_PAGEOUT chunk %zu: %s", c, strerror(errno));
        }
        pthread_barrier_wait(&round_end);
    }
    return NULL;
}

static void *reader(void *arg)
{
    long id = (long)(intptr_t)arg;
    size_t mine = (nchunks - (size_t)id + (size_t)readers - 1) / (size_t)readers;
    uint64_t sum = 0;
    for (long r = 0; r < rounds; r++) {
        for (size_t n = 0; n < mine; n++) {
            /* Start at a different chunk each round. */
            size_t c = (size_t)id + ((n + (size_t)r) % mine) * (size_t)readers;
            for (size_t pg = c * CHUNK_PAGES; pg < (c + 1) * CHUNK_PAGES; pg++) {
                uint64_t *w = region + pg * WORDS;
                uint64_t want0 = first_word(pg, r);
                if (w[0] != want0)
                    fail("read", "round %ld page %zu word 0: %#llx, expected %#llx",
                         r, pg, (unsigned long long)w[0],
                         (unsigned long long)want0);
                for (size_t i = 1; i < WORDS; i++)
                    if (w[i] != pattern(pg, i))
                        fail("read", "round %ld page %zu word %zu: %#llx, expected %#llx",
                             r, pg, i, (unsigned long long)w[i],
                             (unsigned long long)pattern(pg, i));
                sum += w[(size_t)r % WORDS] ^ pg;
            }
            region[(c * CHUNK_PAGES + (size_t)r % CHUNK_PAGES) * WORDS] += 1;
        }
        fl_trace_instant("swapin read round");
        pthread_barrier_wait(&round_end);
    }
    atomic_fetch_add(&checksum, sum);
    return NULL;
}

int main(int argc, char **argv)
{
    int verbose = take_verbose(&argc, argv);
    long mib = arg_long(argc, argv, 1, 100, 1, 1L << 20);
    pageout_threads = arg_long(argc, argv, 2, 5, 1, 1024);
    readers = arg_long(argc, argv, 3, 5, 1, 1024);
    rounds = arg_long(argc, argv, 4, 10, 1, 1L << 30);
    size_t len = (size_t)mib * MIB;
    nchunks = len / (CHUNK_PAGES * PAGE);
    if ((size_t)readers > nchunks || (size_t)pageout_threads > nchunks) {
        fprintf(stderr, "swapin: more threads than %zu chunks\n", nchunks);
        return 2;
    }

    region = mmap(NULL, len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    for (size_t pg = 0; pg < len / PAGE; pg++)
        for (size_t i = 0; i < WORDS; i++)
            region[pg * WORDS + i] = pattern(pg, i);

    long nthreads = pageout_threads + readers;
    pthread_t *tid = calloc((size_t)nthreads, sizeof *tid);
    if (!tid || pthread_barrier_init(&round_end, NULL, (unsigned)nthreads) != 0)
        fail("setup", "out of memory");
    double t0 = now();
    for (long i = 0; i < nthreads; i++) {
        int out = i < pageout_threads;
        long id = out ? i : i - pageout_threads;
        if (pthread_create(&tid[i], NULL, out ? pageout : reader,
                           (void *)(intptr_t)id) != 0)
            fail("setup", "pthread_create");
    }
    for (long i = 0; i < nthreads; i++)
        pthread_join(tid[i], NULL);
    double elapsed = now() - t0;

    /* After the last round, every word must be as computed. */
    for (size_t pg = 0; pg < len / PAGE; pg++)
        if (region[pg * WORDS] != first_word(pg, rounds))
            fail("final", "page %zu word 0: %#llx, expected %#llx", pg,
                 (unsigned long long)region[pg * WORDS],
                 (unsigned long long)first_word(pg, rounds));
    if (munmap(region, len) != 0)
        fail("munmap", "%s", strerror(errno));

    printf("swapin: size_mib=%ld pageout_threads=%ld readers=%ld rounds_completed=%ld\n",
           mib, pageout_threads, readers, rounds);
    printf("checksum %016llx\n", (unsigned long long)atomic_load(&checksum));
    printf("ok every read verified\n");
    printf("ok final contents\n");
    if (verbose)
        fprintf(stderr, "swapin: MADV_PAGEOUT %s (%llu calls), %.3f s, %.1f rounds/s\n",
                atomic_load(&pageout_unsupported) ? "unsupported (EINVAL)" : "supported",
                (unsigned long long)atomic_load(&pageouts), elapsed,
                (double)rounds / elapsed);
    return 0;
}
