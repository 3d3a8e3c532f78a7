/*
 * majorfault FILE: how long one major fault takes, as the guest sees it.
 *
 * Maps FILE (which must not have been read in this run, so its first page is
 * not in the page cache), reads CLOCK_MONOTONIC, loads the first byte (one
 * major fault: a read from the storage device), reads the clock again, and
 * prints the elapsed nanoseconds, the instructions retired between the reads
 * (rdinstret) and the major faults getrusage counted, so that a test can check
 * the time against `--storage-latency` and the cost model.  The output depends
 * on timing, so the guest is not in the manifest.
 */
#include "guest_util.h"
#include <sys/mman.h>
#include <sys/resource.h>

static inline uint64_t instret(void)
{
    uint64_t n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage", "majorfault FILE");
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0)
        fail("open", "%s: %s", argv[1], strerror(errno));
    volatile const char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    struct rusage r0, r1;
    struct timespec t0, t1;
    getrusage(RUSAGE_SELF, &r0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t i0 = instret();
    char c = p[0];
    uint64_t i1 = instret();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &r1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("elapsed_ns %lld\ninstructions %llu\nmajor_faults %ld\nbyte %d\n", ns,
           (unsigned long long)(i1 - i0), r1.ru_majflt - r0.ru_majflt, c);
    return 0;
}
