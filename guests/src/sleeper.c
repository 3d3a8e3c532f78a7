/*
 * sleeper: how long a 10 ms nanosleep takes, as the guest sees it.
 *
 * Reads CLOCK_MONOTONIC, sleeps 10 ms with nanosleep, reads it again, and
 * prints the elapsed nanoseconds and the instructions retired between the two
 * reads (rdinstret), so that a test under the virtual clock can compute the
 * exact expected time from the cost model.  The output depends on timing, so
 * the guest is not in the manifest.
 */
#include "guest_util.h"

static inline uint64_t instret(void)
{
    uint64_t n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

int main(void)
{
    struct timespec req = {0, 10 * 1000 * 1000}, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t i0 = instret();
    if (nanosleep(&req, NULL) != 0)
        fail("nanosleep", "%s", strerror(errno));
    uint64_t i1 = instret();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("elapsed_ns %lld\ninstructions %llu\n", ns, (unsigned long long)(i1 - i0));
    return 0;
}
