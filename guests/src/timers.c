/*
 * timers: timers that signal.
 *
 * Each check prints "ok <check>"; the first mismatch prints "FAIL <check>: ..."
 * and exits 1.
 *   itimer_periodic  setitimer(ITIMER_REAL) with an interval sends SIGALRM
 *                    again and again until disarmed.
 *   itimer_read      getitimer and alarm report the time left.
 *   posix_signal     timer_create(SIGEV_SIGNAL) sends its signal with
 *                    SI_TIMER and the sigev_value.
 *   posix_gettime    timer_gettime reports the time left and the interval; a
 *                    deleted timer is gone.
 *   posix_abstime    TIMER_ABSTIME on CLOCK_REALTIME fires at that time.
 *   posix_thread_id  SIGEV_THREAD_ID sends to the thread named.
 *   posix_overrun    expiries while the timer's signal waits are counted as
 *                    its overrun, not queued; timer_getoverrun agrees.
 */
#include "guest_util.h"
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/time.h>

static atomic_int alarms;

static void on_alarm(int sig)
{
    (void)sig;
    atomic_fetch_add(&alarms, 1);
}

static void block(int sig, sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, sig);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

static void check_itimer_periodic(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    sigset_t set, none;
    block(SIGALRM, &set);
    sigemptyset(&none);
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    if (setitimer(ITIMER_REAL, &it, NULL) != 0)
        fail("itimer_periodic", "setitimer: %s", strerror(errno));
    while (atomic_load(&alarms) < 3)
        sigsuspend(&none);
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    getitimer(ITIMER_REAL, &it);
    if (it.it_value.tv_sec != 0 || it.it_value.tv_usec != 0)
        fail("itimer_periodic", "still armed after disarming");
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    printf("ok itimer_periodic\n");
}

static void check_itimer_read(void)
{
    struct itimerval it = { { 1, 0 }, { 10, 0 } }, got;
    setitimer(ITIMER_REAL, &it, NULL);
    getitimer(ITIMER_REAL, &got);
    if (got.it_value.tv_sec < 9 || got.it_value.tv_sec > 10 || got.it_interval.tv_sec != 1)
        fail("itimer_read", "value %ld.%06ld interval %ld", (long)got.it_value.tv_sec,
             (long)got.it_value.tv_usec, (long)got.it_interval.tv_sec);
    unsigned left = alarm(5);
    unsigned left2 = alarm(0);
    printf("itimer_read: alarm returned %u then %u\n", left, left2);
    if (left != 10 || left2 != 5)
        fail("itimer_read", "alarm");
    printf("ok itimer_read\n");
}

static void check_posix_signal(void)
{
    sigset_t set;
    block(SIGRTMIN, &set);
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 7;
    timer_t id;
    if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0)
        fail("posix_signal", "timer_create: %s", strerror(errno));
    struct itimerspec its = { { 0, 0 }, { 0, 30000000 } };
    timer_settime(id, 0, &its, NULL);
    siginfo_t si;
    struct timespec ts = { 5, 0 };
    int sig = sigtimedwait(&set, &si, &ts);
    if (sig != SIGRTMIN || si.si_code != SI_TIMER || si.si_value.sival_int != 7)
        fail("posix_signal", "got %d code %d value %d", sig, si.si_code,
             si.si_value.sival_int);
    timer_delete(id);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    printf("ok posix_signal\n");
}

static void check_posix_gettime(void)
{
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_NONE;
    timer_t id;
    timer_create(CLOCK_REALTIME, &ev, &id);
    struct itimerspec its = { { 2, 0 }, { 10, 0 } }, got;
    timer_settime(id, 0, &its, NULL);
    timer_gettime(id, &got);
    if (got.it_value.tv_sec < 9 || got.it_value.tv_sec > 10 || got.it_interval.tv_sec != 2)
        fail("posix_gettime", "value %ld interval %ld", (long)got.it_value.tv_sec,
             (long)got.it_interval.tv_sec);
    timer_delete(id);
    if (timer_gettime(id, &got) != -1 || errno != EINVAL)
        fail("posix_gettime", "a deleted timer answered");
    printf("ok posix_gettime\n");
}

static void check_posix_abstime(void)
{
    sigset_t set;
    block(SIGUSR1, &set);
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t id;
    timer_create(CLOCK_REALTIME, &ev, &id);
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };
    clock_gettime(CLOCK_REALTIME, &its.it_value);
    its.it_value.tv_nsec += 30000000;
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_sec++;
        its.it_value.tv_nsec -= 1000000000;
    }
    timer_settime(id, TIMER_ABSTIME, &its, NULL);
    struct timespec ts = { 5, 0 };
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig != SIGUSR1)
        fail("posix_abstime", "got %d", sig);
    timer_delete(id);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    printf("ok posix_abstime\n");
}

static atomic_int worker_tid;
static atomic_int worker_got;

static void *wait_rt1(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    atomic_store(&worker_tid, (int)gettid());
    struct timespec ts = { 5, 0 };
    atomic_store(&worker_got, sigtimedwait(&set, NULL, &ts));
    return NULL;
}

static void check_posix_thread_id(void)
{
    sigset_t set;
    block(SIGRTMIN + 1, &set);
    pthread_t th;
    check_pthread(pthread_create(&th, NULL, wait_rt1, NULL), "pthread_create");
    while (atomic_load(&worker_tid) == 0)
        sched_yield();
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGRTMIN + 1;
    ev._sigev_un._tid = atomic_load(&worker_tid);
    timer_t id;
    if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0)
        fail("posix_thread_id", "timer_create: %s", strerror(errno));
    struct itimerspec its = { { 0, 0 }, { 0, 20000000 } };
    timer_settime(id, 0, &its, NULL);
    /* The main thread must not take it: wait here for longer than the worker. */
    struct timespec ts = { 0, 300000000 };
    siginfo_t si;
    int mine = sigtimedwait(&set, &si, &ts);
    pthread_join(th, NULL);
    if (atomic_load(&worker_got) != SIGRTMIN + 1 || mine != -1)
        fail("posix_thread_id", "worker got %d, main got %d", atomic_load(&worker_got), mine);
    timer_delete(id);
    printf("ok posix_thread_id\n");
}

static void check_posix_overrun(void)
{
    sigset_t set;
    block(SIGRTMIN + 2, &set);
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN + 2;
    timer_t id;
    timer_create(CLOCK_MONOTONIC, &ev, &id);
    struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };
    timer_settime(id, 0, &its, NULL);
    struct timespec nap = { 0, 50000000 };
    nanosleep(&nap, NULL);
    siginfo_t si;
    struct timespec ts = { 5, 0 };
    int sig = sigtimedwait(&set, &si, &ts);
    int over = timer_getoverrun(id);
    if (sig != SIGRTMIN + 2 || si.si_overrun < 10 || over != si.si_overrun)
        fail("posix_overrun", "got %d overrun %d, getoverrun %d", sig, si.si_overrun, over);
    /* Ignoring it discards any instance still pending before it is unblocked. */
    signal(SIGRTMIN + 2, SIG_IGN);
    timer_delete(id);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    printf("ok posix_overrun\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    check_itimer_periodic();
    check_itimer_read();
    check_posix_signal();
    check_posix_gettime();
    check_posix_abstime();
    check_posix_thread_id();
    check_posix_overrun();
    printf("timers: all ok\n");
    return 0;
}
