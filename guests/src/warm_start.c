/*
 * warm_start: an application launch in miniature.  Many threads fault the
 * pages of a mapped "code" file and a mapped "data" file, neither in the page
 * cache, while other threads change the address space (mmap, mprotect,
 * munmap: mmap_lock writers), as a launching app's threads do while its
 * loader relocates libraries and its runtime maps stacks and heaps.
 *
 * Usage: warm_start CODE DATA [LAUNCHERS [ROUNDS [PAGES [WRITERS [OPS [GAP_US]]]]]]
 *        defaults 16 launchers, 8 rounds, 32 pages a round, 4 writers,
 *        200 operations each, 500 µs apart
 *
 * CODE and DATA are files whose 4 KiB pages each start with their page number
 * (64-bit little-endian), the rest zero (a scenario's `pattern = "pages"`).
 * CODE is mapped privately read+exec, DATA privately read+write (a data
 * segment).  Each launcher runs ROUNDS rounds; a round reads PAGES pages of
 * CODE, in runs of 8 consecutive pages from places a per-thread generator
 * picks (code runs in stretches), and PAGES / 2 pages of DATA the same way,
 * writing one word at offset 8 of every other data page past the writers'
 * (a copy-on-write fault on a file page).  Every page read is checked: its first word must be
 * its page number, else the guest exits 1 naming the page.
 *
 * Writers, up to OPS times each and until the last launcher is done, GAP_US
 * apart: map 16 anonymous pages and touch
 * them (a thread stack or heap arena), make 4 pages of DATA (writer k's
 * pages 8k to 8k+3) read-only and writable again (the loader's RELRO mprotect: it write-locks the VMA the
 * launchers fault), and unmap the 16 pages.
 *
 * Trace markers (faultline.h; nothing printed): each launcher's whole launch
 * is the slice "launch", each round the instant "launch round"; each
 * writer's operation is the slice "writer mmap", "writer mprotect" or "writer
 * munmap".  Prints the settings and the pages checked (fixed by the
 * arguments) and the writer operations (as many as the launch took time for).
 */
#include "guest_util.h"
#include "faultline.h"
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define WORDS (PAGE / 8)
/* Consecutive pages a launcher reads from one place. */
#define RUN 8
/* A writer's anonymous region, and the DATA pages it flips. */
#define ARENA_PAGES 16
#define RELRO_PAGES 4

static long launchers, rounds, pages, writers, ops, gap_us;
static const uint64_t *code;
static uint64_t *data;
static size_t code_pages, data_pages;
/* The DATA pages writers flip come before this one. */
static size_t relro_end;
static pthread_barrier_t start;
static atomic_ullong checked, writer_ops;
static atomic_long launching;           /* launchers not yet done */

/* Maps `path` privately with `prot`; its size in pages goes to *npages. */
static void *map_file(const char *path, int prot, size_t *npages)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        fail("open", "%s: %s", path, strerror(errno));
    *npages = (size_t)st.st_size / PAGE;
    if (*npages < RUN + RELRO_PAGES)
        fail("open", "%s: %zu pages, need at least %d", path, *npages, RUN + RELRO_PAGES);
    void *p = mmap(NULL, *npages * PAGE, prot, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        fail("mmap", "%s: %s", path, strerror(errno));
    close(fd);
    return p;
}

/* Checks that page pg of `map` starts with its number. */
static void check_page(const uint64_t *map, size_t pg, const char *what)
{
    uint64_t got = map[pg * WORDS];
    if (got != pg)
        fail("read", "%s page %zu starts with %#llx", what, pg, (unsigned long long)got);
}

/* Reads n pages of `map` (npages long) in runs of RUN from places lcg picks;
 * writes offset 8 of every other page when `write` is set. */
static unsigned long long touch(uint64_t *map, size_t npages, long n, uint64_t *lcg,
                                int write, const char *what)
{
    unsigned long long done = 0;
    for (long i = 0; i < n; i += RUN) {
        size_t first = lcg_next(lcg) % (npages - RUN + 1);
        for (size_t pg = first; pg < first + RUN && (long)(pg - first) + i < n; pg++) {
            check_page(map, pg, what);
            if (write && pg % 2 == 0 && pg >= relro_end)
                map[pg * WORDS + 1] = pg;
            done++;
        }
    }
    return done;
}

static void *launcher(void *arg)
{
    uint64_t lcg = (uint64_t)(intptr_t)arg * 7919 + 1;
    unsigned long long done = 0;
    pthread_barrier_wait(&start);
    fl_trace_begin("launch");
    for (long r = 0; r < rounds; r++) {
        done += touch((uint64_t *)code, code_pages, pages, &lcg, 0, "code");
        done += touch(data, data_pages, pages / 2, &lcg, 1, "data");
        fl_trace_instant("launch round");
    }
    fl_trace_end();
    atomic_fetch_add(&checked, done);
    atomic_fetch_sub(&launching, 1);
    return NULL;
}

static void *writer(void *arg)
{
    long id = (long)(intptr_t)arg;
    /* Writer k flips DATA pages 8k to 8k+3; launchers write none of them. */
    uint64_t *r = data + (size_t)id * 2 * RELRO_PAGES * WORDS;
    pthread_barrier_wait(&start);
    for (long k = 0; k < ops && atomic_load(&launching) > 0; k++) {
        fl_sleep_ns((uint64_t)gap_us * 1000);
        fl_trace_begin("writer mmap");
        char *a = mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        fl_trace_end();
        if (a == MAP_FAILED)
            fail("mmap", "arena: %s", strerror(errno));
        for (size_t off = 0; off < ARENA_PAGES * PAGE; off += PAGE)
            a[off] = 1;
        fl_trace_begin("writer mprotect");
        int bad = mprotect(r, RELRO_PAGES * PAGE, PROT_READ) != 0 ||
                  mprotect(r, RELRO_PAGES * PAGE, PROT_READ | PROT_WRITE) != 0;
        fl_trace_end();
        if (bad)
            fail("mprotect", "%s", strerror(errno));
        fl_trace_begin("writer munmap");
        bad = munmap(a, ARENA_PAGES * PAGE) != 0;
        fl_trace_end();
        if (bad)
            fail("munmap", "%s", strerror(errno));
        atomic_fetch_add(&writer_ops, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: warm_start CODE DATA [LAUNCHERS [ROUNDS [PAGES "
                        "[WRITERS [OPS [GAP_US]]]]]]\n");
        return 2;
    }
    launchers = arg_long(argc, argv, 3, 16, 1, 4096);
    rounds = arg_long(argc, argv, 4, 8, 1, 1L << 30);
    pages = arg_long(argc, argv, 5, 32, 2, 1L << 20);
    writers = arg_long(argc, argv, 6, 4, 0, 4096);
    ops = arg_long(argc, argv, 7, 200, 0, 1L << 30);
    gap_us = arg_long(argc, argv, 8, 500, 0, 1L << 30);
    code = map_file(argv[1], PROT_READ | PROT_EXEC, &code_pages);
    data = map_file(argv[2], PROT_READ | PROT_WRITE, &data_pages);
    relro_end = (size_t)writers * 2 * RELRO_PAGES;
    if (relro_end > data_pages)
        fail("setup", "%ld writers need %zu data pages, the file has %zu", writers,
             relro_end, data_pages);

    atomic_store(&launching, launchers);
    long n = launchers + writers;
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    if (!tid || pthread_barrier_init(&start, NULL, (unsigned)n) != 0)
        fail("setup", "out of memory");
    for (long i = 0; i < n; i++) {
        int launch = i < launchers;
        long id = launch ? i : i - launchers;
        check_pthread(pthread_create(&tid[i], NULL, launch ? launcher : writer,
                                     (void *)(intptr_t)id), "pthread_create");
    }
    for (long i = 0; i < n; i++)
        pthread_join(tid[i], NULL);

    printf("warm_start: launchers=%ld rounds=%ld pages=%ld writers=%ld ops=%ld\n",
           launchers, rounds, pages, writers, ops);
    printf("pages checked %llu\n", (unsigned long long)atomic_load(&checked));
    printf("writer operations %llu\n", (unsigned long long)atomic_load(&writer_ops));
    printf("ok every page read back as its number\n");
    return 0;
}
