/*
 * inject: what a timed injection (faultline run --inject) does to a program,
 * as the program sees it.
 *
 *   inject faults FILE WAIT_MS PAUSE_MS keep|unmap
 *       sleeps WAIT_MS, maps FILE and reads one byte of each of its pages
 *       (pass 1), then sleeps PAUSE_MS (with the mapping unmapped meanwhile
 *       for `unmap`) and reads every page again (pass 2).  For each pass it
 *       prints the major faults getrusage counted and the elapsed
 *       CLOCK_MONOTONIC nanoseconds: a stall or a slower device shows in a
 *       pass's time, dropped or reclaimed pages as pass 2's major faults.
 *
 *   inject signal NAME WAIT_MS
 *       names itself NAME (prctl PR_SET_NAME), catches SIGUSR1 and SIGUSR2,
 *       and sleeps 1 ms at a time for up to WAIT_MS; prints the signal its
 *       handler saw and when (ms since it started waiting), or that none came.
 *
 * The output depends on timing, so the guest is not in the manifest.
 */
#include "guest_util.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec req = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&req, &req) != 0)
        if (errno != EINTR)
            fail("nanosleep", "%s", strerror(errno));
}

static long major_faults(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_majflt;
}

static volatile const char *map_file(int fd, size_t len)
{
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    return p;
}

static void pass(int n, volatile const char *p, size_t len)
{
    long m0 = major_faults();
    long long t0 = mono_ns();
    unsigned sum = 0;
    for (size_t off = 0; off < len; off += PAGE)
        sum += (unsigned char)p[off];
    long long t1 = mono_ns();
    long m1 = major_faults();
    printf("pass%d major_faults %ld elapsed_ns %lld sum %u\n", n, m1 - m0, t1 - t0, sum);
}

static int faults(char **argv)
{
    const char *path = argv[0];
    long wait_ms = atol(argv[1]), pause_ms = atol(argv[2]);
    int unmap = strcmp(argv[3], "unmap") == 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open", "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0)
        fail("fstat", "%s: empty or unreadable", path);
    size_t len = (size_t)st.st_size;
    sleep_ms(wait_ms);
    volatile const char *p = map_file(fd, len);
    pass(1, p, len);
    if (unmap)
        munmap((void *)p, len);
    sleep_ms(pause_ms);
    if (unmap)
        p = map_file(fd, len);
    pass(2, p, len);
    return 0;
}

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    caught = sig;
}

static int signal_wait(char **argv)
{
    long wait_ms = atol(argv[1]);
    if (prctl(PR_SET_NAME, argv[0], 0, 0, 0) != 0)
        fail("prctl", "%s", strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    long long t0 = mono_ns();
    for (long i = 0; i < wait_ms && !caught; i++)
        sleep_ms(1);
    if (caught)
        printf("handled signal %d after_ms %lld\n", (int)caught, (mono_ns() - t0) / 1000000);
    else
        printf("no signal\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "faults") == 0)
        return faults(argv + 2);
    if (argc == 4 && strcmp(argv[1], "signal") == 0)
        return signal_wait(argv + 2);
    fail("usage", "inject faults FILE WAIT_MS PAUSE_MS keep|unmap | inject signal NAME WAIT_MS");
}
