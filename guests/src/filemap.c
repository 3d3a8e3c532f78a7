/*
 * filemap: file mappings through the page cache.
 *
 * Usage: filemap DIR PAGES        check coherence and print "filemap: ok PAGES"
 *        filemap DIR PAGES touch  map an existing DIR/filemap.dat and read one
 *                                 byte per page (for SIGBUS on a failed read)
 *        filemap DIR PAGES touch-idle  the same in the idle I/O class
 *                                 (ioprio_set), so the reads carry it
 *        filemap DIR PAGES read   read(2) an existing DIR/filemap.dat a page at
 *                                 a time and print how it went
 *        filemap DIR PAGES thrash T R  T threads each read one byte per page of
 *                                 a shared mapping of DIR/filemap.dat, R rounds,
 *                                 each thread starting at its own page
 *        filemap DIR 0 eof        touch a mapped page past the end of a file
 *        filemap DIR 0 truncate   the same after ftruncate shrank a mapped file
 *        filemap DIR 0 special    read /proc/self/status, map /dev/zero
 *        filemap DIR 0 path-truncate  write two pages with write(2) (dirty in
 *                                 the cache), truncate(2) the path to 0 and back
 *                                 to two pages: both must read back as zeros
 *
 * The coherence check writes a file of PAGES pages with write(2), reads it
 * through a MAP_SHARED mapping (one major fault per read-around window),
 * stores a marker into every page through the mapping, and checks that
 * msync makes the markers visible to pread, that pwrite is visible in the
 * mapping, that MAP_PRIVATE stores stay private, that after munmap the
 * file read back with read(2) has every marker, and that O_TRUNC leaves no
 * old page behind.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <errno.h>
#include <unistd.h>

#define PAGE 4096

static void fail(const char *what)
{
    printf("filemap: FAIL %s\n", what);
    exit(1);
}

static unsigned char pattern(long page, long i)
{
    return (unsigned char)(page * 31 + i * 7);
}

static void check_coherence(const char *file, long pages)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("open");
    unsigned char buf[PAGE];
    for (long p = 0; p < pages; p++) {
        for (long i = 0; i < PAGE; i++)
            buf[i] = pattern(p, i);
        if (write(fd, buf, PAGE) != PAGE)
            fail("write");
    }
    size_t len = (size_t)pages * PAGE;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        fail("mmap shared");
    for (long p = 0; p < pages; p++)
        if (m[p * PAGE + 5] != pattern(p, 5))
            fail("mapped bytes differ from the file");
    for (long p = 0; p < pages; p++)
        snprintf((char *)m + p * PAGE, 32, "page %ld", p);
    if (msync(m, len, MS_SYNC) != 0)
        fail("msync");
    char got[32];
    if (pread(fd, got, sizeof got, (off_t)(pages - 1) * PAGE) != sizeof got)
        fail("pread");
    char want[32];
    snprintf(want, sizeof want, "page %ld", pages - 1);
    if (strcmp(got, want) != 0)
        fail("shared store not in the file after msync");
    if (pwrite(fd, "PWRITE", 6, 100) != 6 || memcmp(m + 100, "PWRITE", 6) != 0)
        fail("pwrite not visible in the mapping");
    /* A store without msync is seen by read(2). */
    memcpy(m + PAGE + 200, "UNSYNCED", 8);
    if (pread(fd, got, 8, PAGE + 200) != 8 || memcmp(got, "UNSYNCED", 8) != 0)
        fail("read(2) does not see a dirty mapped page");

    unsigned char *priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (priv == MAP_FAILED)
        fail("mmap private");
    if (memcmp(priv + 100, "PWRITE", 6) != 0)
        fail("private mapping does not show the file");
    memcpy(priv + 300, "PRIVATE", 7);
    if (memcmp(m + 300, "PRIVATE", 7) == 0)
        fail("private store leaked into the shared mapping");
    if (munmap(priv, len) != 0 || munmap(m, len) != 0)
        fail("munmap");
    close(fd);

    fd = open(file, O_RDONLY);
    for (long p = 0; p < pages; p++) {
        if (read(fd, buf, PAGE) != PAGE)
            fail("read back");
        snprintf(want, sizeof want, "page %ld", p);
        if (strcmp((char *)buf, want) != 0 || buf[PAGE - 1] != pattern(p, PAGE - 1))
            fail("file content after munmap");
    }
    close(fd);

    /* O_TRUNC empties the file: a hole read afterwards is zeroes, not old pages. */
    fd = open(file, O_RDWR | O_TRUNC);
    if (fd < 0 || lseek(fd, 2 * PAGE, SEEK_SET) != 2 * PAGE || write(fd, "z", 1) != 1)
        fail("O_TRUNC rewrite");
    if (pread(fd, got, 8, 10) != 8 || memcmp(got, "\0\0\0\0\0\0\0\0", 8) != 0)
        fail("cached pages survived O_TRUNC");
    close(fd);
    unlink(file);
    printf("filemap: ok %ld\n", pages);
}

static void touch(const char *file, long pages)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        fail("open");
    volatile unsigned char *m = mmap(NULL, (size_t)pages * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        fail("mmap");
    unsigned sum = 0;
    for (long p = 0; p < pages; p++)
        sum += m[p * PAGE];
    printf("filemap: touched %ld pages (%u)\n", pages, sum & 1);
}

static void read_pages(const char *file, long pages)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        fail("open");
    unsigned char buf[PAGE];
    for (long p = 0; p < pages; p++) {
        ssize_t n = read(fd, buf, PAGE);
        if (n < 0) {
            printf("filemap: read failed: %s\n", errno == EIO ? "EIO" : "other");
            return;
        }
    }
    printf("filemap: read %ld pages\n", pages);
}

static volatile unsigned char *thrash_map;
static long thrash_pages, thrash_rounds, thrash_threads;

static void *thrash_worker(void *arg)
{
    long id = (long)arg;
    unsigned sum = 0;
    for (long r = 0; r < thrash_rounds; r++)
        for (long i = 0; i < thrash_pages; i++)
            sum += thrash_map[((i + id * thrash_pages / thrash_threads) % thrash_pages) * PAGE];
    return (void *)(long)(sum & 1);
}

static void thrash(const char *file, long pages, long threads, long rounds)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0 || threads < 1 || threads > 64)
        fail("thrash arguments");
    thrash_map = mmap(NULL, (size_t)pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    if (thrash_map == MAP_FAILED)
        fail("mmap");
    thrash_pages = pages;
    thrash_rounds = rounds;
    thrash_threads = threads;
    pthread_t t[64];
    for (long i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, thrash_worker, (void *)i) != 0)
            fail("pthread_create");
    for (long i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("filemap: %ld threads read %ld pages %ld times\n", threads, pages, rounds);
}

static void special(void)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        fail("/proc/self/status reads empty");
    buf[n] = 0;
    if (strncmp(buf, "Name:", 5) != 0 || memchr(buf, 0, (size_t)n) != NULL)
        fail("/proc/self/status contents");
    close(fd);
    fd = open("/dev/zero", O_RDWR);
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (fd < 0 || p == MAP_FAILED || p[PAGE] != 0)
        fail("/dev/zero mapping");
    p[1] = 1;
    printf("filemap: special files ok\n");
}

static void past_eof(const char *file, int truncate)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "x", 1) != 1)
        fail("create");
    if (truncate && ftruncate(fd, 2 * PAGE) != 0)
        fail("grow");
    volatile char *m = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        fail("mmap");
    unlink(file);
    if (m[0] != 'x')
        fail("first page");
    if (truncate && (m[PAGE] != 0 || ftruncate(fd, 1) != 0))
        fail("shrink");
    printf("filemap: touching past the end\n");
    fflush(stdout);
    (void)m[PAGE];
    fail("no SIGBUS past the end of the file");
}

static void path_truncate(const char *file)
{
    char page[PAGE];
    memset(page, 'A', PAGE);
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, page, PAGE) != PAGE || write(fd, page, PAGE) != PAGE)
        fail("write");
    if (truncate(file, 0) != 0 || truncate(file, 2 * PAGE) != 0)
        fail("truncate");
    for (int p = 0; p < 2; p++) {
        if (pread(fd, page, PAGE, p * PAGE) != PAGE)
            fail("pread");
        for (int i = 0; i < PAGE; i++)
            if (page[i] != 0)
                fail("a byte truncate(2) cut came back");
    }
    close(fd);
    printf("filemap: truncate(2) ok\n");
}

int main(int argc, char **argv)
{
    if (argc < 3)
        fail("usage: filemap DIR PAGES [touch|eof]");
    char file[4096];
    snprintf(file, sizeof file, "%s/filemap.dat", argv[1]);
    long pages = atol(argv[2]);
    if (argc > 3 && strcmp(argv[3], "touch") == 0)
        touch(file, pages);
    else if (argc > 3 && strcmp(argv[3], "touch-idle") == 0) {
        /* IOPRIO_WHO_PROCESS, this thread, IOPRIO_CLASS_IDLE << 13. */
        if (syscall(SYS_ioprio_set, 1, 0, 3 << 13) != 0 ||
            syscall(SYS_ioprio_get, 1, 0) != 3 << 13)
            fail("ioprio_set");
        touch(file, pages);
    }
    else if (argc > 5 && strcmp(argv[3], "thrash") == 0)
        thrash(file, pages, atol(argv[4]), atol(argv[5]));
    else if (argc > 3 && strcmp(argv[3], "read") == 0)
        read_pages(file, pages);
    else if (argc > 3 && strcmp(argv[3], "eof") == 0)
        past_eof(file, 0);
    else if (argc > 3 && strcmp(argv[3], "truncate") == 0)
        past_eof(file, 1);
    else if (argc > 3 && strcmp(argv[3], "special") == 0)
        special();
    else if (argc > 3 && strcmp(argv[3], "path-truncate") == 0)
        path_truncate(file);
    else
        check_coherence(file, pages);
    return 0;
}
