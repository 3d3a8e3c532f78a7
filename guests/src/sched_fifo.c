/*
 * sched_fifo: a SCHED_FIFO thread preempts normal threads at once.
 *
 * Two spinner threads at nice 19 count loop iterations for ever.  Once both
 * have run, a third thread makes itself SCHED_FIFO (priority 50) and sleeps
 * 5 ms with an absolute clock_nanosleep.  When it wakes it prints how late it
 * woke (its run-time latency: now minus the deadline), then does a fixed
 * amount of work and prints how far the spinners got meanwhile.  Meant for
 * `--clock virtual --cpus 1`, where the latency is the cost of the wake-up and
 * the spinners make no progress while the real-time thread runs.  The output
 * depends on timing, so the guest is not in the manifest.
 */
#include "guest_util.h"
#include <sched.h>
#include <sys/resource.h>

#define SPINNERS 2
#define SLEEP_NS (5 * 1000 * 1000)
#define WORK 1000000

static volatile unsigned long progress[SPINNERS];
static volatile int stop;

static unsigned long total_progress(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < SPINNERS; i++)
        sum += progress[i];
    return sum;
}

static void *spin(void *arg)
{
    volatile unsigned long *mine = arg;
    if (setpriority(PRIO_PROCESS, 0, 19) != 0)
        fail("setpriority", "%s", strerror(errno));
    while (!stop)
        (*mine)++;
    return NULL;
}

static void *realtime(void *arg)
{
    (void)arg;
    struct sched_param sp = {.sched_priority = 50};
    check_pthread(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp), "setschedparam");
    int policy;
    check_pthread(pthread_getschedparam(pthread_self(), &policy, &sp), "getschedparam");
    if (policy != SCHED_FIFO || sp.sched_priority != 50)
        fail("getschedparam", "policy %d priority %d", policy, sp.sched_priority);
    struct timespec deadline, woke;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += SLEEP_NS;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    if (rc != 0)
        fail("clock_nanosleep", "%s", strerror(rc));
    clock_gettime(CLOCK_MONOTONIC, &woke);
    unsigned long before = total_progress();
    volatile unsigned long work = 0;
    for (unsigned long i = 0; i < WORK; i++)
        work += i;
    unsigned long during = total_progress() - before;
    long long late = (woke.tv_sec - deadline.tv_sec) * 1000000000LL
                     + (woke.tv_nsec - deadline.tv_nsec);
    printf("wakeup_latency_ns %lld\nspinner_progress_during %lu\n", late, during);
    return NULL;
}

int main(void)
{
    pthread_t spinners[SPINNERS], rt;
    for (int i = 0; i < SPINNERS; i++)
        check_pthread(pthread_create(&spinners[i], NULL, spin, (void *)&progress[i]),
                      "create spinner");
    for (int i = 0; i < SPINNERS; i++)
        while (progress[i] == 0)
            sched_yield();
    check_pthread(pthread_create(&rt, NULL, realtime, NULL), "create realtime");
    check_pthread(pthread_join(rt, NULL), "join realtime");
    stop = 1;
    for (int i = 0; i < SPINNERS; i++)
        check_pthread(pthread_join(spinners[i], NULL), "join spinner");
    printf("spinners_ran %s\n", total_progress() > 0 ? "yes" : "no");
    return 0;
}
