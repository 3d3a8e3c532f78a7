/*
 * The body of will-it-scale's page_fault2 and page_fault3, which differ only
 * in the mapping type: page_fault2.c and page_fault3.c each call
 * page_fault_file_main() with theirs.
 *
 * Each of T threads creates its own file of S MiB, then I times maps it
 * (MAP_PRIVATE: every store is a copy-on-write fault on a page-cache page;
 * MAP_SHARED: a shared file write fault that dirties the page-cache page),
 * stores one byte to every 4 KiB page and unmaps it.  Files are unlinked as
 * soon as they are created, so nothing is left behind if the guest dies.
 *
 * Page k of thread t's file starts with an 8-byte tag (a hash of t and k)
 * and is zero after it.  Iteration i stores the byte i%255+1 at offset 8 of
 * every page.  Checked: each mapping shows the tags and this iteration's
 * byte (first and last page); after the loop, read(2) of the whole file
 * finds every tag, and at offset 8 the last iteration's byte (shared) or
 * still zero (private: copy-on-write writes never reach the file).  Each
 * thread marks the end of each iteration with the trace instant "pf iteration"
 * (faultline.h; no output).
 */
#ifndef PAGE_FAULT_FILE_H
#define PAGE_FAULT_FILE_H

#include "guest_util.h"
#include "faultline.h"
#include <stdatomic.h>
#include <sys/mman.h>

static long pf_iterations;
static size_t pf_region;               /* bytes per file and mapping */
static const char *pf_dir;
static const char *pf_name;
static int pf_shared;
static pthread_barrier_t pf_start;     /* all threads begin together */
static pthread_barrier_t pf_done;      /* the timed part ends */
static atomic_ullong pf_touched;

static uint64_t pf_tag(long thread, size_t page)
{
    return mix64(((uint64_t)thread << 40) ^ page);
}

static void pf_fill(uint8_t *page, size_t k, void *ctx)
{
    uint64_t tag = pf_tag((long)(intptr_t)ctx, k);
    memset(page, 0, PAGE);
    memcpy(page, &tag, sizeof tag);
}

static uint8_t pf_byte(long iteration)
{
    return (uint8_t)(iteration % 255 + 1);
}

/* The tag and the byte at offset 8 of page k, as found in p. */
static void pf_check_page(const uint8_t *p, long thread, size_t k,
                          uint8_t want, const char *check)
{
    uint64_t tag;
    memcpy(&tag, p, sizeof tag);
    if (tag != pf_tag(thread, k) || p[8] != want || p[9] != 0)
        fail(check, "thread %ld page %zu: tag %#llx byte %u, expected %#llx byte %u",
             thread, k, (unsigned long long)tag, p[8],
             (unsigned long long)pf_tag(thread, k), want);
}

static void *pf_worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    size_t npages = pf_region / PAGE;
    char path[4096];

    int fd = create_file(pf_dir, pf_name, t, path, sizeof path);
    if (unlink(path) != 0)
        fail("create", "unlink %s: %s", path, strerror(errno));
    write_pages(fd, npages, pf_fill, arg);

    pthread_barrier_wait(&pf_start);
    unsigned long long touched = 0;
    for (long it = 0; it < pf_iterations; it++) {
        uint8_t *p = mmap(NULL, pf_region, PROT_READ | PROT_WRITE,
                          pf_shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
            fail("mmap", "%s", strerror(errno));
        uint8_t b = pf_byte(it);
        for (size_t off = 0; off < pf_region; off += PAGE) {
            p[off + 8] = b;
            touched++;
        }
        pf_check_page(p, t, 0, b, "mapping");
        pf_check_page(p + pf_region - PAGE, t, npages - 1, b, "mapping");
        if (munmap(p, pf_region) != 0)
            fail("munmap", "%s", strerror(errno));
        fl_trace_instant("pf iteration");
    }
    atomic_fetch_add(&pf_touched, touched);
    pthread_barrier_wait(&pf_done);

    /* What reached the file: read it all back. */
    uint8_t want = pf_shared ? pf_byte(pf_iterations - 1) : 0;
    static _Thread_local uint8_t buf[MIB];
    if (lseek(fd, 0, SEEK_SET) != 0)
        fail("file", "lseek: %s", strerror(errno));
    for (size_t k = 0; k < npages; k += MIB / PAGE) {
        size_t n = npages - k < MIB / PAGE ? npages - k : MIB / PAGE;
        if (read_full(fd, buf, n * PAGE) != 0)
            fail("file", "read: %s", strerror(errno));
        for (size_t i = 0; i < n; i++)
            pf_check_page(buf + i * PAGE, t, k + i, want, "file");
    }
    close(fd);
    return NULL;
}

static int page_fault_file_main(int argc, char **argv, const char *name,
                                int shared)
{
    int verbose = take_verbose(&argc, argv);
    long threads = arg_long(argc, argv, 1, 2, 1, 1024);
    pf_iterations = arg_long(argc, argv, 2, 4, 1, 1L << 30);
    long mib = arg_long(argc, argv, 3, 128, 1, 1L << 20);
    pf_dir = argc > 4 ? argv[4] : "/tmp";
    pf_name = name;
    pf_shared = shared;
    pf_region = (size_t)mib * MIB;

    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!tid || pthread_barrier_init(&pf_start, NULL, (unsigned)threads + 1) != 0 ||
        pthread_barrier_init(&pf_done, NULL, (unsigned)threads + 1) != 0)
        fail("setup", "out of memory");
    for (long i = 0; i < threads; i++)
        if (pthread_create(&tid[i], NULL, pf_worker, (void *)(intptr_t)i) != 0)
            fail("setup", "pthread_create");
    pthread_barrier_wait(&pf_start);
    double t0 = now();
    pthread_barrier_wait(&pf_done);
    double elapsed = now() - t0;
    for (long i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);

    unsigned long long want = (unsigned long long)threads *
                              (unsigned long long)pf_iterations *
                              (pf_region / PAGE);
    unsigned long long got = atomic_load(&pf_touched);
    if (got != want)
        fail("page count", "%llu, expected %llu", got, want);
    printf("%s: threads=%ld iterations=%ld size_mib=%ld pages_touched=%llu\n",
           name, threads, pf_iterations, mib, got);
    printf("ok mapping\n");
    printf(shared ? "ok file holds the shared writes\n"
                  : "ok file untouched by private writes\n");
    if (verbose)
        fprintf(stderr, "%s: %.3f s, %.0f pages/s\n", name, elapsed,
                (double)got / elapsed);
    return 0;
}

#endif
