/*
 * events: event loops without sockets.
 *
 * Each check prints "ok <check>"; the first mismatch prints "FAIL <check>: ..."
 * and exits 1.
 *   eventfd        counter and semaphore reads, EAGAIN when empty.
 *   poll           a timeout, readiness, POLLNVAL for a closed fd.
 *   select         a timeout and readiness.
 *   pause          returns EINTR once a handler ran.
 *   ppoll_mask     ppoll's temporary mask lets a blocked signal interrupt it.
 *   read_eintr     a blocked eventfd read fails with EINTR without SA_RESTART.
 *   read_restart   and with SA_RESTART goes on to read the value written later.
 *   epoll_level    level-triggered events repeat; the data word passes through.
 *   epoll_edge     edge-triggered events come once per change.
 *   epoll_oneshot  EPOLLONESHOT disables the fd until EPOLL_CTL_MOD.
 *   epoll_timeout  epoll_wait with nothing ready times out.
 *   timerfd        a periodic timerfd: gettime, blocking read, epoll, disarm.
 *   signalfd       blocked signals read as signalfd_siginfo records, several
 *                  per read; poll and epoll see them pending; a blocking read
 *                  waits for one.
 */
#include "guest_util.h"
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

static atomic_int handled;

static void on_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

static void set_handler(int sig, int flags)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void put(int fd, uint64_t v)
{
    if (write(fd, &v, 8) != 8)
        fail("write", "%s", strerror(errno));
}

static void check_eventfd(void)
{
    uint64_t v = 0;
    int fd = eventfd(0, EFD_NONBLOCK);
    if (read(fd, &v, 8) != -1 || errno != EAGAIN)
        fail("eventfd", "empty read did not fail with EAGAIN");
    put(fd, 3);
    put(fd, 4);
    if (read(fd, &v, 8) != 8 || v != 7)
        fail("eventfd", "read %llu", (unsigned long long)v);
    close(fd);
    fd = eventfd(2, EFD_NONBLOCK | EFD_SEMAPHORE);
    uint64_t a = 0, b = 0;
    if (read(fd, &a, 8) != 8 || read(fd, &b, 8) != 8 || a != 1 || b != 1
        || read(fd, &v, 8) != -1 || errno != EAGAIN)
        fail("eventfd", "semaphore reads %llu %llu", (unsigned long long)a,
             (unsigned long long)b);
    close(fd);
    printf("ok eventfd\n");
}

static void check_poll(void)
{
    int fd = eventfd(0, EFD_NONBLOCK);
    struct pollfd p[2] = { { fd, POLLIN, 0 }, { 999, POLLIN, 0 } };
    int r = poll(p, 1, 10);
    if (r != 0)
        fail("poll", "timeout returned %d", r);
    put(fd, 1);
    r = poll(p, 2, -1);
    if (r != 2 || p[0].revents != POLLIN || p[1].revents != POLLNVAL)
        fail("poll", "returned %d revents %#x %#x", r, p[0].revents, p[1].revents);
    close(fd);
    printf("ok poll\n");
}

static void check_select(void)
{
    int fd = eventfd(0, EFD_NONBLOCK);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    struct timeval tv = { 0, 10000 };
    int r = select(fd + 1, &rd, NULL, NULL, &tv);
    if (r != 0 || FD_ISSET(fd, &rd))
        fail("select", "timeout returned %d", r);
    put(fd, 1);
    FD_SET(fd, &rd);
    fd_set wr;
    FD_ZERO(&wr);
    FD_SET(fd, &wr);
    r = select(fd + 1, &rd, &wr, NULL, NULL);
    if (r != 2 || !FD_ISSET(fd, &rd) || !FD_ISSET(fd, &wr))
        fail("select", "returned %d", r);
    close(fd);
    printf("ok select\n");
}

static void *kill_later(void *arg)
{
    (void)arg;
    sleep_ms(30);
    kill(getpid(), SIGUSR1);
    return NULL;
}

/* Runs kill_later on a thread that blocks SIGUSR1, so this thread takes it. */
static pthread_t start_killer(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pthread_t th;
    check_pthread(pthread_create(&th, NULL, kill_later, NULL), "pthread_create");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return th;
}

static void check_pause(void)
{
    set_handler(SIGUSR1, 0);
    atomic_store(&handled, 0);
    pthread_t th = start_killer();
    int r = pause();
    int err = errno;
    pthread_join(th, NULL);
    if (r != -1 || err != EINTR || atomic_load(&handled) != 1)
        fail("pause", "returned %d errno %d", r, err);
    printf("ok pause\n");
}

static void check_ppoll_mask(void)
{
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    set_handler(SIGUSR1, 0);
    atomic_store(&handled, 0);
    pthread_t th = start_killer();
    int fd = eventfd(0, EFD_NONBLOCK);
    struct pollfd p = { fd, POLLIN, 0 };
    int r = ppoll(&p, 1, NULL, &empty);
    int err = errno;
    pthread_join(th, NULL);
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    if (r != -1 || err != EINTR || atomic_load(&handled) != 1 || !sigismember(&now, SIGUSR1))
        fail("ppoll_mask", "returned %d errno %d", r, err);
    pthread_sigmask(SIG_UNBLOCK, &block, NULL);
    close(fd);
    printf("ok ppoll_mask\n");
}

struct reader {
    pthread_t thread;
    int fd;
    atomic_int started;
    atomic_int done;
    long result;
    int err;
    uint64_t value;
};

static void *read_body(void *arg)
{
    struct reader *r = arg;
    atomic_store(&r->started, 1);
    r->result = read(r->fd, &r->value, 8);
    r->err = errno;
    atomic_store(&r->done, 1);
    return NULL;
}

static void check_blocked_read(void)
{
    struct reader r = { 0 };
    r.fd = eventfd(0, 0);
    set_handler(SIGUSR1, 0);
    check_pthread(pthread_create(&r.thread, NULL, read_body, &r), "pthread_create");
    while (!atomic_load(&r.done)) {
        sleep_ms(20);
        pthread_kill(r.thread, SIGUSR1);
    }
    pthread_join(r.thread, NULL);
    if (r.result != -1 || r.err != EINTR)
        fail("read_eintr", "read returned %ld errno %d", r.result, r.err);
    printf("ok read_eintr\n");

    set_handler(SIGUSR1, SA_RESTART);
    atomic_store(&handled, 0);
    atomic_store(&r.done, 0);
    check_pthread(pthread_create(&r.thread, NULL, read_body, &r), "pthread_create");
    while (atomic_load(&handled) < 3) {
        sleep_ms(20);
        pthread_kill(r.thread, SIGUSR1);
        if (atomic_load(&r.done))
            fail("read_restart", "read returned %ld errno %d early", r.result, r.err);
    }
    put(r.fd, 42);
    pthread_join(r.thread, NULL);
    if (r.result != 8 || r.value != 42)
        fail("read_restart", "read returned %ld value %llu", r.result,
             (unsigned long long)r.value);
    close(r.fd);
    printf("ok read_restart\n");
}

static int wait_one(int ep, int timeout, struct epoll_event *ev)
{
    return epoll_wait(ep, ev, 1, timeout);
}

static void check_epoll(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int fd = eventfd(1, EFD_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ULL }, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    for (int i = 0; i < 2; i++)
        if (wait_one(ep, 0, &got) != 1 || got.data.u64 != 0x1122334455667788ULL
            || got.events != EPOLLIN)
            fail("epoll_level", "round %d", i);
    printf("ok epoll_level\n");

    ev.events = EPOLLIN | EPOLLET;
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    if (wait_one(ep, 0, &got) != 1 || wait_one(ep, 0, &got) != 0)
        fail("epoll_edge", "first edge");
    put(fd, 1);
    if (wait_one(ep, -1, &got) != 1 || wait_one(ep, 0, &got) != 0)
        fail("epoll_edge", "second edge");
    printf("ok epoll_edge\n");

    ev.events = EPOLLIN | EPOLLONESHOT;
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    if (wait_one(ep, 0, &got) != 1 || wait_one(ep, 0, &got) != 0)
        fail("epoll_oneshot", "fired twice");
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    if (wait_one(ep, 0, &got) != 1)
        fail("epoll_oneshot", "not re-armed");
    printf("ok epoll_oneshot\n");

    uint64_t v;
    read(fd, &v, 8);
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    if (wait_one(ep, 20, &got) != 0)
        fail("epoll_timeout", "an empty eventfd was ready");
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != -1 || errno != EEXIST)
        fail("epoll_timeout", "a second ADD did not fail with EEXIST");
    close(fd);
    close(ep);
    printf("ok epoll_timeout\n");
}

static void check_timerfd(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    uint64_t n = 0;
    if (read(fd, &n, 8) != -1 || errno != EAGAIN)
        fail("timerfd", "a disarmed timerfd was readable");
    struct itimerspec its = { { 0, 10000000 }, { 0, 20000000 } }, got;
    timerfd_settime(fd, 0, &its, NULL);
    timerfd_gettime(fd, &got);
    if (got.it_interval.tv_nsec != 10000000 || got.it_value.tv_sec != 0
        || got.it_value.tv_nsec <= 0 || got.it_value.tv_nsec > 20000000)
        fail("timerfd", "gettime %ld.%09ld", (long)got.it_value.tv_sec, got.it_value.tv_nsec);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    if (epoll_wait(ep, &ev, 1, 5000) != 1 || ev.data.fd != fd)
        fail("timerfd", "epoll did not see the expiry");
    if (read(fd, &n, 8) != 8 || n < 1)
        fail("timerfd", "read %llu", (unsigned long long)n);
    int blocking = timerfd_create(CLOCK_REALTIME, 0);
    struct itimerspec once = { { 0, 0 }, { 0, 10000000 } };
    timerfd_settime(blocking, 0, &once, NULL);
    if (read(blocking, &n, 8) != 8 || n != 1)
        fail("timerfd", "blocking read %llu", (unsigned long long)n);
    memset(&its, 0, sizeof(its));
    timerfd_settime(fd, 0, &its, NULL);
    timerfd_gettime(fd, &got);
    if (got.it_value.tv_sec != 0 || got.it_value.tv_nsec != 0)
        fail("timerfd", "still armed");
    close(blocking);
    close(fd);
    close(ep);
    printf("ok timerfd\n");
}

static void check_signalfd(void)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGRTMIN);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    struct signalfd_siginfo si[2];
    if (read(fd, si, sizeof(si)) != -1 || errno != EAGAIN)
        fail("signalfd", "an empty signalfd was readable");
    struct pollfd p = { fd, POLLIN, 0 };
    if (poll(&p, 1, 0) != 0)
        fail("signalfd", "poll saw a signal before any was sent");
    kill(getpid(), SIGUSR1);
    union sigval v = { .sival_int = 5 };
    sigqueue(getpid(), SIGRTMIN, v);
    if (poll(&p, 1, 1000) != 1 || p.revents != POLLIN)
        fail("signalfd", "poll did not see the pending signals");
    ssize_t r = read(fd, si, sizeof(si));
    if (r != (ssize_t)sizeof(si) || si[0].ssi_signo != SIGUSR1
        || si[0].ssi_pid != (uint32_t)getpid() || si[1].ssi_signo != (uint32_t)SIGRTMIN
        || si[1].ssi_code != SI_QUEUE || si[1].ssi_int != 5)
        fail("signalfd", "read %zd: signo %u pid %u, signo %u code %d int %d", r,
             si[0].ssi_signo, si[0].ssi_pid, si[1].ssi_signo, si[1].ssi_code, si[1].ssi_int);
    if (poll(&p, 1, 0) != 0)
        fail("signalfd", "still readable after the read");
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    pthread_t th = start_killer();
    if (epoll_wait(ep, &ev, 1, 5000) != 1 || ev.data.fd != fd)
        fail("signalfd", "epoll did not see the signal");
    pthread_join(th, NULL);
    int blocking = signalfd(-1, &mask, 0);
    if (read(blocking, si, sizeof(si[0])) != sizeof(si[0]) || si[0].ssi_signo != SIGUSR1)
        fail("signalfd", "the first signal was not there to read");
    th = start_killer();
    if (read(blocking, si, sizeof(si[0])) != sizeof(si[0]) || si[0].ssi_signo != SIGUSR1)
        fail("signalfd", "a blocking read did not wait for the signal");
    pthread_join(th, NULL);
    close(blocking);
    close(ep);
    close(fd);
    pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
    printf("ok signalfd\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    check_eventfd();
    check_poll();
    check_select();
    check_pause();
    check_ppoll_mask();
    check_blocked_read();
    check_epoll();
    check_timerfd();
    check_signalfd();
    printf("events: all ok\n");
    return 0;
}
