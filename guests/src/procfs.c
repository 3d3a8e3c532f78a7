/* The process's own /proc files, /proc/cpuinfo, /proc/meminfo and the /dev devices
 * as the guest sees them: each check prints "ok NAME" or "FAIL NAME: why"; exit
 * status 1 if any failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

static int failed;

static void check(int ok, const char *name, const char *why)
{
    if (ok) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: %s\n", name, why);
        failed = 1;
    }
}

/* Reads all of `path` into `buf` (NUL-terminated); returns its length or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = 0;
    close(fd);
    return (long)len;
}

/* The number after "Key:" in /proc status text, or -1. */
static long field(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* Whether `maps` has a line whose range holds [lo, hi) and whose name is `name`
 * (which, if `exact`, is also the whole range). */
static int mapped(const char *maps, unsigned long lo, unsigned long hi, const char *name,
                  int exact)
{
    for (const char *l = maps; *l; l = strchr(l, '\n') + 1) {
        unsigned long start, end;
        const char *nl = strchr(l, '\n');
        if (!nl)
            break;
        if (sscanf(l, "%lx-%lx", &start, &end) != 2)
            continue;
        size_t n = strlen(name);
        int named = (size_t)(nl - l) > n && memcmp(nl - n, name, n) == 0 && nl[-(long)n - 1] == ' ';
        if (named && start <= lo && hi <= end && (!exact || (start == lo && end == hi)))
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[65536], other[65536];
    char path[64];

    check(slurp("/proc/self/status", buf, sizeof buf) > 0, "status_open", "cannot read");
    check(field(buf, "\nPid:") == getpid(), "status_pid", "Pid is not getpid()");
    check(field(buf, "\nPPid:") == getppid(), "status_ppid", "PPid is not getppid()");
    check(field(buf, "\nThreads:") == 1, "status_threads", "Threads is not 1");
    check(field(buf, "\nVmRSS:") > 0, "status_vmrss", "no resident memory");
    check(strncmp(buf, "Name:\tprocfs\n", 13) == 0, "status_name", "Name is not procfs");

    snprintf(path, sizeof path, "/proc/%d/status", getpid());
    check(slurp(path, other, sizeof other) > 0 && field(other, "\nPid:") == getpid(),
          "pid_status", "/proc/PID/status differs");

    check(slurp("/proc/self/stat", buf, sizeof buf) > 0, "stat_open", "cannot read");
    snprintf(path, sizeof path, "%d (procfs) R %d ", getpid(), getppid());
    check(strncmp(buf, path, strlen(path)) == 0, "stat_fields", "pid, comm, state or ppid");

    /* maps: an area this program named, its heap and its stack. */
    size_t len_named = 3 * 4096;
    char *area = mmap(NULL, len_named, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int named = area != MAP_FAILED &&
                prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, area, len_named, "procfs-test") == 0;
    char *heap = malloc(100);
    check(slurp("/proc/self/maps", buf, sizeof buf) > 0, "maps_open", "cannot read");
    unsigned long a = (unsigned long)area;
    check(named && mapped(buf, a, a + len_named, "[anon:procfs-test]", 1), "maps_anon_name",
          "no [anon:procfs-test] line for the named area");
    check(heap && mapped(buf, (unsigned long)heap, (unsigned long)heap + 100, "[heap]", 0),
          "maps_heap", "malloc's block is not in [heap]");
    unsigned long sp = (unsigned long)&len_named;
    check(mapped(buf, sp, sp + 1, "[stack]", 0), "maps_stack", "a local is not in [stack]");
    snprintf(path, sizeof path, "/proc/%d/maps", getpid());
    check(slurp(path, other, sizeof other) > 0 && strstr(other, "[anon:procfs-test]"),
          "pid_maps", "/proc/PID/maps differs");
    free(heap);

    /* cmdline: the arguments, each NUL-terminated. */
    long len = slurp("/proc/self/cmdline", buf, sizeof buf);
    long want = 0;
    int same = 1;
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        same = same && want + (long)n <= len && memcmp(buf + want, argv[i], n) == 0;
        want += (long)n;
    }
    check(same && len == want, "cmdline", "not argv");

    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    check(n > 7 && buf[0] == '/' && strcmp(buf + n - 7, "/procfs") == 0, "exe",
          "not the program's absolute path");

    check(slurp("/proc/meminfo", buf, sizeof buf) > 0 && field(buf, "MemTotal:") > 0,
          "meminfo", "no MemTotal");
    check(slurp("/proc/cpuinfo", buf, sizeof buf) > 0 && strstr(buf, "rv64imafdc") != NULL,
          "cpuinfo", "no rv64imafdc");
    check(slurp("/sys/devices/system/cpu/online", buf, sizeof buf) > 0 && buf[0] == '0',
          "cpu_online", "does not start at cpu 0");

    /* A snapshot reads at any offset. */
    int fd = open("/proc/self/status", O_RDONLY);
    char head[5] = {0};
    check(fd >= 0 && pread(fd, head, 4, 0) == 4 && strcmp(head, "Name") == 0 &&
              lseek(fd, 2, SEEK_SET) == 2 && read(fd, head, 2) == 2 &&
              memcmp(head, "me", 2) == 0,
          "status_pread_lseek", "offsets");
    close(fd);

    fd = open("/dev/null", O_RDWR);
    check(fd >= 0 && write(fd, "x", 1) == 1 && read(fd, buf, 1) == 0, "dev_null", "null");
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    buf[0] = 1;
    check(fd >= 0 && read(fd, buf, 8) == 8 && buf[0] == 0, "dev_zero", "zero");
    close(fd);
    fd = open("/dev/full", O_WRONLY);
    check(fd >= 0 && write(fd, "x", 1) == -1 && errno == ENOSPC, "dev_full", "full");
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    check(fd >= 0 && read(fd, buf, 16) == 16, "dev_urandom", "urandom");
    close(fd);
    return failed;
}
