/*
 * threads: multithreading semantics a user-mode emulator must get right.
 *
 * Usage: threads [NTHREADS] [ITERS]    (defaults 4 and 20000)
 *
 * Checks, each printed as "ok <check> ..." with totals that depend only on
 * the arguments, never on scheduling:
 *   atomic_counter  N threads hammer one counter with atomic_fetch_add, and
 *                   a second one with a compare-exchange loop (LR/SC or AMO
 *                   under the hood); no increment may be lost.
 *   mutex_counter   a plain counter guarded by a pthread mutex.
 *   spinlock        a test-and-set lock built on atomic_flag guarding a
 *                   two-word invariant that a torn update would break.
 *   queue           a bounded producer/consumer queue on a mutex and two
 *                   condition variables; sums and hashes of everything
 *                   consumed must equal what was produced.
 *   tls             __thread variables are per thread, start from their
 *                   initialiser in every thread, and have distinct addresses.
 *   barrier         pthread_barrier_wait: all writes before the barrier are
 *                   seen after it, and exactly one thread per round gets
 *                   PTHREAD_BARRIER_SERIAL_THREAD.
 *   join            values returned from thread functions reach
 *                   pthread_join.
 * Exits 1 with "FAIL <check>" on the first mismatch.
 */
#include "guest_util.h"
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

static int nthreads = 4;
static long iters = 20000;

/* A cheap integer mix so checksums are sensitive to which values were seen,
 * not just to their sum. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Spawns nthreads copies of fn with their index as argument and joins them,
 * returning the sum of the values the threads returned. */
static uintptr_t run_threads(void *(*fn)(void *))
{
    pthread_t tid[MAX_THREADS];
    uintptr_t total = 0;

    for (int i = 0; i < nthreads; i++)
        check_pthread(pthread_create(&tid[i], NULL, fn, (void *)(uintptr_t)i),
                      "pthread_create");
    for (int i = 0; i < nthreads; i++) {
        void *ret;
        check_pthread(pthread_join(tid[i], &ret), "pthread_join");
        total += (uintptr_t)ret;
    }
    return total;
}

/* ---- atomics ---------------------------------------------------------- */

static atomic_long add_counter;
static atomic_long cas_counter;
static _Atomic uint64_t cas_hash; /* order-independent: sum of mixes via CAS */

static void *atomic_worker(void *arg)
{
    uintptr_t id = (uintptr_t)arg;

    for (long i = 0; i < iters; i++) {
        atomic_fetch_add(&add_counter, 1);

        long old = atomic_load_explicit(&cas_counter, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&cas_counter, &old, old + 1))
            ; /* old was refreshed by the failed exchange */

        uint64_t h = atomic_load(&cas_hash);
        uint64_t add = mix(id * (uint64_t)iters + (uint64_t)i);
        while (!atomic_compare_exchange_strong(&cas_hash, &h, h + add))
            ;
    }
    return (void *)id;
}

static void test_atomics(void)
{
    uintptr_t ids = run_threads(atomic_worker);
    long want = (long)nthreads * iters;
    uint64_t want_hash = 0;

    for (uint64_t v = 0; v < (uint64_t)want; v++)
        want_hash += mix(v);
    if (atomic_load(&add_counter) != want)
        fail("atomic_counter", "fetch_add lost increments");
    if (atomic_load(&cas_counter) != want)
        fail("atomic_counter", "compare-exchange lost increments");
    if (atomic_load(&cas_hash) != want_hash)
        fail("atomic_counter", "compare-exchange hash mismatch");
    if (ids != (uintptr_t)nthreads * (nthreads - 1) / 2)
        fail("join", "returned thread ids do not add up");
    printf("ok atomic_counter total=%ld cas_total=%ld hash=%016llx\n",
           atomic_load(&add_counter), atomic_load(&cas_counter),
           (unsigned long long)want_hash);
}

/* ---- mutex ------------------------------------------------------------ */

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long mutex_counter;

static void *mutex_worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++) {
        pthread_mutex_lock(&counter_lock);
        mutex_counter++;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

static void test_mutex(void)
{
    run_threads(mutex_worker);
    if (mutex_counter != (long)nthreads * iters)
        fail("mutex_counter", "lost increments under the mutex");
    printf("ok mutex_counter total=%ld\n", mutex_counter);
}

/* ---- spinlock on atomic_flag ------------------------------------------ */

static atomic_flag spin = ATOMIC_FLAG_INIT;
/* Invariant under the lock: pair_a + pair_b == 0.  Volatile so each update
 * is a separate store that another thread could observe if mutual exclusion
 * were broken. */
static volatile long pair_a, pair_b;
static atomic_long spin_violations;

static void *spin_worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++) {
        while (atomic_flag_test_and_set_explicit(&spin, memory_order_acquire))
            ;
        if (pair_a + pair_b != 0)
            atomic_fetch_add(&spin_violations, 1);
        pair_a = pair_a + 1;
        pair_b = pair_b - 1;
        atomic_flag_clear_explicit(&spin, memory_order_release);
    }
    return NULL;
}

static void test_spinlock(void)
{
    run_threads(spin_worker);
    if (atomic_load(&spin_violations) != 0)
        fail("spinlock", "invariant broken inside the critical section");
    if (pair_a != (long)nthreads * iters || pair_b != -pair_a)
        fail("spinlock", "lost updates");
    printf("ok spinlock total=%ld\n", (long)pair_a);
}

/* ---- producer/consumer queue ------------------------------------------ */

#define QCAP 16
#define QDONE UINT64_MAX /* sentinel telling a consumer to stop */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    uint64_t buf[QCAP];
    int head, count;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
       PTHREAD_COND_INITIALIZER, {0}, 0, 0};

static void q_put(uint64_t v)
{
    pthread_mutex_lock(&q.lock);
    while (q.count == QCAP)
        pthread_cond_wait(&q.not_full, &q.lock);
    q.buf[(q.head + q.count) % QCAP] = v;
    q.count++;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.lock);
}

static uint64_t q_get(void)
{
    pthread_mutex_lock(&q.lock);
    while (q.count == 0)
        pthread_cond_wait(&q.not_empty, &q.lock);
    uint64_t v = q.buf[q.head];
    q.head = (q.head + 1) % QCAP;
    q.count--;
    pthread_cond_signal(&q.not_full);
    pthread_mutex_unlock(&q.lock);
    return v;
}

static _Atomic uint64_t consumed_sum, consumed_hash, consumed_count;

static void *producer(void *arg)
{
    uint64_t id = (uintptr_t)arg;
    for (long i = 0; i < iters; i++)
        q_put(id * (uint64_t)iters + (uint64_t)i);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    uint64_t sum = 0, hash = 0, count = 0;
    for (;;) {
        uint64_t v = q_get();
        if (v == QDONE)
            break;
        sum += v;
        hash += mix(v);
        count++;
    }
    atomic_fetch_add(&consumed_sum, sum);
    atomic_fetch_add(&consumed_hash, hash);
    atomic_fetch_add(&consumed_count, count);
    return (void *)(uintptr_t)count;
}

static void test_queue(void)
{
    pthread_t prod[MAX_THREADS], cons[MAX_THREADS];
    uint64_t joined_count = 0;

    for (int i = 0; i < nthreads; i++) {
        check_pthread(pthread_create(&cons[i], NULL, consumer, NULL),
                      "pthread_create");
        check_pthread(pthread_create(&prod[i], NULL, producer,
                                     (void *)(uintptr_t)i),
                      "pthread_create");
    }
    for (int i = 0; i < nthreads; i++)
        check_pthread(pthread_join(prod[i], NULL), "pthread_join");
    /* All real items are queued ahead of these, and each consumer exits
     * after taking exactly one sentinel. */
    for (int i = 0; i < nthreads; i++)
        q_put(QDONE);
    for (int i = 0; i < nthreads; i++) {
        void *ret;
        check_pthread(pthread_join(cons[i], &ret), "pthread_join");
        joined_count += (uintptr_t)ret;
    }

    uint64_t n = (uint64_t)nthreads * (uint64_t)iters;
    uint64_t want_hash = 0;
    for (uint64_t v = 0; v < n; v++)
        want_hash += mix(v);
    if (atomic_load(&consumed_count) != n || joined_count != n)
        fail("queue", "item count mismatch");
    if (atomic_load(&consumed_sum) != n * (n - 1) / 2)
        fail("queue", "item sum mismatch");
    if (atomic_load(&consumed_hash) != want_hash)
        fail("queue", "item hash mismatch");
    if (q.count != 0)
        fail("queue", "queue not drained");
    printf("ok queue items=%llu sum=%llu hash=%016llx\n",
           (unsigned long long)n, (unsigned long long)(n * (n - 1) / 2),
           (unsigned long long)want_hash);
}

/* ---- thread-local storage --------------------------------------------- */

/* A non-zero initialiser puts these in .tdata, so each new thread's TLS block
 * must be copied from the image, not just zeroed. */
static __thread long tls_value = 12345;
static __thread char tls_tag[16] = "initial";
static __thread long tls_zero; /* .tbss */
static void *tls_addr[MAX_THREADS];

static void *tls_worker(void *arg)
{
    uintptr_t id = (uintptr_t)arg;

    if (tls_value != 12345 || strcmp(tls_tag, "initial") != 0 || tls_zero != 0)
        fail("tls", "thread did not start from the TLS initialiser");
    tls_addr[id] = &tls_value;
    for (long i = 0; i < iters; i++) {
        tls_value += (long)id + 1;
        tls_zero++;
    }
    snprintf(tls_tag, sizeof tls_tag, "thread%u", (unsigned)id);
    /* Other threads were doing the same to their own copies meanwhile. */
    if (tls_value != 12345 + ((long)id + 1) * iters || tls_zero != iters)
        fail("tls", "per-thread value disturbed by another thread");
    char want[16];
    snprintf(want, sizeof want, "thread%u", (unsigned)id);
    if (strcmp(tls_tag, want) != 0)
        fail("tls", "per-thread string disturbed");
    return (void *)(uintptr_t)(tls_value - 12345);
}

static void test_tls(void)
{
    tls_value = -1; /* the main thread's copy must not leak into others */
    uintptr_t total = run_threads(tls_worker);
    long want = 0;
    for (int i = 0; i < nthreads; i++)
        want += (long)(i + 1) * iters;
    if ((long)total != want)
        fail("tls", "join results do not add up");
    if (tls_value != -1 || strcmp(tls_tag, "initial") != 0)
        fail("tls", "main thread's copy was modified by workers");
    for (int i = 0; i < nthreads; i++)
        for (int j = i + 1; j < nthreads; j++)
            if (tls_addr[i] == tls_addr[j])
                fail("tls", "two threads share a TLS address");
    printf("ok tls total=%ld\n", want);
}

/* ---- barrier ---------------------------------------------------------- */

#define ROUNDS 50

static pthread_barrier_t barrier;
static long slots[MAX_THREADS];
static atomic_int serial_count[ROUNDS];

static void *barrier_worker(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    long seen = 0;

    for (int r = 0; r < ROUNDS; r++) {
        slots[id] = (long)r * 1000 + (long)id;
        int rc = pthread_barrier_wait(&barrier);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serial_count[r], 1);
        else if (rc != 0)
            fail("barrier", "pthread_barrier_wait error");
        /* Every slot must hold this round's value now. */
        for (int j = 0; j < nthreads; j++) {
            if (slots[j] != (long)r * 1000 + j)
                fail("barrier", "write before barrier not visible after it");
            seen += slots[j];
        }
        /* Nobody may overwrite a slot for the next round until everybody
         * has read this one. */
        rc = pthread_barrier_wait(&barrier);
        if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
            fail("barrier", "pthread_barrier_wait error");
    }
    return (void *)(uintptr_t)seen;
}

static void test_barrier(void)
{
    check_pthread(pthread_barrier_init(&barrier, NULL, (unsigned)nthreads),
                  "pthread_barrier_init");
    uintptr_t total = run_threads(barrier_worker);
    check_pthread(pthread_barrier_destroy(&barrier), "pthread_barrier_destroy");

    for (int r = 0; r < ROUNDS; r++)
        if (atomic_load(&serial_count[r]) != 1)
            fail("barrier", "not exactly one serial thread in a round");
    uintptr_t want = 0;
    for (int r = 0; r < ROUNDS; r++)
        for (int j = 0; j < nthreads; j++)
            want += (uintptr_t)((long)r * 1000 + j);
    want *= (uintptr_t)nthreads;
    if (total != want)
        fail("barrier", "sum of values seen mismatch");
    printf("ok barrier rounds=%d sum=%llu\n", ROUNDS, (unsigned long long)want);
}

int main(int argc, char **argv)
{
    nthreads = (int)arg_long(argc, argv, 1, nthreads, 1, MAX_THREADS);
    iters = arg_long(argc, argv, 2, iters, 1, LONG_MAX);
    printf("threads=%d iters=%ld\n", nthreads, iters);
    test_atomics();
    test_mutex();
    test_spinlock();
    test_queue();
    test_tls();
    test_barrier();
    printf("ok join\n");
    printf("threads: all checks passed\n");
    return 0;
}
