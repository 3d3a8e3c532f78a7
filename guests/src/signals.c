/*
 * signals: signals between threads, and how they interrupt blocking calls.
 *
 * Each check prints "ok <check>"; the first mismatch prints "FAIL <check>: ..."
 * and exits 1.
 *   thread_handler   pthread_kill runs the handler on the target thread.
 *   process_directed kill(getpid()) goes to the thread that does not block it.
 *   busy_thread      a thread spinning in guest code takes a signal.
 *   futex_eintr      a futex wait interrupted by a handler without SA_RESTART
 *                    fails with EINTR.
 *   futex_restart    with SA_RESTART it is restarted and ends when woken.
 *   nanosleep_eintr  nanosleep fails with EINTR even under SA_RESTART, with
 *                    time left in rem.
 *   sigsuspend       waits under a temporary mask; the old mask is back after.
 *   sigtimedwait     takes a blocked signal with its siginfo; times out with
 *                    EAGAIN.
 *   rt_queue         real-time signals queue, each with its value, lowest
 *                    number first; standard ones merge.
 *   resethand        SA_RESETHAND restores SIG_DFL when the handler runs.
 *   nodefer          SA_NODEFER leaves the signal unblocked in its handler.
 */
#include "guest_util.h"
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>

static atomic_int handled;
static atomic_int handler_tid;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&handler_tid, (int)gettid());
    atomic_fetch_add(&handled, 1);
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        fail("sigaction", "%s", strerror(errno));
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static long futex_wait(atomic_int *word, int val)
{
    return syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A thread that records its tid and then runs `body`; `done` says it ended. */
struct worker {
    pthread_t thread;
    atomic_int tid;
    atomic_int done;
    atomic_int word;
    long result;
    int err;
    struct timespec rem;
    void (*body)(struct worker *);
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    atomic_store(&w->tid, (int)gettid());
    w->body(w);
    atomic_store(&w->done, 1);
    return NULL;
}

static void start(struct worker *w, void (*body)(struct worker *))
{
    memset(w, 0, sizeof(*w));
    w->body = body;
    check_pthread(pthread_create(&w->thread, NULL, worker_main, w), "pthread_create");
    while (atomic_load(&w->tid) == 0)
        sched_yield();
}

/* Signals the worker until it ends (the first may arrive before it blocks). */
static void kick_until_done(struct worker *w, int sig)
{
    while (!atomic_load(&w->done)) {
        pthread_kill(w->thread, sig);
        sleep_ms(20);
    }
    pthread_join(w->thread, NULL);
}

static void wait_for_signal_body(struct worker *w)
{
    while (atomic_load(&handled) == 0)
        sleep_ms(1);
    (void)w;
}

static void check_thread_handler(void)
{
    struct worker w;
    set_handler(SIGUSR1, on_signal, 0);
    atomic_store(&handled, 0);
    start(&w, wait_for_signal_body);
    pthread_kill(w.thread, SIGUSR1);
    pthread_join(w.thread, NULL);
    if (atomic_load(&handler_tid) != atomic_load(&w.tid))
        fail("thread_handler", "handler ran on tid %d, not the target %d",
             atomic_load(&handler_tid), atomic_load(&w.tid));
    printf("ok thread_handler\n");
}

/* Unblocks SIGUSR2 (blocked by its creator), says so, and waits for a signal. */
static void unblock_usr2_then_wait(struct worker *w)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    atomic_store(&w->word, 1);
    wait_for_signal_body(w);
}

static void check_process_directed(void)
{
    struct worker w;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    set_handler(SIGUSR2, on_signal, 0);
    atomic_store(&handled, 0);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    start(&w, unblock_usr2_then_wait);
    while (atomic_load(&w.word) == 0)
        sched_yield();
    kill(getpid(), SIGUSR2);
    pthread_join(w.thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (atomic_load(&handler_tid) != atomic_load(&w.tid))
        fail("process_directed", "handler ran on tid %d, not the unblocking thread %d",
             atomic_load(&handler_tid), atomic_load(&w.tid));
    printf("ok process_directed\n");
}

static volatile int spin_stop;

static void on_stop(int sig)
{
    (void)sig;
    spin_stop = 1;
}

static void spin_body(struct worker *w)
{
    (void)w;
    while (!spin_stop)
        ;
}

static void check_busy_thread(void)
{
    struct worker w;
    set_handler(SIGUSR1, on_stop, 0);
    start(&w, spin_body);
    pthread_kill(w.thread, SIGUSR1);
    pthread_join(w.thread, NULL);
    printf("ok busy_thread\n");
}

static void futex_body(struct worker *w)
{
    w->result = futex_wait(&w->word, 0);
    w->err = errno;
}

static void check_futex(void)
{
    struct worker w;
    set_handler(SIGUSR1, on_signal, 0);
    start(&w, futex_body);
    kick_until_done(&w, SIGUSR1);
    if (w.result != -1 || w.err != EINTR)
        fail("futex_eintr", "futex returned %ld errno %d", w.result, w.err);
    printf("ok futex_eintr\n");

    set_handler(SIGUSR1, on_signal, SA_RESTART);
    atomic_store(&handled, 0);
    start(&w, futex_body);
    /* Interrupt it a few times: each time it must go back to waiting. */
    for (int i = 0; i < 3 || atomic_load(&handled) < 3; i++) {
        pthread_kill(w.thread, SIGUSR1);
        sleep_ms(20);
        if (atomic_load(&w.done))
            fail("futex_restart", "futex returned %ld errno %d before the wake",
                 w.result, w.err);
    }
    atomic_store(&w.word, 1);
    futex_wake(&w.word);
    pthread_join(w.thread, NULL);
    if (w.result != 0)
        fail("futex_restart", "futex returned %ld errno %d", w.result, w.err);
    printf("ok futex_restart\n");
}

static void sleep_body(struct worker *w)
{
    struct timespec ts = { 10, 0 };
    w->result = nanosleep(&ts, &w->rem);
    w->err = errno;
}

static void check_nanosleep(void)
{
    struct worker w;
    set_handler(SIGUSR1, on_signal, SA_RESTART);
    start(&w, sleep_body);
    kick_until_done(&w, SIGUSR1);
    if (w.result != -1 || w.err != EINTR)
        fail("nanosleep_eintr", "nanosleep returned %ld errno %d", w.result, w.err);
    /* qemu-user's rem may exceed the request by the time the signal took. */
    if (w.rem.tv_sec > 10 || (w.rem.tv_sec == 0 && w.rem.tv_nsec == 0))
        fail("nanosleep_eintr", "rem %ld.%09ld", (long)w.rem.tv_sec, w.rem.tv_nsec);
    printf("ok nanosleep_eintr\n");
}

static void send_later_body(struct worker *w)
{
    (void)w;
    sleep_ms(30);
    kill(getpid(), SIGUSR1);
}

static void check_sigsuspend(void)
{
    struct worker w;
    sigset_t block, wait_mask, now;
    set_handler(SIGUSR1, on_signal, 0);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    atomic_store(&handled, 0);
    /* The sender thread blocks SIGUSR1 too (inherited): only we can take it. */
    start(&w, send_later_body);
    sigemptyset(&wait_mask);
    int r = sigsuspend(&wait_mask);
    int err = errno;
    pthread_join(w.thread, NULL);
    if (r != -1 || err != EINTR || atomic_load(&handled) != 1)
        fail("sigsuspend", "returned %d errno %d, handled %d", r, err, atomic_load(&handled));
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    if (!sigismember(&now, SIGUSR1))
        fail("sigsuspend", "the old mask was not restored");
    pthread_sigmask(SIG_UNBLOCK, &block, NULL);
    printf("ok sigsuspend\n");
}

static void check_sigtimedwait(void)
{
    sigset_t set;
    siginfo_t si;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    union sigval v = { .sival_int = 42 };
    sigqueue(getpid(), SIGRTMIN, v);
    struct timespec ts = { 1, 0 };
    int r = sigtimedwait(&set, &si, &ts);
    if (r != SIGRTMIN || si.si_code != SI_QUEUE || si.si_value.sival_int != 42
        || si.si_pid != getpid())
        fail("sigtimedwait", "got %d code %d value %d", r, si.si_code, si.si_value.sival_int);
    ts.tv_sec = 0;
    ts.tv_nsec = 20000000;
    r = sigtimedwait(&set, &si, &ts);
    if (r != -1 || errno != EAGAIN)
        fail("sigtimedwait", "timeout returned %d errno %d", r, errno);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    printf("ok sigtimedwait\n");
}

static int rt_seen[8];
static atomic_int rt_count;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int i = atomic_fetch_add(&rt_count, 1);
    if (i < 8)
        rt_seen[i] = (sig - SIGRTMIN) * 100 + si->si_value.sival_int;
}

static void check_rt_queue(void)
{
    struct sigaction sa = { 0 };
    sigset_t set;
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    sigaction(SIGRTMIN + 1, &sa, NULL);
    sigaction(SIGRTMIN + 2, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGRTMIN + 2);
    sigaddset(&set, SIGUSR1);
    set_handler(SIGUSR1, on_signal, 0);
    atomic_store(&handled, 0);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (int i = 1; i <= 3; i++) {
        union sigval v = { .sival_int = i };
        sigqueue(getpid(), SIGRTMIN + 2, v);
        sigqueue(getpid(), SIGRTMIN + 1, v);
        kill(getpid(), SIGUSR1);
    }
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    int n = atomic_load(&rt_count);
    /* Each signal's instances in the order they were sent (qemu-user runs the
     * two signals' handlers in another order than Linux, so that is not shown). */
    for (int sig = 1; sig <= 2; sig++) {
        printf("rt_queue: SIGRTMIN+%d values", sig);
        for (int i = 0; i < n && i < 8; i++)
            if (rt_seen[i] / 100 == sig)
                printf(" %d", rt_seen[i] % 100);
        printf("\n");
    }
    printf("rt_queue: SIGUSR1 handled %d\n", atomic_load(&handled));
    if (n != 6 || atomic_load(&handled) != 1)
        fail("rt_queue", "wrong count");
    printf("ok rt_queue\n");
}

static void check_resethand(void)
{
    struct sigaction old;
    set_handler(SIGUSR2, on_signal, SA_RESETHAND);
    atomic_store(&handled, 0);
    raise(SIGUSR2);
    sigaction(SIGUSR2, NULL, &old);
    if (atomic_load(&handled) != 1 || old.sa_handler != SIG_DFL)
        fail("resethand", "handled %d, handler now %p", atomic_load(&handled),
             (void *)old.sa_handler);
    printf("ok resethand\n");
}

static atomic_int blocked_in_handler;

static void on_nodefer(int sig)
{
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    atomic_store(&blocked_in_handler, sigismember(&now, sig));
}

static void check_nodefer(void)
{
    set_handler(SIGUSR1, on_nodefer, SA_NODEFER);
    raise(SIGUSR1);
    int nodefer = atomic_load(&blocked_in_handler);
    set_handler(SIGUSR1, on_nodefer, 0);
    raise(SIGUSR1);
    int deferred = atomic_load(&blocked_in_handler);
    if (nodefer != 0 || deferred != 1)
        fail("nodefer", "blocked in handler: %d with SA_NODEFER, %d without", nodefer, deferred);
    printf("ok nodefer\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    check_thread_handler();
    check_process_directed();
    check_busy_thread();
    check_futex();
    check_nanosleep();
    check_sigsuspend();
    check_sigtimedwait();
    check_rt_queue();
    check_resethand();
    check_nodefer();
    printf("signals: all ok\n");
    return 0;
}
