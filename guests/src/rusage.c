/*
 * rusage: getrusage reports real figures.
 *
 *   faults    touching fresh pages counts minor faults for the process and
 *             for the thread.
 *   cpu_time  a busy loop shows as user time; ru_maxrss is not zero.
 *   children  RUSAGE_CHILDREN is all zero without children; an unknown
 *             `who` is EINVAL.
 */
#include "guest_util.h"
#include <sys/mman.h>
#include <sys/resource.h>

#define PAGES 1000

static long cpu_us(const struct rusage *ru)
{
    return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000L + ru->ru_utime.tv_usec
           + ru->ru_stime.tv_usec;
}

int main(void)
{
    struct rusage self0, thread0, self1, thread1;
    getrusage(RUSAGE_SELF, &self0);
    getrusage(RUSAGE_THREAD, &thread0);
    char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    for (int i = 0; i < PAGES; i++)
        p[(size_t)i * PAGE] = 1;
    getrusage(RUSAGE_SELF, &self1);
    getrusage(RUSAGE_THREAD, &thread1);
    if (self1.ru_minflt - self0.ru_minflt < PAGES || thread1.ru_minflt - thread0.ru_minflt < PAGES)
        fail("faults", "process %ld, thread %ld minor faults for %d pages",
             self1.ru_minflt - self0.ru_minflt, thread1.ru_minflt - thread0.ru_minflt, PAGES);
    printf("ok faults\n");

    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 50000000UL; i++)
        x += i;
    getrusage(RUSAGE_SELF, &self1);
    if (cpu_us(&self1) <= cpu_us(&self0) || self1.ru_maxrss <= 0)
        fail("cpu_time", "cpu %ld us -> %ld us, maxrss %ld", cpu_us(&self0), cpu_us(&self1),
             self1.ru_maxrss);
    printf("ok cpu_time\n");

    struct rusage kids;
    memset(&kids, 0xff, sizeof(kids));
    getrusage(RUSAGE_CHILDREN, &kids);
    if (kids.ru_minflt != 0 || cpu_us(&kids) != 0)
        fail("children", "non-zero figures");
    if (getrusage(42, &kids) != -1 || errno != EINVAL)
        fail("children", "who 42 accepted");
    printf("ok children\n");
    printf("rusage: all ok\n");
    return 0;
}
