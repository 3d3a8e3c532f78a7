/*
 * uneven_vmas: one huge mapping that takes most of the page faults beside
 * many small ones, and a writer that changes the huge one.  With mmap_lock
 * alone every fault waits for the writer; with per-VMA locks only the huge
 * mapping's faults should.
 *
 * Usage: uneven_vmas HUGE [BIG [SMALL [MAPS [ROUNDS [WRITES [GAP_US]]]]]]
 *        defaults 8 big threads, 8 small threads, 16 mappings each,
 *        20 rounds, 100 writes 1000 µs apart
 *
 * HUGE is a file whose 4 KiB pages each start with their page number (a
 * scenario's `pattern = "pages"`), mapped privately read-only: one VMA.  BIG
 * threads read its pages, thread k every BIG-th page from page k in an order
 * a per-thread generator shuffles, checking each page's number, until the
 * small threads are done.  Each of the SMALL threads owns MAPS anonymous
 * mappings of 4 pages (separate VMAs, kept apart by inaccessible gaps) and,
 * ROUNDS times, writes a round-dependent word to every page of each, checks
 * it and drops them with MADV_DONTNEED (only a per-VMA read lock), so every
 * round faults them all again.  The writer, WRITES times, GAP_US apart, makes
 * the whole huge mapping writable and read-only again with mprotect: it
 * write-locks that one VMA, and holds mmap_lock for write meanwhile.
 *
 * Trace markers (faultline.h; nothing printed): a small thread's round is
 * the instant "small round", a big thread's page the instant "big page", the
 * writer's two mprotects the slice "writer mprotect".  A wrong page or word
 * exits 1 naming it.  Prints the settings and the small rounds completed.
 */
#include "guest_util.h"
#include "faultline.h"
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define WORDS (PAGE / 8)
/* Pages of one small mapping; each is followed by a gap as large. */
#define SMALL_PAGES 4

static long big, small, maps, rounds, writes, gap_us;
static const uint64_t *huge;
static size_t huge_pages;
static char *small_area;
static pthread_barrier_t start;
static atomic_int small_left;
static atomic_ullong small_rounds;

static void *big_reader(void *arg)
{
    long k = (long)(intptr_t)arg;
    size_t mine = (huge_pages - (size_t)k + (size_t)big - 1) / (size_t)big;
    uint64_t lcg = (uint64_t)k + 1;
    pthread_barrier_wait(&start);
    while (atomic_load(&small_left) > 0) {
        size_t pg = (size_t)k + (lcg_next(&lcg) % mine) * (size_t)big;
        uint64_t got = huge[pg * WORDS];
        if (got != pg)
            fail("read", "huge page %zu starts with %#llx", pg, (unsigned long long)got);
        fl_trace_instant("big page");
    }
    return NULL;
}

static void *small_faulter(void *arg)
{
    long k = (long)(intptr_t)arg;
    char *mine = small_area + (size_t)k * (size_t)maps * 2 * SMALL_PAGES * PAGE;
    pthread_barrier_wait(&start);
    for (long r = 0; r < rounds; r++) {
        uint64_t want = ((uint64_t)k << 32) | (uint64_t)r;
        for (long m = 0; m < maps; m++) {
            uint64_t *w = (uint64_t *)(mine + (size_t)m * 2 * SMALL_PAGES * PAGE);
            for (size_t p = 0; p < SMALL_PAGES; p++)
                w[p * WORDS] = want;
            for (size_t p = 0; p < SMALL_PAGES; p++)
                if (w[p * WORDS] != want)
                    fail("small", "thread %ld map %ld page %zu: %#llx", k, m, p,
                         (unsigned long long)w[p * WORDS]);
            if (madvise(w, SMALL_PAGES * PAGE, MADV_DONTNEED) != 0)
                fail("madvise", "%s", strerror(errno));
        }
        atomic_fetch_add(&small_rounds, 1);
        fl_trace_instant("small round");
    }
    atomic_fetch_sub(&small_left, 1);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (long i = 0; i < writes && atomic_load(&small_left) > 0; i++) {
        fl_sleep_ns((uint64_t)gap_us * 1000);
        fl_trace_begin("writer mprotect");
        int bad = mprotect((void *)huge, huge_pages * PAGE, PROT_READ | PROT_WRITE) != 0 ||
                  mprotect((void *)huge, huge_pages * PAGE, PROT_READ) != 0;
        fl_trace_end();
        if (bad)
            fail("mprotect", "%s", strerror(errno));
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: uneven_vmas HUGE [BIG [SMALL [MAPS [ROUNDS [WRITES "
                        "[GAP_US]]]]]]\n");
        return 2;
    }
    big = arg_long(argc, argv, 2, 8, 1, 4096);
    small = arg_long(argc, argv, 3, 8, 1, 4096);
    maps = arg_long(argc, argv, 4, 16, 1, 4096);
    rounds = arg_long(argc, argv, 5, 20, 1, 1L << 30);
    writes = arg_long(argc, argv, 6, 100, 0, 1L << 30);
    gap_us = arg_long(argc, argv, 7, 1000, 0, 1L << 30);

    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        fail("open", "%s: %s", argv[1], strerror(errno));
    huge_pages = (size_t)st.st_size / PAGE;
    if (huge_pages < (size_t)big)
        fail("open", "%s: %zu pages for %ld threads", argv[1], huge_pages, big);
    huge = mmap(NULL, huge_pages * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (huge == MAP_FAILED)
        fail("mmap", "%s: %s", argv[1], strerror(errno));
    close(fd);

    /* One inaccessible reservation; every other 4-page slot made writable is
     * a VMA of its own. */
    size_t slots = (size_t)small * (size_t)maps;
    small_area = mmap(NULL, slots * 2 * SMALL_PAGES * PAGE, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (small_area == MAP_FAILED)
        fail("mmap", "small mappings: %s", strerror(errno));
    for (size_t s = 0; s < slots; s++)
        if (mprotect(small_area + s * 2 * SMALL_PAGES * PAGE, SMALL_PAGES * PAGE,
                     PROT_READ | PROT_WRITE) != 0)
            fail("mprotect", "small mapping %zu: %s", s, strerror(errno));

    atomic_store(&small_left, (int)small);
    long n = big + small + 1;
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    if (!tid || pthread_barrier_init(&start, NULL, (unsigned)n) != 0)
        fail("setup", "out of memory");
    for (long i = 0; i < n; i++) {
        void *(*fn)(void *) = i < big ? big_reader : i < big + small ? small_faulter : writer;
        long id = i < big ? i : i - big;
        check_pthread(pthread_create(&tid[i], NULL, fn, (void *)(intptr_t)id),
                      "pthread_create");
    }
    for (long i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    printf("uneven_vmas: big=%ld small=%ld maps=%ld rounds=%ld\n", big, small, maps,
           rounds);
    printf("small rounds completed %llu\n", (unsigned long long)atomic_load(&small_rounds));
    printf("ok every page checked\n");
    return 0;
}
