/*
 * stress_futex: raw futex(2) semantics and the pthread primitives built on
 * it, under many contending threads.
 *
 * Usage: stress_futex [NTHREADS [ITERS]]    (defaults 16 and 2000)
 *
 * Checks, each printed as "ok <check> ..." with totals that depend only on
 * the arguments:
 *   futex_errors   EAGAIN on a value mismatch; ETIMEDOUT for relative
 *                  (FUTEX_WAIT) and absolute (FUTEX_WAIT_BITSET, monotonic
 *                  and realtime) timeouts, never early, also for deadlines
 *                  already past; EINVAL for a bad timespec, a zero bitset
 *                  and a misaligned word (waiting, waking and as a requeue
 *                  target); EFAULT for an unmapped word; ENOSYS for an
 *                  unknown operation; EAGAIN from FUTEX_CMP_REQUEUE on a
 *                  mismatch; 0 from a wake nobody waits for.
 *   futex_mutex    Drepper's three-state futex mutex guarding a plain
 *                  counter and an owner field.
 *   futex_barrier  a generation-counting futex barrier reused for many
 *                  rounds: writes before it are seen after it, and exactly
 *                  one thread per round is the last to arrive.
 *   futex_wake     FUTEX_WAKE of k at a time returns at most k, never more
 *                  than have been woken, and eventually wakes everyone.
 *   futex_requeue  waiters moved with FUTEX_CMP_REQUEUE stay asleep until
 *                  woken at the new address; once all are known to be
 *                  queued, wake, requeue and FUTEX_REQUEUE counts are exact.
 *   futex_bitset   FUTEX_WAKE_BITSET wakes only waiters whose bitset
 *                  intersects its own (a disjoint one wakes nobody, even
 *                  after a requeue), and plain FUTEX_WAKE wakes any.
 *   futex_wake_op  FUTEX_WAKE_OP's operations (set, add, or, andn, xor,
 *                  shifted operand, sign-extended operands), its signed
 *                  comparisons deciding the second wake, ENOSYS for a bad
 *                  operation, and atomicity: threads adding through
 *                  FUTEX_WAKE_OP and through amoadd.w lose nothing.
 *   pthread_*      a token passed around a ring on a mutex and one condvar
 *                  per thread; semaphore ping-pong with strict alternation;
 *                  a counting semaphore between producers and consumers;
 *                  a reader-writer lock whose readers never see a torn
 *                  update; trylock/trywait/timed-wait error returns.
 *
 * A waiter is only counted as asleep once it has been moved by a requeue:
 * the kernel counts only queued waiters, so that is the one way to know
 * without sleeping.  Sleeps elsewhere only give threads time to block.
 * A failing check prints "FAIL <check>: ..." and the rest still run; the
 * exit status is then 1.  A watchdog ends a hung run after two minutes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static int nthreads = 16;
static long iters = 2000;
static int failures;       /* all failed checks so far */
static int check_failures; /* those of the check running now */

/* Reports a failed check and carries on with the next one. */
__attribute__((format(printf, 2, 3))) static void fail(const char *check,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", check);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    failures++;
    check_failures++;
}

/* Prints the check's "ok" line, unless it has reported a failure. */
__attribute__((format(printf, 1, 2))) static void pass(const char *fmt, ...)
{
    va_list ap;
    if (check_failures != 0)
        return;
    va_start(ap, fmt);
    printf("ok ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static void die(const char *what, int err)
{
    printf("FAIL %s: %s\n", what, strerror(err));
    fflush(stdout);
    exit(1);
}

static void check_pthread(int rc, const char *what)
{
    if (rc != 0)
        die(what, rc);
}

/* futex(2) returning -errno on failure, so results compare with one ==. */
static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val,
                  const struct timespec *timeout, _Atomic uint32_t *uaddr2,
                  uint32_t val3)
{
    long r = syscall(SYS_futex, (void *)uaddr, op, val, timeout,
                     (void *)uaddr2, val3);
    return r == -1 ? -errno : r;
}

/* The requeue and wake-op operations take a count where the timeout goes. */
static long futex2(_Atomic uint32_t *uaddr, int op, uint32_t val, uint32_t val2,
                   _Atomic uint32_t *uaddr2, uint32_t val3)
{
    long r = syscall(SYS_futex, (void *)uaddr, op, val, (unsigned long)val2,
                     (void *)uaddr2, val3);
    return r == -1 ? -errno : r;
}

static long wake_bitset(_Atomic uint32_t *w, uint32_t n, uint32_t bitset)
{
    return futex(w, FUTEX_WAKE_BITSET_PRIVATE, n, NULL, NULL, bitset);
}

static long futex_wait(_Atomic uint32_t *w, uint32_t val)
{
    return futex(w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static long futex_wake(_Atomic uint32_t *w, uint32_t n)
{
    return futex(w, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/* FUTEX_CMP_REQUEUE: wake n_wake waiters of from, move up to n_move others
 * to to, provided *from still holds expect. */
static long futex_cmp_requeue(_Atomic uint32_t *from, uint32_t n_wake,
                              uint32_t n_move, _Atomic uint32_t *to,
                              uint32_t expect)
{
    return futex2(from, FUTEX_CMP_REQUEUE_PRIVATE, n_wake, n_move, to, expect);
}

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000, us % 1000000 * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec ns_to_ts(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return ts;
}

static void *watchdog(void *arg)
{
    (void)arg;
    nap_us(120 * 1000000L);
    printf("FAIL watchdog: still running after 120 s\n");
    fflush(stdout);
    _exit(1);
}

/* Spawns n copies of fn with their index as argument. */
static void spawn(pthread_t *tid, int n, void *(*fn)(void *))
{
    for (int i = 0; i < n; i++)
        check_pthread(pthread_create(&tid[i], NULL, fn, (void *)(uintptr_t)i),
                      "pthread_create");
}

static void join_all(pthread_t *tid, int n)
{
    for (int i = 0; i < n; i++)
        check_pthread(pthread_join(tid[i], NULL), "pthread_join");
}

/* ---- futex_errors -------------------------------------------------------- */

#define TIMEOUT_NS 20000000 /* 20 ms */

/* Expects a call to have returned exactly want. */
static void expect_ret(const char *check, const char *what, long got, long want)
{
    if (got != want)
        fail(check, "%s returned %ld, want %ld", what, got, want);
}

static void test_errors(void)
{
    const char *c = "futex_errors";
    static _Atomic uint32_t w = 7;
    static _Atomic uint32_t pair[2];
    const struct timespec zero = {0, 0};

    expect_ret(c, "FUTEX_WAIT on a mismatch", futex_wait(&w, 8), -EAGAIN);
    expect_ret(c, "shared FUTEX_WAIT on a mismatch",
               futex(&w, FUTEX_WAIT, 6, NULL, NULL, 0), -EAGAIN);

    /* Timeouts end the wait, and never before they have passed. */
    struct timespec rel = ns_to_ts(TIMEOUT_NS);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    expect_ret(c, "FUTEX_WAIT with a timeout",
               futex(&w, FUTEX_WAIT_PRIVATE, 7, &rel, NULL, 0), -ETIMEDOUT);
    int64_t slept = now_ns(CLOCK_MONOTONIC) - t0;
    if (slept < TIMEOUT_NS)
        fail(c, "FUTEX_WAIT timed out after %lld ns of %d", (long long)slept,
             TIMEOUT_NS);
    expect_ret(c, "FUTEX_WAIT with a zero timeout",
               futex(&w, FUTEX_WAIT_PRIVATE, 7, &zero, NULL, 0), -ETIMEDOUT);

    /* FUTEX_WAIT_BITSET takes an absolute time, on the monotonic clock
     * unless FUTEX_CLOCK_REALTIME says otherwise. */
    static const struct {
        const char *what;
        clockid_t clock;
        int op;
    } abs_waits[] = {
        {"FUTEX_WAIT_BITSET (monotonic)", CLOCK_MONOTONIC,
         FUTEX_WAIT_BITSET_PRIVATE},
        {"FUTEX_WAIT_BITSET (realtime)", CLOCK_REALTIME,
         FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME},
    };
    for (int i = 0; i < 2; i++) {
        int64_t deadline = now_ns(abs_waits[i].clock) + TIMEOUT_NS;
        struct timespec abs = ns_to_ts(deadline);
        expect_ret(c, abs_waits[i].what,
                   futex(&w, abs_waits[i].op, 7, &abs, NULL,
                         FUTEX_BITSET_MATCH_ANY),
                   -ETIMEDOUT);
        int64_t early = deadline - now_ns(abs_waits[i].clock);
        if (early > 0)
            fail(c, "%s returned %lld ns before its deadline",
                 abs_waits[i].what, (long long)early);
        /* Half of now is past on any clock; now minus a constant could be
         * negative where the monotonic clock starts with the process. */
        abs = ns_to_ts(now_ns(abs_waits[i].clock) / 2);
        expect_ret(c, "FUTEX_WAIT_BITSET with a past deadline",
                   futex(&w, abs_waits[i].op, 7, &abs, NULL,
                         FUTEX_BITSET_MATCH_ANY),
                   -ETIMEDOUT);
    }

    /* Malformed timeouts are rejected before anything waits. */
    const struct timespec bad_ns = {0, 1000000000}, neg = {-1, 0};
    expect_ret(c, "FUTEX_WAIT with tv_nsec 1e9",
               futex(&w, FUTEX_WAIT_PRIVATE, 7, &bad_ns, NULL, 0), -EINVAL);
    expect_ret(c, "FUTEX_WAIT with a negative timeout",
               futex(&w, FUTEX_WAIT_PRIVATE, 7, &neg, NULL, 0), -EINVAL);

    /* A zero bitset could never match and is refused. */
    expect_ret(c, "FUTEX_WAIT_BITSET with bitset 0",
               futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 7, &zero, NULL, 0),
               -EINVAL);
    expect_ret(c, "FUTEX_WAKE_BITSET with bitset 0",
               futex(&w, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), -EINVAL);

    /* Futex words are aligned 32-bit words, for waking too. */
    _Atomic uint32_t *odd = (_Atomic uint32_t *)((char *)pair + 2);
    expect_ret(c, "FUTEX_WAIT on a misaligned word",
               futex(odd, FUTEX_WAIT_PRIVATE, 0, &zero, NULL, 0), -EINVAL);
    expect_ret(c, "FUTEX_WAKE on a misaligned word", futex_wake(odd, 1),
               -EINVAL);
    expect_ret(c, "FUTEX_WAKE_BITSET on a misaligned word",
               futex(odd, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 1),
               -EINVAL);
    expect_ret(c, "FUTEX_CMP_REQUEUE to a misaligned word",
               futex_cmp_requeue(&w, 1, 1, odd, 7), -EINVAL);

    /* An unmapped word cannot be read to compare. */
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap", errno);
    munmap(p, (size_t)page);
    expect_ret(c, "FUTEX_WAIT on an unmapped word",
               futex((_Atomic uint32_t *)p, FUTEX_WAIT_PRIVATE, 0, &zero, NULL,
                     0),
               -EFAULT);

    expect_ret(c, "an unknown futex operation",
               futex(&w, 99 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), -ENOSYS);
    expect_ret(c, "FUTEX_CMP_REQUEUE on a mismatch",
               futex_cmp_requeue(&w, 1, 1, &pair[0], 8), -EAGAIN);
    expect_ret(c, "FUTEX_WAKE with no waiters", futex_wake(&w, INT_MAX), 0);
    if (atomic_load(&w) != 7)
        fail(c, "the futex word changed to %u", (unsigned)atomic_load(&w));
    pass("futex_errors");
}

/* ---- futex_mutex ------------------------------------------------------------
 * Drepper, "Futexes Are Tricky", mutex3: 0 free, 1 locked, 2 locked with
 * possible waiters.  Unlock wakes only when it saw 2. */

static _Atomic uint32_t fmutex;
static long fm_counter;          /* guarded by fmutex */
static volatile long fm_owner = -1; /* guarded; volatile so races show */
static atomic_long fm_errors;

static void fmutex_lock(_Atomic uint32_t *m)
{
    uint32_t c = 0;
    if (atomic_compare_exchange_strong(m, &c, 1))
        return;
    if (c != 2)
        c = atomic_exchange(m, 2);
    while (c != 0) {
        long r = futex_wait(m, 2);
        if (r != 0 && r != -EAGAIN && r != -EINTR)
            atomic_fetch_add(&fm_errors, 1);
        c = atomic_exchange(m, 2);
    }
}

static void fmutex_unlock(_Atomic uint32_t *m)
{
    if (atomic_fetch_sub(m, 1) != 1) {
        atomic_store(m, 0);
        if (futex_wake(m, 1) < 0)
            atomic_fetch_add(&fm_errors, 1);
    }
}

static void *fmutex_worker(void *arg)
{
    long t = (long)(uintptr_t)arg;
    for (long i = 0; i < iters; i++) {
        fmutex_lock(&fmutex);
        if (fm_owner != -1)
            atomic_fetch_add(&fm_errors, 1);
        fm_owner = t;
        fm_counter++;
        /* Hold the lock a little so that others pile up as waiters. */
        if (i % 16 == 0)
            sched_yield();
        if (fm_owner != t)
            atomic_fetch_add(&fm_errors, 1);
        fm_owner = -1;
        fmutex_unlock(&fmutex);
    }
    return NULL;
}

static void test_mutex(void)
{
    pthread_t tid[MAX_THREADS];
    spawn(tid, nthreads, fmutex_worker);
    join_all(tid, nthreads);
    long want = nthreads * iters;
    if (atomic_load(&fm_errors) != 0)
        fail("futex_mutex", "%ld exclusion or syscall errors",
             atomic_load(&fm_errors));
    if (fm_counter != want)
        fail("futex_mutex", "counter %ld, want %ld", fm_counter, want);
    if (atomic_load(&fmutex) != 0)
        fail("futex_mutex", "lock word %u after all unlocked, want 0",
             (unsigned)atomic_load(&fmutex));
    pass("futex_mutex counter=%ld", fm_counter);
}

/* ---- futex_barrier ------------------------------------------------------- */

static struct {
    _Atomic uint32_t arrived;
    _Atomic uint32_t gen; /* the futex word: bumped when a round completes */
} fbar;
static _Atomic long fb_slots[2][MAX_THREADS];
static atomic_long fb_serial, fb_errors;

static int fbarrier_wait(void)
{
    uint32_t gen = atomic_load(&fbar.gen);
    if (atomic_fetch_add(&fbar.arrived, 1) + 1 == (uint32_t)nthreads) {
        /* Last in: reset for the next round before releasing anyone, so a
         * thread that sees the new generation also sees arrived == 0. */
        atomic_store(&fbar.arrived, 0);
        atomic_fetch_add(&fbar.gen, 1);
        if (futex_wake(&fbar.gen, INT_MAX) < 0)
            atomic_fetch_add(&fb_errors, 1);
        return 1;
    }
    while (atomic_load(&fbar.gen) == gen) {
        long r = futex_wait(&fbar.gen, gen);
        if (r != 0 && r != -EAGAIN && r != -EINTR)
            atomic_fetch_add(&fb_errors, 1);
    }
    return 0;
}

static long barrier_rounds(void)
{
    return iters / 4 > 0 ? iters / 4 : 1;
}

static void *fbarrier_worker(void *arg)
{
    long t = (long)(uintptr_t)arg;
    for (long r = 0; r < barrier_rounds(); r++) {
        /* Two slot banks: a slow reader of round r only ever races with
         * writers of round r+1, which use the other bank; round r+2 cannot
         * start before it has arrived at barrier r+1. */
        atomic_store_explicit(&fb_slots[r & 1][t], r * 1000 + t,
                              memory_order_relaxed);
        if (fbarrier_wait())
            atomic_fetch_add(&fb_serial, 1);
        for (long j = 0; j < nthreads; j++)
            if (atomic_load_explicit(&fb_slots[r & 1][j],
                                     memory_order_relaxed) != r * 1000 + j)
                atomic_fetch_add(&fb_errors, 1);
    }
    return NULL;
}

static void test_barrier(void)
{
    pthread_t tid[MAX_THREADS];
    spawn(tid, nthreads, fbarrier_worker);
    join_all(tid, nthreads);
    long rounds = barrier_rounds();
    if (atomic_load(&fb_errors) != 0)
        fail("futex_barrier", "%ld stale slots or syscall errors",
             atomic_load(&fb_errors));
    if (atomic_load(&fb_serial) != rounds)
        fail("futex_barrier", "%ld last arrivals in %ld rounds",
             atomic_load(&fb_serial), rounds);
    if (atomic_load(&fbar.gen) != (uint32_t)rounds)
        fail("futex_barrier", "generation %u after %ld rounds",
             (unsigned)atomic_load(&fbar.gen), rounds);
    pass("futex_barrier rounds=%ld", rounds);
}

/* ---- parked waiters ---------------------------------------------------------
 * The wake, requeue, bitset and wake-op checks share a pool of threads that
 * each make exactly one wait call on the word `park.home` (which stays 0)
 * and record how it ended. */

static struct {
    _Atomic uint32_t home;
    int n;
    uint32_t bitset[MAX_THREADS]; /* 0: plain FUTEX_WAIT */
    atomic_int returned, errors;
    atomic_int returned_bits[MAX_THREADS]; /* returns per bitset value */
    pthread_t tid[MAX_THREADS];
} park;

static void *park_worker(void *arg)
{
    int t = (int)(uintptr_t)arg;
    uint32_t bits = park.bitset[t];
    long r;

    if (bits == 0)
        r = futex_wait(&park.home, 0);
    else
        r = futex(&park.home, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, bits);
    if (r == 0)
        atomic_fetch_add(&park.returned_bits[bits % MAX_THREADS], 1);
    else
        atomic_fetch_add(&park.errors, 1);
    atomic_fetch_add(&park.returned, 1);
    return NULL;
}

/* Starts n waiters, waiter t with bitset bits[t] (NULL: all plain). */
static void park_start(int n, const uint32_t *bits)
{
    atomic_store(&park.home, 0);
    park.n = n;
    atomic_store(&park.returned, 0);
    atomic_store(&park.errors, 0);
    for (int i = 0; i < MAX_THREADS; i++)
        atomic_store(&park.returned_bits[i], 0);
    for (int t = 0; t < n; t++)
        park.bitset[t] = bits ? bits[t] : 0;
    spawn(park.tid, n, park_worker);
}

/* Moves every parked waiter from home to q with FUTEX_CMP_REQUEUE (waking
 * none); once the moved counts add up to n, all n are asleep on q. */
static int park_move_all(const char *check, _Atomic uint32_t *q)
{
    long moved = 0;
    while (moved < park.n) {
        long r = futex_cmp_requeue(&park.home, 0, INT_MAX, q, 0);
        if (r < 0 || moved + r > park.n) {
            fail(check, "FUTEX_CMP_REQUEUE returned %ld with %ld moved before",
                 r, moved);
            return 0;
        }
        moved += r;
        if (atomic_load(&park.returned) != 0) {
            fail(check, "%d waiters returned with no wake (%ld moved)",
                 atomic_load(&park.returned), moved);
            return 0;
        }
        if (moved < park.n)
            nap_us(1000); /* let the rest reach their futex_wait */
    }
    return 1;
}

/* Waits until `want` waiters have returned; they were woken by calls that
 * have already returned, so they will.  Fails on any other count. */
static void park_expect_returned(const char *check, int want)
{
    while (atomic_load(&park.returned) < want)
        nap_us(200);
    if (atomic_load(&park.returned) != want)
        fail(check, "%d waiters returned, want %d",
             atomic_load(&park.returned), want);
}

/* Wakes whatever is left on any of the words and joins the pool, so that a
 * failed check cannot leave threads blocked. */
static void park_finish(const char *check, _Atomic uint32_t *const *words,
                        int nwords)
{
    while (atomic_load(&park.returned) < park.n) {
        futex_wake(&park.home, INT_MAX);
        for (int i = 0; i < nwords; i++)
            futex_wake(words[i], INT_MAX);
        nap_us(1000);
    }
    join_all(park.tid, park.n);
    if (atomic_load(&park.errors) != 0)
        fail(check, "%d waits failed instead of returning 0",
             atomic_load(&park.errors));
}

/* ---- futex_wake ---------------------------------------------------------- */

static void test_wake(void)
{
    const char *c = "futex_wake";
    int n = nthreads < 5 ? 5 : nthreads; /* k, then 1, then the rest */
    const uint32_t k = 3;

    /* Waiters that may or may not be asleep yet: each wake returns at most
     * k and never more than have been woken; all are woken in the end. */
    park_start(n, NULL);
    long total = 0;
    while (total < n) {
        long r = futex_wake(&park.home, k);
        if (r < 0 || r > (long)k) {
            fail(c, "FUTEX_WAKE of %ld returned %ld", (long)k, r);
            break;
        }
        total += r;
        /* Every waiter that has returned was woken by a call that has
         * already returned and been counted. */
        if (atomic_load(&park.returned) > total) {
            fail(c, "%d waiters returned, only %ld woken",
                 atomic_load(&park.returned), total);
            break;
        }
        if (r == 0)
            nap_us(1000);
    }
    if (total > n)
        fail(c, "woke %ld of %d waiters", total, n);
    park_expect_returned(c, n);
    park_finish(c, NULL, 0);

    /* Waiters known to be asleep: the counts are exact. */
    static _Atomic uint32_t q;
    _Atomic uint32_t *const words[] = {&q};
    park_start(n, NULL);
    if (park_move_all(c, &q)) {
        expect_ret(c, "FUTEX_WAKE of 3 with all asleep", futex_wake(&q, k),
                   k);
        park_expect_returned(c, (int)k);
        expect_ret(c, "FUTEX_WAKE of 1", futex_wake(&q, 1), 1);
        park_expect_returned(c, (int)k + 1);
        expect_ret(c, "FUTEX_WAKE on the emptied home word",
                   futex_wake(&park.home, INT_MAX), 0);
        expect_ret(c, "FUTEX_WAKE of the rest", futex_wake(&q, INT_MAX),
                   n - (long)k - 1);
        expect_ret(c, "FUTEX_WAKE with none left", futex_wake(&q, INT_MAX), 0);
        park_expect_returned(c, n);
    }
    park_finish(c, words, 1);
    pass("futex_wake waiters=%d k=%u", n, k);
}

/* ---- futex_requeue ------------------------------------------------------- */

static void test_requeue(void)
{
    const char *c = "futex_requeue";
    int n = nthreads < 6 ? 6 : nthreads;
    static _Atomic uint32_t q1, q2, q3;
    _Atomic uint32_t *const words[] = {&q1, &q2, &q3};

    park_start(n, NULL);
    if (park_move_all(c, &q1)) {
        /* Moved waiters must not be woken through their old word. */
        expect_ret(c, "FUTEX_WAKE on the old word",
                   futex_wake(&park.home, INT_MAX), 0);
        atomic_store(&q1, 5);
        expect_ret(c, "FUTEX_CMP_REQUEUE with a stale value",
                   futex_cmp_requeue(&q1, 1, 2, &q2, 4), -EAGAIN);
        /* Returns woken plus moved: 1 + 2. */
        expect_ret(c, "FUTEX_CMP_REQUEUE wake 1 move 2",
                   futex_cmp_requeue(&q1, 1, 2, &q2, 5), 3);
        park_expect_returned(c, 1);
        expect_ret(c, "FUTEX_REQUEUE wake 0 move 1",
                   futex2(&q1, FUTEX_REQUEUE_PRIVATE, 0, 1, &q3, 0), 1);
        expect_ret(c, "FUTEX_WAKE of the moved pair", futex_wake(&q2, INT_MAX),
                   2);
        park_expect_returned(c, 3);
        expect_ret(c, "FUTEX_WAKE of the moved one", futex_wake(&q3, INT_MAX),
                   1);
        park_expect_returned(c, 4);
        expect_ret(c, "FUTEX_WAKE of those never moved again",
                   futex_wake(&q1, INT_MAX), n - 4);
        park_expect_returned(c, n);
    }
    park_finish(c, words, 3);
    pass("futex_requeue waiters=%d", n);
}

/* ---- futex_bitset -------------------------------------------------------- */

static void test_bitset(void)
{
    const char *c = "futex_bitset";
    int n = nthreads < 4 ? 4 : nthreads;
    uint32_t bits[MAX_THREADS];
    int n1 = 0, n6 = 0;
    static _Atomic uint32_t q;
    _Atomic uint32_t *const words[] = {&q};

    for (int t = 0; t < n; t++) {
        bits[t] = t % 2 ? 0x6 : 0x1;
        if (bits[t] == 0x1)
            n1++;
        else
            n6++;
    }
    park_start(n, bits);
    /* Whoever is asleep already, a disjoint bitset matches none of them. */
    for (int i = 0; i < 20; i++) {
        long r = wake_bitset(&park.home, INT_MAX, 0x8);
        if (r != 0) {
            fail(c, "FUTEX_WAKE_BITSET 0x8 woke %ld waiters (try %d)", r, i);
            break;
        }
        nap_us(200);
    }
    /* Requeueing keeps each waiter's bitset. */
    if (park_move_all(c, &q)) {
        expect_ret(c, "FUTEX_WAKE_BITSET 0x8 after requeue",
                   wake_bitset(&q, INT_MAX, 0x8), 0);
        expect_ret(c, "FUTEX_WAKE_BITSET 0x1", wake_bitset(&q, INT_MAX, 0x1),
                   n1);
        park_expect_returned(c, n1);
        if (atomic_load(&park.returned_bits[0x6]) != 0)
            fail(c, "%d waiters with bitset 0x6 woken by 0x1",
                 atomic_load(&park.returned_bits[0x6]));
        expect_ret(c, "FUTEX_WAKE_BITSET 0x4 of 1",
                   wake_bitset(&q, 1, 0x4), 1);
        park_expect_returned(c, n1 + 1);
        /* Plain FUTEX_WAKE matches every bitset. */
        expect_ret(c, "FUTEX_WAKE of bitset waiters", futex_wake(&q, INT_MAX),
                   n6 - 1);
        park_expect_returned(c, n);
        if (atomic_load(&park.returned_bits[0x1]) != n1 ||
            atomic_load(&park.returned_bits[0x6]) != n6)
            fail(c, "returns per bitset %d/%d do not match the groups",
                 atomic_load(&park.returned_bits[0x1]),
                 atomic_load(&park.returned_bits[0x6]));
    }
    park_finish(c, words, 1);
    pass("futex_bitset waiters=%d/%d", n1, n6);
}

/* ---- futex_wake_op ------------------------------------------------------- */

static _Atomic uint32_t wop_sum, wop_dummy;
static atomic_long wop_errors;

static void *wake_op_adder(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (long i = 0; i < iters; i++) {
        if ((t + (uintptr_t)i) % 2 == 0) {
            /* add 1; the comparison's outcome does not matter with nobody
             * waiting on either word */
            long r = futex2(&wop_dummy, FUTEX_WAKE_OP_PRIVATE, 1, 1, &wop_sum,
                            FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
            if (r != 0)
                atomic_fetch_add(&wop_errors, 1);
        } else {
            uint32_t *p = (uint32_t *)&wop_sum;
            __asm__ volatile("amoadd.w zero, %1, (%0)" ::"r"(p), "r"(1L)
                             : "memory");
        }
    }
    return NULL;
}

static void test_wake_op(void)
{
    const char *c = "futex_wake_op";
    static _Atomic uint32_t f1, f2;
    _Atomic uint32_t *const words[] = {&f1, &f2};
    struct {
        const char *what;
        uint32_t op, before, after;
        long woken;
    } steps[] = {
        /* 5 + 3; 5 > 4: a waiter from each word */
        {"add, gt", FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 4), 5, 8, 2},
        /* 8 | 0x10; 8 == 7 fails: only f1's last waiter */
        {"or, eq", FUTEX_OP(FUTEX_OP_OR, 0x10, FUTEX_OP_CMP_EQ, 7), 8, 0x18, 1},
        /* 0x18 & ~8; 0x18 < 0x19 */
        {"andn, lt", FUTEX_OP(FUTEX_OP_ANDN, 8, FUTEX_OP_CMP_LT, 0x19), 0x18,
         0x10, 1},
        /* 0x10 ^ (1 << 4); 0x10 != 0x10 fails */
        {"xor shifted, ne",
         FUTEX_OP((FUTEX_OP_XOR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_NE,
                  0x10),
         0x10, 0, 0},
        /* set to -5 (sign-extended 0xffb); 0 >= -1 (sign-extended 0xfff) */
        {"set negative, ge -1",
         FUTEX_OP(FUTEX_OP_SET, 0xffb, FUTEX_OP_CMP_GE, 0xfff), 0, 0xfffffffb,
         1},
        /* -5 + 1; -5 <= -6 fails (signed) */
        {"add, le", FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_LE, 0xffa),
         0xfffffffb, 0xfffffffc, 0},
        /* -4 + 1; -4 < 0 holds only as a signed comparison */
        {"add, signed lt", FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_LT, 0),
         0xfffffffc, 0xfffffffd, 1},
    };
    const int nsteps = (int)(sizeof steps / sizeof steps[0]);

    /* Two waiters on f1 and four on f2, all known to be asleep. */
    park_start(6, NULL);
    if (park_move_all(c, &f1)) {
        expect_ret(c, "FUTEX_CMP_REQUEUE move 4",
                   futex_cmp_requeue(&f1, 0, 4, &f2, 0), 4);
        atomic_store(&f2, 5);
        long returned = 0;
        for (int i = 0; i < nsteps; i++) {
            if (atomic_load(&f2) != steps[i].before)
                fail(c, "word 0x%x before \"%s\", want 0x%x",
                     (unsigned)atomic_load(&f2), steps[i].what,
                     (unsigned)steps[i].before);
            long r = futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, steps[i].op);
            expect_ret(c, steps[i].what, r, steps[i].woken);
            if (atomic_load(&f2) != steps[i].after)
                fail(c, "word 0x%x after \"%s\", want 0x%x",
                     (unsigned)atomic_load(&f2), steps[i].what,
                     (unsigned)steps[i].after);
            returned += steps[i].woken;
            park_expect_returned(c, (int)returned);
        }
        /* Operation 5 does not exist; the word is left alone. */
        expect_ret(c, "an undefined operation",
                   futex2(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2,
                          FUTEX_OP(5, 1, FUTEX_OP_CMP_EQ, 0)),
                   -ENOSYS);
        if (atomic_load(&f2) != 0xfffffffd)
            fail(c, "an undefined operation changed the word to 0x%x",
                 (unsigned)atomic_load(&f2));
        park_expect_returned(c, 6);
    }
    park_finish(c, words, 2);

    /* The operation is atomic with respect to the harts' own AMOs. */
    pthread_t tid[MAX_THREADS];
    spawn(tid, nthreads, wake_op_adder);
    join_all(tid, nthreads);
    if (atomic_load(&wop_errors) != 0)
        fail(c, "%ld FUTEX_WAKE_OP calls failed", atomic_load(&wop_errors));
    if (atomic_load(&wop_sum) != (uint32_t)(nthreads * iters))
        fail(c, "sum %u after concurrent adds, want %u",
             (unsigned)atomic_load(&wop_sum), (unsigned)(nthreads * iters));
    pass("futex_wake_op steps=%d sum=%u", nsteps, atomic_load(&wop_sum));
}

/* ---- pthread_ring: a token passed around all threads --------------------- */

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cv[MAX_THREADS];
static int ring_token;
static long ring_passes, ring_turns[MAX_THREADS];

static long ring_rounds(void)
{
    return iters / 10 > 0 ? iters / 10 : 1;
}

static void *ring_worker(void *arg)
{
    int t = (int)(uintptr_t)arg;
    for (long r = 0; r < ring_rounds(); r++) {
        pthread_mutex_lock(&ring_lock);
        while (ring_token != t)
            pthread_cond_wait(&ring_cv[t], &ring_lock);
        ring_turns[t]++;
        ring_passes++;
        ring_token = (t + 1) % nthreads;
        pthread_cond_signal(&ring_cv[ring_token]);
        pthread_mutex_unlock(&ring_lock);
    }
    return NULL;
}

static void test_ring(void)
{
    pthread_t tid[MAX_THREADS];
    for (int i = 0; i < nthreads; i++)
        check_pthread(pthread_cond_init(&ring_cv[i], NULL),
                      "pthread_cond_init");
    spawn(tid, nthreads, ring_worker);
    join_all(tid, nthreads);
    for (int i = 0; i < nthreads; i++) {
        if (ring_turns[i] != ring_rounds())
            fail("pthread_ring", "a thread had %ld turns, want %ld",
                 ring_turns[i], ring_rounds());
        pthread_cond_destroy(&ring_cv[i]);
    }
    if (ring_passes != nthreads * ring_rounds() || ring_token != 0)
        fail("pthread_ring", "%ld passes ending at %d", ring_passes,
             ring_token);
    pass("pthread_ring passes=%ld", ring_passes);
}

/* ---- pthread_sem: ping-pong and a counting semaphore --------------------- */

static sem_t ping, pong, items;
static atomic_long seq; /* ping-pong steps, strictly alternating */
static atomic_long sem_errors, consumed;

static void *pinger(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++) {
        if (atomic_load(&seq) != 2 * i)
            atomic_fetch_add(&sem_errors, 1);
        atomic_fetch_add(&seq, 1);
        sem_post(&ping);
        while (sem_wait(&pong) != 0)
            ;
    }
    return NULL;
}

static void *ponger(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++) {
        while (sem_wait(&ping) != 0)
            ;
        if (atomic_load(&seq) != 2 * i + 1)
            atomic_fetch_add(&sem_errors, 1);
        atomic_fetch_add(&seq, 1);
        sem_post(&pong);
    }
    return NULL;
}

/* Even threads produce, odd threads consume; each does iters operations. */
static void *sem_worker(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (long i = 0; i < iters; i++) {
        if (t % 2 == 0) {
            if (sem_post(&items) != 0)
                atomic_fetch_add(&sem_errors, 1);
        } else {
            while (sem_wait(&items) != 0)
                ;
            atomic_fetch_add(&consumed, 1);
        }
    }
    return NULL;
}

static void test_sem(void)
{
    const char *c = "pthread_sem";
    pthread_t tid[MAX_THREADS];

    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    check_pthread(pthread_create(&tid[0], NULL, pinger, NULL),
                  "pthread_create");
    check_pthread(pthread_create(&tid[1], NULL, ponger, NULL),
                  "pthread_create");
    join_all(tid, 2);
    if (atomic_load(&seq) != 2 * iters)
        fail(c, "ping-pong made %ld steps, want %ld", atomic_load(&seq),
             2 * iters);

    /* An even thread count pairs every producer with a consumer. */
    int n = nthreads & ~1;
    if (n < 2)
        n = 2;
    sem_init(&items, 0, 0);
    spawn(tid, n, sem_worker);
    join_all(tid, n);
    int v = -1;
    sem_getvalue(&items, &v);
    if (atomic_load(&consumed) != n / 2 * iters || v != 0)
        fail(c, "consumed %ld, %d left", atomic_load(&consumed), v);
    if (sem_trywait(&items) != -1 || errno != EAGAIN)
        fail(c, "sem_trywait on 0 did not fail with EAGAIN");
    struct timespec past = ns_to_ts(now_ns(CLOCK_REALTIME) - 1000000000);
    if (sem_timedwait(&items, &past) != -1 || errno != ETIMEDOUT)
        fail(c, "sem_timedwait past its deadline did not fail with "
                "ETIMEDOUT");
    if (atomic_load(&sem_errors) != 0)
        fail(c, "%ld out-of-turn steps or post errors",
             atomic_load(&sem_errors));
    sem_destroy(&ping);
    sem_destroy(&pong);
    sem_destroy(&items);
    pass("pthread_sem pingpong=%ld consumed=%ld", atomic_load(&seq),
           atomic_load(&consumed));
}

/* ---- pthread_rwlock ------------------------------------------------------ */

static pthread_rwlock_t rw;
static volatile long rw_a, rw_b; /* equal outside write sections */
static atomic_long rw_errors;

/* Thread t writes if t % 4 == 0 and reads otherwise. */
static void *rw_worker(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (long i = 0; i < iters; i++) {
        if (t % 4 == 0) {
            pthread_rwlock_wrlock(&rw);
            rw_a = rw_a + 1;
            if (i % 8 == 0)
                sched_yield(); /* readers must not get in here */
            rw_b = rw_b + 1;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            long a = rw_a;
            if (i % 8 == 0)
                sched_yield();
            if (rw_b != a)
                atomic_fetch_add(&rw_errors, 1);
            pthread_rwlock_unlock(&rw);
        }
    }
    return NULL;
}

static void *rw_probe(void *arg)
{
    (void)arg;
    /* The main thread holds a read lock: more readers may enter, no writer. */
    long r = pthread_rwlock_tryrdlock(&rw);
    if (r == 0)
        pthread_rwlock_unlock(&rw);
    long w = pthread_rwlock_trywrlock(&rw);
    if (w == 0)
        pthread_rwlock_unlock(&rw);
    return (void *)(uintptr_t)(r == 0 && w == EBUSY);
}

static void test_rwlock(void)
{
    const char *c = "pthread_rwlock";
    pthread_t tid[MAX_THREADS];
    pthread_rwlockattr_t attr;

    /* Writer preference, so that readers looping on the lock cannot starve
     * the writers. */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    check_pthread(pthread_rwlock_init(&rw, &attr), "pthread_rwlock_init");
    pthread_rwlockattr_destroy(&attr);

    spawn(tid, nthreads, rw_worker);
    join_all(tid, nthreads);
    long writers = (nthreads + 3) / 4;
    if (atomic_load(&rw_errors) != 0)
        fail(c, "readers saw %ld torn updates", atomic_load(&rw_errors));
    if (rw_a != writers * iters || rw_b != rw_a)
        fail(c, "pair %ld/%ld after the writers", rw_a, rw_b);

    pthread_rwlock_rdlock(&rw);
    void *ok;
    check_pthread(pthread_create(&tid[0], NULL, rw_probe, NULL),
                  "pthread_create");
    check_pthread(pthread_join(tid[0], &ok), "pthread_join");
    pthread_rwlock_unlock(&rw);
    if (!ok)
        fail(c, "tryrdlock/trywrlock under a read lock: wrong results");
    pthread_rwlock_destroy(&rw);
    pass("pthread_rwlock writes=%ld", rw_a);
}

/* ---- pthread_errors ------------------------------------------------------ */

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *try_held(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)pthread_mutex_trylock(&held);
}

static void test_pthread_errors(void)
{
    const char *c = "pthread_errors";
    pthread_t tid;
    void *r;

    pthread_mutex_lock(&held);
    check_pthread(pthread_create(&tid, NULL, try_held, NULL), "pthread_create");
    check_pthread(pthread_join(tid, &r), "pthread_join");
    if ((uintptr_t)r != EBUSY)
        fail(c, "pthread_mutex_trylock on a held mutex returned %ld, want %d",
             (long)(uintptr_t)r, EBUSY);

    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    struct timespec past = ns_to_ts(now_ns(CLOCK_REALTIME) - 1000000000);
    int e = pthread_cond_timedwait(&cv, &held, &past);
    if (e != ETIMEDOUT)
        fail(c, "pthread_cond_timedwait past its deadline returned %d, "
                "want %d", e, ETIMEDOUT);
    struct timespec soon = ns_to_ts(now_ns(CLOCK_REALTIME) + TIMEOUT_NS);
    e = pthread_cond_timedwait(&cv, &held, &soon);
    if (e != ETIMEDOUT)
        fail(c, "pthread_cond_timedwait returned %d, want %d", e, ETIMEDOUT);
    if (now_ns(CLOCK_REALTIME) <
        (int64_t)soon.tv_sec * 1000000000 + soon.tv_nsec)
        fail(c, "pthread_cond_timedwait returned early");
    pthread_mutex_unlock(&held);
    pthread_cond_destroy(&cv);
    pass("pthread_errors");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nthreads = atoi(argv[1]);
    if (argc > 2)
        iters = atol(argv[2]);
    if (nthreads < 1 || nthreads > MAX_THREADS || iters < 1) {
        fprintf(stderr, "usage: stress_futex [NTHREADS (1-%d) [ITERS]]\n",
                MAX_THREADS);
        return 2;
    }
    printf("stress_futex threads=%d iters=%ld\n", nthreads, iters);
    fflush(stdout);

    pthread_t dog;
    check_pthread(pthread_create(&dog, NULL, watchdog, NULL), "pthread_create");
    pthread_detach(dog);

    static void (*const checks[])(void) = {
        test_errors, test_mutex,   test_barrier, test_wake,
        test_requeue, test_bitset, test_wake_op, test_ring,
        test_sem,    test_rwlock,  test_pthread_errors,
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        check_failures = 0;
        checks[i]();
        fflush(stdout);
    }
    return failures != 0;
}
