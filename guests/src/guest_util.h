/*
 * Helpers shared by the C guests (the thread stress tests and the I/O and
 * page-fault guests): failure reporting, argument parsing, timing, a hash
 * for data patterns, CRC-32 and whole-buffer file I/O.
 *
 * Everything is static so that each guest stays one translation unit.
 */
#ifndef GUEST_UTIL_H
#define GUEST_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE 4096
#define MIB (1UL << 20)

/*
 * Prints "FAIL <check>: ..." and exits 1.  Callable from any thread: the
 * mutex keeps a second failing thread from running exit() concurrently
 * (it would block forever on the mutex while the first one exits).
 */
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noreturn, format(printf, 2, 3), unused))
static void fail(const char *check, const char *fmt, ...)
{
    pthread_mutex_lock(&fail_lock);
    va_list ap;
    printf("FAIL %s: ", check);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(1);
}

/* Exits through fail() when a pthread call returned the error number rc. */
__attribute__((unused))
static void check_pthread(int rc, const char *what)
{
    if (rc != 0)
        fail(what, "%s", strerror(rc));
}

/* Removes every FLAG from argv (so positional arguments stay positional)
 * and returns whether there was one. */
__attribute__((unused))
static int take_flag(int *argc, char **argv, const char *flag)
{
    int found = 0, out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0)
            found = 1;
        else
            argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = NULL;
    return found;
}

/* Removes every "-v" from argv and returns whether there was one. */
__attribute__((unused))
static int take_verbose(int *argc, char **argv)
{
    return take_flag(argc, argv, "-v");
}

/* argv[i] as a number in [lo, hi], or dflt when absent; exits 2 on a bad
 * value. */
__attribute__((unused))
static long arg_long(int argc, char **argv, int i, long dflt, long lo, long hi)
{
    if (i >= argc)
        return dflt;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*argv[i] == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "%s: argument %d (%s) must be in [%ld, %ld]\n",
                argv[0], i, argv[i], lo, hi);
        exit(2);
    }
    return v;
}

__attribute__((unused))
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64's finaliser: turns page numbers and seeds into well-mixed
 * pattern words, so that a page landing at the wrong place is caught. */
static inline uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Numerical Recipes' 64-bit LCG: the fixed pseudo-random sequence the
 * guests draw orders and subsets from. */
static inline uint64_t lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib computes it).  crc32_update(0, ...)
 * starts a new sum; feeding the previous result continues it. */
static uint32_t crc32_table[256];

__attribute__((unused))
static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
        crc32_table[i] = c;
    }
}

__attribute__((unused))
static uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--)
        crc = crc32_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* write(2)/pread(2) of a whole buffer, retrying short transfers. */
__attribute__((unused))
static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

__attribute__((unused))
static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Creates DIR/faultline-NAME-PID-INDEX (which must not exist) for reading
 * and writing and stores its path in path[PATH_MAX-ish len].  Returns the
 * fd; exits through fail() if it cannot.
 */
__attribute__((unused))
static int create_file(const char *dir, const char *name, long index,
                       char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/faultline-%s-%ld-%ld", dir, name,
             (long)getpid(), index);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        fail("create", "open %s: %s", path, strerror(errno));
    return fd;
}

/*
 * Writes npages pages to fd from its current offset with write(2), page k
 * filled by fill(page, k, ctx), a megabyte per call.
 */
__attribute__((unused))
static void write_pages(int fd, size_t npages,
                        void (*fill)(uint8_t *page, size_t k, void *ctx),
                        void *ctx)
{
    enum { BATCH = MIB / PAGE };
    uint8_t *buf = malloc(BATCH * PAGE);
    if (!buf)
        fail("create", "out of memory");
    for (size_t k = 0; k < npages; k += BATCH) {
        size_t n = npages - k < BATCH ? npages - k : BATCH;
        for (size_t i = 0; i < n; i++)
            fill(buf + i * PAGE, k + i, ctx);
        if (write_full(fd, buf, n * PAGE) != 0)
            fail("create", "write: %s", strerror(errno));
    }
    free(buf);
}

/*
 * A file of npages pages (page k filled by fill), made in DIR as
 * faultline-NAME-PID-0 with write(2), synced, mapped read-only (SHARING is
 * MAP_PRIVATE or MAP_SHARED) with MADV_RANDOM (a fault reads its one page, no
 * read-around), unlinked, every
 * page touched once and the whole mapping paged out with MADV_PAGEOUT, so
 * that each later fault reads its page from the storage device.  Returns the
 * mapping; the file stays open as *fd for further mappings of it.
 */
__attribute__((unused))
static char *map_paged_out(const char *dir, const char *name, size_t npages,
                           void (*fill)(uint8_t *page, size_t k, void *ctx), int *fd,
                           int sharing)
{
    char path[4096];
    *fd = create_file(dir, name, 0, path, sizeof path);
    write_pages(*fd, npages, fill, NULL);
    if (fsync(*fd) != 0)
        fail("fsync", "%s", strerror(errno));
    char *map = mmap(NULL, npages * PAGE, PROT_READ, sharing, *fd, 0);
    if (map == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    unlink(path);
    if (madvise(map, npages * PAGE, MADV_RANDOM) != 0)
        fail("madvise", "MADV_RANDOM: %s", strerror(errno));
    /* Mapped first: Linux pages out only what the range maps. */
    volatile uint64_t sum = 0;
    for (size_t k = 0; k < npages; k++)
        sum += *(volatile uint64_t *)(map + k * PAGE);
    if (madvise(map, npages * PAGE, MADV_PAGEOUT) != 0)
        fprintf(stderr, "%s: MADV_PAGEOUT refused (%s); faults may not read\n", name,
                strerror(errno));
    return map;
}

#endif
