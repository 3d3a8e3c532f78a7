/*
 * sched_share NICE_A NICE_B [MS]: how two spinners at the given nice values
 * share one CPU.
 *
 * Two threads set their nice values, wait for a start flag, then count loop
 * iterations until the main thread, which sleeps MS milliseconds (default
 * 200) after raising the flag, sets the stop flag.  Prints the share of
 * spinner A in per mille of all iterations.  Meant for `--clock virtual
 * --cpus 1`, where the shares follow the kernel's nice-to-weight table (1024 at
 * nice 0, 15 at nice 19) and the output repeats exactly; on a host with two
 * CPUs each spinner has its own.  The output depends on timing, so the guest
 * is not in the manifest.
 */
#include "guest_util.h"
#include <sys/resource.h>

struct spinner {
    int nice;
    volatile unsigned long count;
};

static volatile int go, stop;

static void *spin(void *arg)
{
    struct spinner *s = arg;
    if (setpriority(PRIO_PROCESS, 0, s->nice) != 0)
        fail("setpriority", "%d: %s", s->nice, strerror(errno));
    errno = 0;
    int got = getpriority(PRIO_PROCESS, 0);
    if (got != s->nice || errno != 0)
        fail("getpriority", "set %d, got %d", s->nice, got);
    while (!go)
        ;
    while (!stop)
        s->count++;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        fail("usage", "sched_share NICE_A NICE_B [MS]");
    struct spinner s[2] = {{.nice = (int)arg_long(argc, argv, 1, 0, -20, 19)},
                           {.nice = (int)arg_long(argc, argv, 2, 0, -20, 19)}};
    long ms = arg_long(argc, argv, 3, 200, 1, 100000);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        check_pthread(pthread_create(&t[i], NULL, spin, &s[i]), "create");
    go = 1;
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
    stop = 1;
    for (int i = 0; i < 2; i++)
        check_pthread(pthread_join(t[i], NULL), "join");
    unsigned long total = s[0].count + s[1].count;
    if (total == 0)
        fail("share", "no iterations");
    printf("share_permille %lu\n", (s[0].count * 1000 + total / 2) / total);
    return 0;
}
