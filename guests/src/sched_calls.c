/*
 * sched_calls: the scheduling calls as Linux answers them, for the calling
 * thread and for another thread of the process.
 *
 *   bounds     sched_get_priority_max/min for each policy; EINVAL for an
 *              unknown one.
 *   nice       setpriority/getpriority on the caller, clamped to 19; another
 *              thread's nice set by thread id; a new thread inherits its
 *              creator's; ESRCH for no such thread, EINVAL for a bad `which`.
 *   policy     sched_setscheduler/getscheduler/getparam: SCHED_BATCH and back,
 *              a priority the policy does not take and an unknown policy are
 *              EINVAL, a negative pid EINVAL, an unknown one ESRCH.
 *   affinity   sched_getaffinity includes CPU 0; pinning to CPU 0 reads back
 *              as one CPU; an empty mask or one of absent CPUs is EINVAL.
 *
 * Only unprivileged changes (raising nice, the normal policies), so that
 * qemu-user on any host gives the same answers.
 */
#include "guest_util.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void expect_errno(long rc, int err, const char *what)
{
    if (rc != -1 || errno != err)
        fail(what, "returned %ld, errno %d (%s); expected errno %d", rc, errno,
             strerror(errno), err);
}

static int nice_of(pid_t tid)
{
    errno = 0;
    int n = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno != 0)
        fail("getpriority", "%s", strerror(errno));
    return n;
}

static pthread_barrier_t step;
static volatile pid_t worker_tid;

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = gettid_();
    pthread_barrier_wait(&step); /* 1: the main thread knows our tid */
    pthread_barrier_wait(&step); /* 2: it has set our nice */
    if (nice_of(0) != 7)
        fail("nice", "another thread set 7, read %d", nice_of(0));
    return NULL;
}

static void *child_of_nice(void *arg)
{
    *(int *)arg = nice_of(0);
    return NULL;
}

static void bounds(void)
{
    if (sched_get_priority_max(SCHED_FIFO) != 99 || sched_get_priority_min(SCHED_FIFO) != 1
        || sched_get_priority_max(SCHED_RR) != 99 || sched_get_priority_min(SCHED_RR) != 1
        || sched_get_priority_max(SCHED_OTHER) != 0 || sched_get_priority_min(SCHED_BATCH) != 0)
        fail("bounds", "wrong priority range");
    expect_errno(sched_get_priority_max(42), EINVAL, "bounds max(42)");
    printf("ok bounds\n");
}

static void nice_values(void)
{
    pthread_t t;
    check_pthread(pthread_barrier_init(&step, NULL, 2), "barrier_init");
    check_pthread(pthread_create(&t, NULL, worker, NULL), "create");
    pthread_barrier_wait(&step);
    if (setpriority(PRIO_PROCESS, (id_t)worker_tid, 7) != 0)
        fail("nice", "setpriority on tid: %s", strerror(errno));
    if (nice_of(worker_tid) != 7 || nice_of(0) != 0)
        fail("nice", "worker %d, self %d", nice_of(worker_tid), nice_of(0));
    pthread_barrier_wait(&step);
    check_pthread(pthread_join(t, NULL), "join");
    if (setpriority(PRIO_PROCESS, 0, 5) != 0 || nice_of(0) != 5)
        fail("nice", "set 5, read %d", nice_of(0));
    if (setpriority(PRIO_PROCESS, 0, 100) != 0 || nice_of(0) != 19)
        fail("nice", "set 100, read %d (not clamped to 19)", nice_of(0));
    int inherited = -1;
    check_pthread(pthread_create(&t, NULL, child_of_nice, &inherited), "create");
    check_pthread(pthread_join(t, NULL), "join");
    if (inherited != 19)
        fail("nice", "a thread created at nice 19 has %d", inherited);
    expect_errno(setpriority(PRIO_PROCESS, 999999, 0), ESRCH, "nice unknown tid");
    expect_errno(setpriority(5, 0, 0), EINVAL, "nice which 5");
    printf("ok nice\n");
}

static void policy(void)
{
    struct sched_param p = {0};
    if (sched_getscheduler(0) != SCHED_OTHER)
        fail("policy", "starts as %d", sched_getscheduler(0));
    if (sched_setscheduler(0, SCHED_BATCH, &p) != 0 || sched_getscheduler(0) != SCHED_BATCH)
        fail("policy", "SCHED_BATCH: %s", strerror(errno));
    if (sched_setscheduler(0, SCHED_OTHER, &p) != 0 || sched_getscheduler(0) != SCHED_OTHER)
        fail("policy", "back to SCHED_OTHER: %s", strerror(errno));
    p.sched_priority = 1;
    expect_errno(sched_setscheduler(0, SCHED_OTHER, &p), EINVAL, "policy OTHER priority 1");
    expect_errno(sched_setparam(0, &p), EINVAL, "policy setparam 1");
    p.sched_priority = 0;
    expect_errno(sched_setscheduler(0, 42, &p), EINVAL, "policy 42");
    expect_errno(sched_getscheduler(-1), EINVAL, "policy pid -1");
    expect_errno(sched_getscheduler(999999), ESRCH, "policy unknown pid");
    p.sched_priority = 5;
    if (sched_getparam(0, &p) != 0 || p.sched_priority != 0)
        fail("policy", "getparam: priority %d", p.sched_priority);
    printf("ok policy\n");
}

static void affinity(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0 || !CPU_ISSET(0, &set))
        fail("affinity", "CPU 0 not in the mask: %s", strerror(errno));
    cpu_set_t all = set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        fail("affinity", "pin to CPU 0: %s", strerror(errno));
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) != 1
        || !CPU_ISSET(0, &set))
        fail("affinity", "pinned mask has %d CPUs", CPU_COUNT(&set));
    CPU_ZERO(&set);
    expect_errno(sched_setaffinity(0, sizeof(set), &set), EINVAL, "affinity empty");
    CPU_SET(1000, &set);
    expect_errno(sched_setaffinity(0, sizeof(set), &set), EINVAL, "affinity CPU 1000");
    if (sched_setaffinity(0, sizeof(all), &all) != 0)
        fail("affinity", "restore: %s", strerror(errno));
    printf("ok affinity\n");
}

int main(void)
{
    bounds();
    nice_values();
    policy();
    affinity();
    printf("sched_calls: all ok\n");
    return 0;
}
