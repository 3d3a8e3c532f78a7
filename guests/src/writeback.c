/*
 * writeback: buffered write(2) through the page cache, and write-back.
 *
 * Usage: writeback DIR coherence     write(2) then read through a MAP_SHARED
 *                                    mapping and the other way round, no msync
 *        writeback DIR partial       pwrite 3 bytes into page 1 of an existing
 *                                    DIR/wb.dat (4 pages, byte i = (i*7+3)%251)
 *                                    and check the rest of the page is kept
 *        writeback DIR append T N [SIZE]  T threads each append N records of
 *                                    SIZE bytes (default 64) to DIR/wb.dat
 *                                    (O_APPEND), one write(2) each; check none
 *                                    is lost or torn and each thread's are in
 *                                    order
 *        writeback DIR big MIB       write MIB MiB to DIR/wb.dat in 64 KiB
 *                                    writes (word w = w ^ 0x5a5a5a5a), then
 *                                    read it back and check it
 *        writeback DIR hold HOW MS   write 16 pages of 0xAB to DIR/wb.dat, then
 *                                    HOW (none, fsync, fdatasync, sync, osync:
 *                                    opened O_SYNC), print "writeback: written",
 *                                    sleep MS ms and exit (the test looks at the
 *                                    host file meanwhile)
 *        writeback DIR mapstore MS END  make DIR/wb.dat 16 pages long, store
 *                                    0xCD into all of it through a MAP_SHARED
 *                                    mapping, print "writeback: stored", sleep
 *                                    MS ms and end without msync or munmap: END
 *                                    is exit (exit_group) or abort (SIGABRT)
 *        writeback DIR reread N      pread(2) page 0 of DIR/wb.dat (which must
 *                                    exist) N times, all hits after the first;
 *                                    print "writeback: reread N" and the time per
 *                                    read on stderr
 *        writeback DIR watch         map DIR/wb.dat (which a host process
 *                                    changes) MAP_SHARED; at each line on
 *                                    stdin print what read(2), fstat and the
 *                                    mapping see: its size, its first byte and
 *                                    the byte at 4096 by read(2) and by the
 *                                    mapping (SIGBUS shown as "bus")
 *
 * Each mode prints one line saying what it did, or "writeback: FAIL ..." and
 * exits 1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static void fail(const char *what)
{
    printf("writeback: FAIL %s\n", what);
    exit(1);
}

static void coherence(const char *file)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("open");
    char page[PAGE];
    for (int p = 0; p < 3; p++) {
        memset(page, 'a' + p, PAGE);
        if (write(fd, page, PAGE) != PAGE)
            fail("write");
    }
    char *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        fail("mmap");
    if (m[0] != 'a' || m[PAGE + 7] != 'b' || m[3 * PAGE - 1] != 'c')
        fail("mapping does not show write(2)");
    /* A write after the page is mapped shows at once in the mapping. */
    if (pwrite(fd, "HELLO", 5, PAGE + 100) != 5 || memcmp(m + PAGE + 100, "HELLO", 5) != 0)
        fail("pwrite not visible in the mapping");
    /* A store shows at once to read(2), without msync. */
    memcpy(m + 2 * PAGE + 200, "STORE", 5);
    char got[5];
    if (pread(fd, got, 5, 2 * PAGE + 200) != 5 || memcmp(got, "STORE", 5) != 0)
        fail("store not visible to pread");
    /* A write past the end grows the file for every call at once. */
    if (lseek(fd, 0, SEEK_END) != 3 * PAGE || write(fd, "tail", 4) != 4)
        fail("append");
    if (lseek(fd, 0, SEEK_END) != 3 * PAGE + 4 || pread(fd, got, 4, 3 * PAGE) != 4 ||
        memcmp(got, "tail", 4) != 0)
        fail("size after a write past the end");
    munmap(m, 3 * PAGE);
    close(fd);
    printf("writeback: coherence ok\n");
}

static unsigned char pattern(long i)
{
    return (unsigned char)((i * 7 + 3) % 251);
}

static void partial(const char *file)
{
    int fd = open(file, O_RDWR);
    if (fd < 0)
        fail("open");
    if (pwrite(fd, "XYZ", 3, PAGE + 1000) != 3)
        fail("pwrite");
    unsigned char page[PAGE];
    if (pread(fd, page, PAGE, PAGE) != PAGE)
        fail("pread");
    for (long i = 0; i < PAGE; i++) {
        unsigned char want = i >= 1000 && i < 1003 ? "XYZ"[i - 1000] : pattern(PAGE + i);
        if (page[i] != want)
            fail("the rest of the page was not kept");
    }
    close(fd);
    printf("writeback: partial ok\n");
}

static int append_fd;
static long append_n, record;

/* Record r of thread t: its header, then the thread's letter, then a newline. */
static void fill_record(char *rec, long t, long r)
{
    memset(rec, 'a' + (int)t, (size_t)record);
    int n = snprintf(rec, (size_t)record, "thread %ld record %ld", t, r);
    rec[n] = ' ';
    rec[record - 1] = '\n';
}

static void *appender(void *arg)
{
    long t = (long)arg;
    char *rec = malloc((size_t)record);
    if (!rec)
        fail("malloc");
    for (long r = 0; r < append_n; r++) {
        fill_record(rec, t, r);
        if (write(append_fd, rec, (size_t)record) != record)
            fail("append write");
    }
    free(rec);
    return NULL;
}

static void append(const char *file, long threads, long n, long size)
{
    if (threads < 1 || threads > 16 || n < 1 || size < 32)
        fail("append arguments");
    record = size;
    unlink(file);
    append_fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (append_fd < 0)
        fail("open");
    append_n = n;
    pthread_t t[16];
    for (long i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, appender, (void *)i) != 0)
            fail("pthread_create");
    for (long i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    close(append_fd);
    int fd = open(file, O_RDONLY);
    long next[16] = {0};
    char *rec = malloc((size_t)record), *want = malloc((size_t)record);
    long records = 0;
    while (read(fd, rec, (size_t)record) == record) {
        long th, r;
        if (sscanf(rec, "thread %ld record %ld", &th, &r) != 2 || th < 0 || th >= threads)
            fail("torn record");
        fill_record(want, th, r);
        if (memcmp(rec, want, (size_t)record) != 0)
            fail("torn record");
        if (r != next[th]++)
            fail("records out of order");
        records++;
    }
    if (records != threads * n)
        fail("records lost");
    close(fd);
    printf("writeback: append %ld %ld ok\n", threads, n);
}

#define CHUNK (64 * 1024)

static void big(const char *file, long mib)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("open");
    static uint32_t buf[CHUNK / 4];
    long chunks = mib * (1024 * 1024 / CHUNK);
    for (long c = 0; c < chunks; c++) {
        for (long w = 0; w < CHUNK / 4; w++)
            buf[w] = (uint32_t)(c * (CHUNK / 4) + w) ^ 0x5a5a5a5a;
        if (write(fd, buf, CHUNK) != CHUNK)
            fail("write");
    }
    if (lseek(fd, 0, SEEK_SET) != 0)
        fail("lseek");
    for (long c = 0; c < chunks; c++) {
        if (read(fd, buf, CHUNK) != CHUNK)
            fail("read back");
        for (long w = 0; w < CHUNK / 4; w++)
            if (buf[w] != ((uint32_t)(c * (CHUNK / 4) + w) ^ 0x5a5a5a5a))
                fail("read back differs");
    }
    close(fd);
    printf("writeback: wrote %ld MiB\n", mib);
}

static void hold(const char *file, const char *how, long ms)
{
    int osync = strcmp(how, "osync") == 0;
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | (osync ? O_SYNC : 0), 0600);
    if (fd < 0)
        fail("open");
    char page[PAGE];
    memset(page, 0xAB, PAGE);
    for (int p = 0; p < 16; p++)
        if (write(fd, page, PAGE) != PAGE)
            fail("write");
    if (strcmp(how, "fsync") == 0 && fsync(fd) != 0)
        fail("fsync");
    if (strcmp(how, "fdatasync") == 0 && fdatasync(fd) != 0)
        fail("fdatasync");
    if (strcmp(how, "sync") == 0)
        sync();
    printf("writeback: written\n");
    fflush(stdout);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    close(fd);
}

static void mapstore(const char *file, long ms, const char *end)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 16 * PAGE) != 0)
        fail("open");
    char *m = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        fail("mmap");
    memset(m, 0xCD, 16 * PAGE);
    printf("writeback: stored\n");
    fflush(stdout);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    if (strcmp(end, "abort") == 0)
        abort();
    _exit(0);
}

static void reread(const char *file, long n)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        fail("open");
    char page[PAGE];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++)
        if (pread(fd, page, PAGE, 0) < 0)
            fail("pread");
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("writeback: reread %ld\n", n);
    fprintf(stderr, "writeback: %.0f ns per 4 KiB pread\n", n ? ns / n : 0.0);
}

static sigjmp_buf bus_jump;

static void on_bus(int sig)
{
    (void)sig;
    siglongjmp(bus_jump, 1);
}

/* The byte at `at` of the mapping, or -1 for a SIGBUS. */
static int mapped_byte(volatile const char *m, long at)
{
    if (sigsetjmp(bus_jump, 1))
        return -1;
    return (unsigned char)m[at];
}

static void show(const char *what, int byte)
{
    if (byte < 0)
        printf(" %s=bus", what);
    else if (byte == 256)
        printf(" %s=eof", what);
    else
        printf(" %s=%c", what, byte);
}

static void watch(const char *file)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        fail("open");
    const char *m = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        fail("mmap");
    struct sigaction sa = {0};
    sa.sa_handler = on_bus;
    sigaction(SIGBUS, &sa, NULL);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        struct stat st;
        if (fstat(fd, &st) != 0)
            fail("fstat");
        printf("writeback: size=%ld", (long)st.st_size);
        for (long at = 0; at <= PAGE; at += PAGE) {
            char c;
            ssize_t n = pread(fd, &c, 1, at);
            if (n < 0)
                fail("pread");
            show(at ? "read4096" : "read0", n ? (unsigned char)c : 256);
            show(at ? "map4096" : "map0", mapped_byte(m, at));
        }
        printf("\n");
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3)
        fail("usage: writeback DIR MODE ...");
    char file[4096];
    snprintf(file, sizeof file, "%s/wb.dat", argv[1]);
    const char *mode = argv[2];
    if (strcmp(mode, "coherence") == 0)
        coherence(file);
    else if (strcmp(mode, "partial") == 0)
        partial(file);
    else if (strcmp(mode, "append") == 0 && argc > 4)
        append(file, atol(argv[3]), atol(argv[4]), argc > 5 ? atol(argv[5]) : 64);
    else if (strcmp(mode, "big") == 0 && argc > 3)
        big(file, atol(argv[3]));
    else if (strcmp(mode, "hold") == 0 && argc > 4)
        hold(file, argv[3], atol(argv[4]));
    else if (strcmp(mode, "mapstore") == 0 && argc > 4)
        mapstore(file, atol(argv[3]), argv[4]);
    else if (strcmp(mode, "reread") == 0 && argc > 3)
        reread(file, atol(argv[3]));
    else if (strcmp(mode, "watch") == 0)
        watch(file);
    else
        fail("unknown mode");
    return 0;
}
