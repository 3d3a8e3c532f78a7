/*
 * stress_atomics: every kind of RISC-V atomic hammered by many harts at once.
 *
 * Usage: stress_atomics [NTHREADS [ITERS]]    (defaults 8 and 20000)
 *
 * Each check runs NTHREADS threads for ITERS iterations on shared memory,
 * then compares the final state with a value computed from the arguments
 * alone.  Checks, each printed as "ok <check> ..." with totals that never
 * depend on scheduling:
 *   lrsc_w        lr.w/sc.w increment loop on a word that crosses 2^31, so
 *                 LR's sign extension is exercised under contention.
 *   lrsc_d        lr.d/sc.d increment loop on a doubleword crossing 2^32.
 *   lrsc_lanes    masked lr.w/sc.w and lr.d/sc.d updates of one byte lane
 *                 of a shared word per thread: an SC that wrongly succeeds
 *                 after a neighbour's update loses that update.
 *   lrsc_lock     a spinlock built from lr.w.aq/sc.w guarding a plain
 *                 counter, an owner field and two fields whose sum is fixed.
 *   amoswap_lock  the same with a test-and-set lock on amoswap.w.aq and an
 *                 amoswap.w.rl release.
 *   amoadd        amoadd.w and amoadd.d with every aq/rl combination; the
 *                 old values a thread gets back must increase.
 *   amo_bits      amoor/amoxor/amoand (.w and .d) on masks where each thread
 *                 owns some bits; every returned old value must show the
 *                 thread's own bits in the state it left them.
 *   amo_minmax    amomin/amomax/amominu/amomaxu (.w and .d) fed
 *                 pseudo-random values; extremes are checked, and the old
 *                 values returned never contradict what a thread stored.
 *   cas           C11 compare-exchange loops (weak and strong) on 64-bit,
 *                 16-bit and 8-bit atomics (the last two through libatomic's
 *                 word-sized CAS on bytes that neighbours are changing).
 *   sc_semantics  an sc without a reservation fails and stores nothing; so
 *                 does an sc to another address than the lr's, an sc after
 *                 another sc, an sc after a second lr elsewhere, and an sc
 *                 after another hart has changed the reserved word.
 * Exits 1 with "FAIL <check>: ..." on the first mismatch.
 */
#include "guest_util.h"
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

static int nthreads = 8;
static long iters = 20000;

/* Failures found inside worker threads are counted, not reported there, so
 * that the report comes from one place after the join. */
static atomic_long errors;

static void bad(void)
{
    atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
}

static void expect_no_errors(const char *check)
{
    long n = atomic_exchange(&errors, 0);
    if (n != 0) {
        printf("FAIL %s: %ld bad values seen by the threads\n", check, n);
        fflush(stdout);
        exit(1);
    }
}

static pthread_barrier_t start_line;

/* Spawns nthreads copies of fn with their index as argument and joins them.
 * Workers call go() first so that they all start hammering together instead
 * of one by one as they are created. */
static void run_threads(void *(*fn)(void *))
{
    pthread_t tid[MAX_THREADS];

    check_pthread(pthread_barrier_init(&start_line, NULL, (unsigned)nthreads),
                  "pthread_barrier_init");
    for (int i = 0; i < nthreads; i++)
        check_pthread(pthread_create(&tid[i], NULL, fn, (void *)(uintptr_t)i),
                      "pthread_create");
    for (int i = 0; i < nthreads; i++)
        check_pthread(pthread_join(tid[i], NULL), "pthread_join");
    check_pthread(pthread_barrier_destroy(&start_line),
                  "pthread_barrier_destroy");
}

static void go(void)
{
    int rc = pthread_barrier_wait(&start_line);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        fail("start", "pthread_barrier_wait failed");
}

/* Spinning threads give up the CPU now and then: with more threads than
 * host CPUs, a preempted lock holder would otherwise stall everyone for a
 * whole time slice.  Yielding never affects what the checks compute. */
static void spin_pause(unsigned *spins)
{
    if (++*spins % 64 == 0)
        sched_yield();
}

/* A 64-bit LCG step (Knuth's MMIX constants): cheap, deterministic values. */
static uint64_t lcg(uint64_t x)
{
    return x * 6364136223846793005ULL + 1442695040888963407ULL;
}

static uint64_t sum_ids(void) /* sum of (t + 1) over all threads */
{
    return (uint64_t)nthreads * (uint64_t)(nthreads + 1) / 2;
}

/* ---- LR/SC primitives -------------------------------------------------------
 * Each loop is a single asm statement so nothing the compiler schedules can
 * land between the lr and the sc (a constrained LR/SC loop, which hardware
 * guarantees to make progress). */

/* Returns the old value exactly as lr.w left it in the register. */
static inline int64_t lrsc_add_w(uint32_t *p, int32_t inc)
{
    int64_t old;
    long tmp;
    __asm__ volatile("1: lr.w %0, (%2)\n"
                     "   addw %1, %0, %3\n"
                     "   sc.w %1, %1, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(tmp)
                     : "r"(p), "r"((long)inc)
                     : "memory");
    return old;
}

static inline uint64_t lrsc_add_d(uint64_t *p, uint64_t inc)
{
    uint64_t old, tmp;
    __asm__ volatile("1: lr.d %0, (%2)\n"
                     "   add %1, %0, %3\n"
                     "   sc.d %1, %1, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(tmp)
                     : "r"(p), "r"(inc)
                     : "memory");
    return old;
}

/* Adds inc to the bits under mask only, leaving the rest of the word as
 * some other hart may just have changed it (the classic masked sub-word
 * atomic: new = old ^ ((old + inc ^ old) & mask)). */
static inline void lrsc_lane_add_w(uint32_t *p, uint32_t inc, uint32_t mask)
{
    long old, tmp;
    __asm__ volatile("1: lr.w %0, (%2)\n"
                     "   add %1, %0, %3\n"
                     "   xor %1, %1, %0\n"
                     "   and %1, %1, %4\n"
                     "   xor %1, %1, %0\n"
                     "   sc.w %1, %1, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(tmp)
                     : "r"(p), "r"((long)inc), "r"((long)(int32_t)mask)
                     : "memory");
}

static inline void lrsc_lane_add_d(uint64_t *p, uint64_t inc, uint64_t mask)
{
    uint64_t old, tmp;
    __asm__ volatile("1: lr.d %0, (%2)\n"
                     "   add %1, %0, %3\n"
                     "   xor %1, %1, %0\n"
                     "   and %1, %1, %4\n"
                     "   xor %1, %1, %0\n"
                     "   sc.d %1, %1, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(old), "=&r"(tmp)
                     : "r"(p), "r"(inc), "r"(mask)
                     : "memory");
}

/* ---- lrsc_w / lrsc_d ----------------------------------------------------- */

#define LRSC_W_START 0x7fffff00u
#define LRSC_D_START 0xffffff00ull

static uint32_t lrsc_word = LRSC_W_START;
static uint64_t lrsc_dword = LRSC_D_START;

static void *lrsc_counter_worker(void *arg)
{
    (void)arg;
    go();
    for (long i = 0; i < iters; i++) {
        int64_t w = lrsc_add_w(&lrsc_word, 1);
        /* lr.w sign-extends: bits 63..32 must copy bit 31. */
        if (w != (int64_t)(int32_t)w)
            bad();
        lrsc_add_d(&lrsc_dword, 1);
    }
    return NULL;
}

static void test_lrsc_counters(void)
{
    run_threads(lrsc_counter_worker);
    expect_no_errors("lrsc_w");
    uint64_t n = (uint64_t)nthreads * (uint64_t)iters;
    if (lrsc_word != (uint32_t)(LRSC_W_START + n))
        fail("lrsc_w", "lost increments");
    printf("ok lrsc_w final=0x%08x\n", lrsc_word);
    if (lrsc_dword != LRSC_D_START + n)
        fail("lrsc_d", "lost increments");
    printf("ok lrsc_d final=0x%016llx\n", (unsigned long long)lrsc_dword);
}

/* ---- lrsc_lanes ---------------------------------------------------------- */

/* Bit patterns no lane should ever change. */
#define LANES_W_INIT 0x80402010u
#define LANES_D_INIT 0x0102040810204080ull

static uint32_t lanes_w = LANES_W_INIT;
static uint64_t lanes_d = LANES_D_INIT;

static void *lanes_worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    unsigned lw = t % 4, ld = t % 8;

    go();
    for (long i = 0; i < iters; i++) {
        /* +1 in the lane; a lane at 0xff wraps without carrying out. */
        lrsc_lane_add_w(&lanes_w, 1u << (8 * lw), 0xffu << (8 * lw));
        lrsc_lane_add_d(&lanes_d, 1ull << (8 * ld), 0xffull << (8 * ld));
    }
    return NULL;
}

static void test_lrsc_lanes(void)
{
    run_threads(lanes_worker);
    uint32_t want_w = LANES_W_INIT;
    uint64_t want_d = LANES_D_INIT;
    for (int t = 0; t < nthreads; t++) {
        unsigned lw = (unsigned)t % 4, ld = (unsigned)t % 8;
        uint32_t bw = (uint8_t)((want_w >> (8 * lw)) + (uint64_t)iters);
        want_w = (want_w & ~(0xffu << (8 * lw))) | bw << (8 * lw);
        uint64_t bd = (uint8_t)((want_d >> (8 * ld)) + (uint64_t)iters);
        want_d = (want_d & ~(0xffull << (8 * ld))) | bd << (8 * ld);
    }
    if (lanes_w != want_w)
        fail("lrsc_lanes", "lr.w/sc.w byte lanes lost updates");
    if (lanes_d != want_d)
        fail("lrsc_lanes", "lr.d/sc.d byte lanes lost updates");
    printf("ok lrsc_lanes w=0x%08x d=0x%016llx\n", lanes_w,
           (unsigned long long)lanes_d);
}

/* ---- locks ------------------------------------------------------------------
 * Both locks guard the same kind of state.  The fields are volatile so every
 * access in the critical section is a separate load or store that another
 * hart would observe if mutual exclusion failed. */

#define PAIR_TOTAL 1000000

struct guarded {
    volatile long counter;
    volatile long owner; /* -1 when free */
    volatile long a, b;  /* a + b == PAIR_TOTAL outside critical sections */
};

/* The critical section: moves an amount from a to b in two steps and checks
 * the owner and the sum on the way. */
static void critical(struct guarded *g, long t, long i)
{
    if (g->owner != -1)
        bad();
    g->owner = t;
    if (g->a + g->b != PAIR_TOTAL)
        bad();
    long d = (t * 7 + i) % 101 - 50;
    g->a = g->a - d;
    g->counter = g->counter + 1;
    g->b = g->b + d;
    if (g->owner != t)
        bad();
    g->owner = -1;
}

/* Sum of every d that critical() moves, for the expected final a. */
static long total_moved(void)
{
    long s = 0;
    for (long t = 0; t < nthreads; t++)
        for (long i = 0; i < iters; i++)
            s += (t * 7 + i) % 101 - 50;
    return s;
}

static void check_guarded(const char *check, const struct guarded *g)
{
    expect_no_errors(check);
    long want_a = PAIR_TOTAL / 2 - total_moved();
    if (g->counter != (long)nthreads * iters)
        fail(check, "lost counter updates");
    if (g->a != want_a || g->b != PAIR_TOTAL - want_a)
        fail(check, "lost updates to the pair");
    printf("ok %s counter=%ld a=%ld b=%ld\n", check, g->counter, g->a, g->b);
}

static uint32_t lrsc_lock_word;
static struct guarded lrsc_guarded = {0, -1, PAIR_TOTAL / 2, PAIR_TOTAL / 2};

/* Returns 0 once the lock is taken, nonzero if it was seen held. */
static inline long lrsc_try_lock(uint32_t *l)
{
    long busy;
    __asm__ volatile("1: lr.w.aq %0, (%1)\n"
                     "   bnez %0, 2f\n"
                     "   sc.w %0, %2, (%1)\n"
                     "   bnez %0, 1b\n"
                     "2:\n"
                     : "=&r"(busy)
                     : "r"(l), "r"(1L)
                     : "memory");
    return busy;
}

static void lrsc_lock(uint32_t *l)
{
    unsigned spins = 0;
    while (lrsc_try_lock(l) != 0)
        spin_pause(&spins);
}

static void lrsc_unlock(uint32_t *l)
{
    /* A release store: everything before it is visible before the 0. */
    __asm__ volatile("fence rw, w\n"
                     "sw zero, 0(%0)\n" ::"r"(l)
                     : "memory");
}

static void *lrsc_lock_worker(void *arg)
{
    long t = (long)(uintptr_t)arg;
    go();
    for (long i = 0; i < iters; i++) {
        lrsc_lock(&lrsc_lock_word);
        critical(&lrsc_guarded, t, i);
        lrsc_unlock(&lrsc_lock_word);
    }
    return NULL;
}

static uint32_t tas_lock_word;
static struct guarded tas_guarded = {0, -1, PAIR_TOTAL / 2, PAIR_TOTAL / 2};

static void tas_lock(uint32_t *l)
{
    unsigned spins = 0;
    for (;;) {
        long old;
        __asm__ volatile("amoswap.w.aq %0, %2, (%1)"
                         : "=r"(old)
                         : "r"(l), "r"(1L)
                         : "memory");
        if (old == 0)
            return;
        /* Wait with plain loads (test-and-test-and-set) so the waiting does
         * not keep writing the lock's line. */
        while (__atomic_load_n(l, __ATOMIC_RELAXED) != 0)
            spin_pause(&spins);
    }
}

static void tas_unlock(uint32_t *l)
{
    __asm__ volatile("amoswap.w.rl zero, zero, (%0)" ::"r"(l) : "memory");
}

static void *tas_lock_worker(void *arg)
{
    long t = (long)(uintptr_t)arg;
    go();
    for (long i = 0; i < iters; i++) {
        tas_lock(&tas_lock_word);
        critical(&tas_guarded, t, i);
        tas_unlock(&tas_lock_word);
    }
    return NULL;
}

static void test_locks(void)
{
    run_threads(lrsc_lock_worker);
    check_guarded("lrsc_lock", &lrsc_guarded);
    if (lrsc_lock_word != 0)
        fail("lrsc_lock", "lock left held");
    run_threads(tas_lock_worker);
    check_guarded("amoswap_lock", &tas_guarded);
    if (tas_lock_word != 0)
        fail("amoswap_lock", "lock left held");
}

/* ---- AMO instructions ---------------------------------------------------- */

/* One function per AMO instruction: the mnemonic (with its aq/rl bits) has
 * to be spelled out in the asm.  Word forms return rd as the instruction
 * wrote it, so callers can check the sign extension. */
#define DEFINE_AMO_W(name, insn)                                               \
    static inline int64_t name(uint32_t *p, uint32_t v)                        \
    {                                                                          \
        int64_t old;                                                           \
        __asm__ volatile(insn " %0, %2, (%1)"                                  \
                         : "=r"(old)                                           \
                         : "r"(p), "r"((long)(int32_t)v)                       \
                         : "memory");                                          \
        return old;                                                            \
    }
#define DEFINE_AMO_D(name, insn)                                               \
    static inline uint64_t name(uint64_t *p, uint64_t v)                       \
    {                                                                          \
        uint64_t old;                                                          \
        __asm__ volatile(insn " %0, %2, (%1)"                                  \
                         : "=r"(old)                                           \
                         : "r"(p), "r"(v)                                      \
                         : "memory");                                          \
        return old;                                                            \
    }

DEFINE_AMO_W(amoor_w, "amoor.w")
DEFINE_AMO_W(amoxor_w_aq, "amoxor.w.aq")
DEFINE_AMO_W(amoxor_w_rl, "amoxor.w.rl")
DEFINE_AMO_W(amoand_w_aqrl, "amoand.w.aqrl")
DEFINE_AMO_D(amoor_d, "amoor.d")
DEFINE_AMO_D(amoor_d_aqrl, "amoor.d.aqrl")
DEFINE_AMO_D(amoxor_d, "amoxor.d")
DEFINE_AMO_D(amoxor_d_aq, "amoxor.d.aq")
DEFINE_AMO_D(amoand_d_rl, "amoand.d.rl")
DEFINE_AMO_W(amomin_w, "amomin.w")
DEFINE_AMO_W(amomax_w_aq, "amomax.w.aq")
DEFINE_AMO_W(amominu_w_rl, "amominu.w.rl")
DEFINE_AMO_W(amomaxu_w_aqrl, "amomaxu.w.aqrl")
DEFINE_AMO_D(amomin_d_aqrl, "amomin.d.aqrl")
DEFINE_AMO_D(amomax_d, "amomax.d")
DEFINE_AMO_D(amominu_d_aq, "amominu.d.aq")
DEFINE_AMO_D(amomaxu_d_rl, "amomaxu.d.rl")
DEFINE_AMO_W(amoadd_w_plain, "amoadd.w")
DEFINE_AMO_W(amoadd_w_aq, "amoadd.w.aq")
DEFINE_AMO_W(amoadd_w_rl, "amoadd.w.rl")
DEFINE_AMO_W(amoadd_w_aqrl, "amoadd.w.aqrl")
DEFINE_AMO_D(amoadd_d_plain, "amoadd.d")
DEFINE_AMO_D(amoadd_d_aq, "amoadd.d.aq")
DEFINE_AMO_D(amoadd_d_rl, "amoadd.d.rl")
DEFINE_AMO_D(amoadd_d_aqrl, "amoadd.d.aqrl")

/* ---- amoadd -------------------------------------------------------------- */

#define AMOADD_W_START 0xfffff000u

static uint32_t amoadd_word = AMOADD_W_START;
static uint64_t amoadd_dword;

/* amoadd with the ordering bits chosen by k, so all four encodings run. */
static int64_t amoadd_w(uint32_t *p, uint32_t v, unsigned k)
{
    static int64_t (*const f[4])(uint32_t *, uint32_t) = {
        amoadd_w_plain, amoadd_w_aq, amoadd_w_rl, amoadd_w_aqrl};
    return f[k % 4](p, v);
}

static uint64_t amoadd_d(uint64_t *p, uint64_t v, unsigned k)
{
    static uint64_t (*const f[4])(uint64_t *, uint64_t) = {
        amoadd_d_plain, amoadd_d_aq, amoadd_d_rl, amoadd_d_aqrl};
    return f[k % 4](p, v);
}

static void *amoadd_worker(void *arg)
{
    uint64_t t = (uintptr_t)arg;
    /* The high half counts in steps of t+1, the low half counts calls. */
    uint64_t dinc = (t + 1) << 32 | 1;
    uint64_t last = 0;

    go();
    for (long i = 0; i < iters; i++) {
        int64_t w = amoadd_w(&amoadd_word, (uint32_t)(t + 1), (unsigned)i);
        if (w != (int64_t)(int32_t)w)
            bad(); /* amoadd.w must sign-extend the old value */
        uint64_t d = amoadd_d(&amoadd_dword, dinc, (unsigned)(i + t));
        /* Everyone only adds, so this thread's view only grows, and by at
         * least what it added itself. */
        if (i > 0 && d < last + dinc)
            bad();
        last = d;
    }
    return NULL;
}

static void test_amoadd(void)
{
    run_threads(amoadd_worker);
    expect_no_errors("amoadd");
    uint64_t n = (uint64_t)iters;
    uint32_t want_w = (uint32_t)(AMOADD_W_START + n * sum_ids());
    uint64_t want_d = (n * sum_ids()) << 32 | n * (uint64_t)nthreads;
    if (amoadd_word != want_w)
        fail("amoadd", "amoadd.w lost additions");
    if (amoadd_dword != want_d)
        fail("amoadd", "amoadd.d lost additions");
    printf("ok amoadd w=0x%08x d=0x%016llx\n", amoadd_word,
           (unsigned long long)amoadd_dword);
}

/* ---- amo_bits ------------------------------------------------------------ */

static uint32_t bits_w;
static uint64_t bits_d;

/* Bits b with b % nthreads == t belong to thread t. */
static uint64_t owned_bits(unsigned t)
{
    uint64_t m = 0;
    for (unsigned b = t; b < 64; b += (unsigned)nthreads)
        m |= 1ull << b;
    return m;
}

static void *bits_worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    uint64_t md = owned_bits(t);
    uint32_t mw = (uint32_t)md;

    go();
    for (long i = 0; i < iters; i++) {
        /* Only this thread touches its bits, so each old value must show
         * them as this thread's previous operation left them, whatever
         * the others did to the rest of the word meanwhile. */
        int64_t w;
        w = amoor_w(&bits_w, mw);
        if (((uint32_t)w & mw) != 0 || w != (int64_t)(int32_t)w)
            bad();
        w = amoxor_w_aq(&bits_w, mw); /* set -> clear */
        if (((uint32_t)w & mw) != mw)
            bad();
        w = amoxor_w_rl(&bits_w, mw); /* clear -> set */
        if (((uint32_t)w & mw) != 0)
            bad();
        w = amoand_w_aqrl(&bits_w, ~mw); /* set -> clear */
        if (((uint32_t)w & mw) != mw || w != (int64_t)(int32_t)w)
            bad();

        uint64_t d;
        d = amoor_d_aqrl(&bits_d, md);
        if ((d & md) != 0)
            bad();
        d = amoxor_d(&bits_d, md);
        if ((d & md) != md)
            bad();
        d = amoxor_d_aq(&bits_d, md);
        if ((d & md) != 0)
            bad();
        d = amoand_d_rl(&bits_d, ~md);
        if ((d & md) != md)
            bad();
    }
    /* Leave a final pattern that depends on who owns what. */
    if (t % 2 == 1) {
        amoor_w(&bits_w, mw);
        amoor_d(&bits_d, md);
    }
    return NULL;
}

static void test_amo_bits(void)
{
    run_threads(bits_worker);
    expect_no_errors("amo_bits");
    uint64_t want = 0;
    for (int t = 1; t < nthreads; t += 2)
        want |= owned_bits((unsigned)t);
    if (bits_w != (uint32_t)want)
        fail("amo_bits", "wrong final amo*.w mask");
    if (bits_d != want)
        fail("amo_bits", "wrong final amo*.d mask");
    printf("ok amo_bits w=0x%08x d=0x%016llx\n", bits_w,
           (unsigned long long)bits_d);
}

/* ---- amo_minmax ---------------------------------------------------------- */

static int32_t min_w = INT32_MAX, max_w = INT32_MIN;
static uint32_t minu_w = UINT32_MAX, maxu_w = 0;
static int64_t min_d = INT64_MAX, max_d = INT64_MIN;
static uint64_t minu_d = UINT64_MAX, maxu_d = 0;

/* Thread t's i-th value: negative as often as positive, so the signed and
 * unsigned variants disagree about the extremes. */
static uint64_t minmax_seed(unsigned t)
{
    return lcg(lcg(t + 1) ^ 0x9e3779b97f4a7c15ULL);
}

static void *minmax_worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    uint64_t x = minmax_seed(t);
    /* What this thread has stored so far bounds what it can read back. */
    int32_t my_min_w = INT32_MAX, my_max_w = INT32_MIN;
    uint32_t my_minu_w = UINT32_MAX, my_maxu_w = 0;
    int64_t my_min_d = INT64_MAX, my_max_d = INT64_MIN;
    uint64_t my_minu_d = UINT64_MAX, my_maxu_d = 0;

    go();
    for (long i = 0; i < iters; i++) {
        x = lcg(x);
        uint64_t vd = x;
        uint32_t vw = (uint32_t)(x >> 32);
        int64_t o;

        o = amomin_w((uint32_t *)&min_w, vw);
        if (o != (int32_t)o || (int32_t)o > my_min_w)
            bad();
        if ((int32_t)vw < my_min_w)
            my_min_w = (int32_t)vw;
        o = amomax_w_aq((uint32_t *)&max_w, vw);
        if (o != (int32_t)o || (int32_t)o < my_max_w)
            bad();
        if ((int32_t)vw > my_max_w)
            my_max_w = (int32_t)vw;
        o = amominu_w_rl(&minu_w, vw);
        if (o != (int32_t)o || (uint32_t)o > my_minu_w)
            bad();
        if (vw < my_minu_w)
            my_minu_w = vw;
        o = amomaxu_w_aqrl(&maxu_w, vw);
        if (o != (int32_t)o || (uint32_t)o < my_maxu_w)
            bad();
        if (vw > my_maxu_w)
            my_maxu_w = vw;

        uint64_t od;
        od = amomin_d_aqrl((uint64_t *)&min_d, vd);
        if ((int64_t)od > my_min_d)
            bad();
        if ((int64_t)vd < my_min_d)
            my_min_d = (int64_t)vd;
        od = amomax_d((uint64_t *)&max_d, vd);
        if ((int64_t)od < my_max_d)
            bad();
        if ((int64_t)vd > my_max_d)
            my_max_d = (int64_t)vd;
        od = amominu_d_aq(&minu_d, vd);
        if (od > my_minu_d)
            bad();
        if (vd < my_minu_d)
            my_minu_d = vd;
        od = amomaxu_d_rl(&maxu_d, vd);
        if (od < my_maxu_d)
            bad();
        if (vd > my_maxu_d)
            my_maxu_d = vd;
    }
    return NULL;
}

static void test_amo_minmax(void)
{
    run_threads(minmax_worker);
    expect_no_errors("amo_minmax");

    int32_t e_min_w = INT32_MAX, e_max_w = INT32_MIN;
    uint32_t e_minu_w = UINT32_MAX, e_maxu_w = 0;
    int64_t e_min_d = INT64_MAX, e_max_d = INT64_MIN;
    uint64_t e_minu_d = UINT64_MAX, e_maxu_d = 0;
    for (int t = 0; t < nthreads; t++) {
        uint64_t x = minmax_seed((unsigned)t);
        for (long i = 0; i < iters; i++) {
            x = lcg(x);
            int32_t sw = (int32_t)(x >> 32);
            uint32_t uw = (uint32_t)(x >> 32);
            if (sw < e_min_w) e_min_w = sw;
            if (sw > e_max_w) e_max_w = sw;
            if (uw < e_minu_w) e_minu_w = uw;
            if (uw > e_maxu_w) e_maxu_w = uw;
            if ((int64_t)x < e_min_d) e_min_d = (int64_t)x;
            if ((int64_t)x > e_max_d) e_max_d = (int64_t)x;
            if (x < e_minu_d) e_minu_d = x;
            if (x > e_maxu_d) e_maxu_d = x;
        }
    }
    if (min_w != e_min_w || max_w != e_max_w)
        fail("amo_minmax", "wrong amomin.w/amomax.w extreme");
    if (minu_w != e_minu_w || maxu_w != e_maxu_w)
        fail("amo_minmax", "wrong amominu.w/amomaxu.w extreme");
    if (min_d != e_min_d || max_d != e_max_d)
        fail("amo_minmax", "wrong amomin.d/amomax.d extreme");
    if (minu_d != e_minu_d || maxu_d != e_maxu_d)
        fail("amo_minmax", "wrong amominu.d/amomaxu.d extreme");
    printf("ok amo_minmax w=%d..%d wu=0x%08x..0x%08x\n", min_w, max_w,
           minu_w, maxu_w);
    printf("ok amo_minmax d=%lld..%lld du=0x%016llx..0x%016llx\n",
           (long long)min_d, (long long)max_d, (unsigned long long)minu_d,
           (unsigned long long)maxu_d);
}

/* ---- cas ----------------------------------------------------------------- */

static _Atomic uint64_t cas_packed; /* high half: calls; low half: sum of t+1 */
static _Atomic uint32_t cas_max;    /* a CAS-built maximum */
/* Sub-word atomics share words with their neighbours, which other threads
 * update at the same time. */
static struct {
    _Atomic uint16_t h[4];
    _Atomic uint8_t c[8];
} cas_small;

static void *cas_worker(void *arg)
{
    uint64_t t = (uintptr_t)arg;
    uint64_t x = lcg(t + 100);

    go();
    for (long i = 0; i < iters; i++) {
        uint64_t old = atomic_load_explicit(&cas_packed, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&cas_packed, &old,
                                             old + (1ull << 32) + t + 1))
            ; /* the failed exchange refreshed old */

        x = lcg(x);
        uint32_t v = (uint32_t)(x >> 40);
        uint32_t cur = atomic_load_explicit(&cas_max, memory_order_relaxed);
        while (cur < v &&
               !atomic_compare_exchange_strong(&cas_max, &cur, v))
            ;
        if (atomic_load(&cas_max) < v)
            bad();

        _Atomic uint16_t *h = &cas_small.h[t % 4];
        uint16_t ho = atomic_load_explicit(h, memory_order_relaxed);
        while (!atomic_compare_exchange_strong(h, &ho, (uint16_t)(ho + 3)))
            ;
        atomic_fetch_add(&cas_small.c[t % 8], 1);
    }
    return NULL;
}

static void test_cas(void)
{
    /* Failure semantics first, single-threaded: a failed exchange stores
     * nothing and hands back the current value. */
    _Atomic uint64_t cell = 5;
    uint64_t exp = 4;
    if (atomic_compare_exchange_strong(&cell, &exp, 9) || exp != 5 ||
        atomic_load(&cell) != 5)
        fail("cas", "failed exchange stored or did not report the value");
    _Atomic uint8_t small = 0x80;
    uint8_t sexp = 0x7f;
    if (atomic_compare_exchange_strong(&small, &sexp, 1) || sexp != 0x80 ||
        atomic_load(&small) != 0x80)
        fail("cas", "failed byte exchange stored or did not report the value");

    run_threads(cas_worker);
    expect_no_errors("cas");

    uint64_t n = (uint64_t)iters;
    uint64_t want_packed = (n * (uint64_t)nthreads << 32) + n * sum_ids();
    if (atomic_load(&cas_packed) != want_packed)
        fail("cas", "64-bit compare-exchange lost updates");
    uint32_t want_max = 0;
    for (int t = 0; t < nthreads; t++) {
        uint64_t x = lcg((uint64_t)t + 100);
        for (long i = 0; i < iters; i++) {
            x = lcg(x);
            if ((uint32_t)(x >> 40) > want_max)
                want_max = (uint32_t)(x >> 40);
        }
    }
    if (atomic_load(&cas_max) != want_max)
        fail("cas", "compare-exchange maximum wrong");
    uint64_t small_sum = 0;
    for (int k = 0; k < 4; k++) {
        uint64_t users = (uint64_t)(nthreads / 4 + (k < nthreads % 4));
        if (atomic_load(&cas_small.h[k]) != (uint16_t)(3 * n * users))
            fail("cas", "16-bit compare-exchange lost updates");
        small_sum += atomic_load(&cas_small.h[k]);
    }
    for (int k = 0; k < 8; k++) {
        uint64_t users = (uint64_t)(nthreads / 8 + (k < nthreads % 8));
        if (atomic_load(&cas_small.c[k]) != (uint8_t)(n * users))
            fail("cas", "8-bit fetch_add lost updates");
        small_sum += atomic_load(&cas_small.c[k]);
    }
    printf("ok cas packed=0x%016llx max=0x%06x small_sum=%llu\n",
           (unsigned long long)atomic_load(&cas_packed), want_max,
           (unsigned long long)small_sum);
}

/* ---- sc_semantics -----------------------------------------------------------
 * The words live on separate pages so that no implementation's reservation
 * granule (a cache line, say) can cover two of them. */

static struct {
    _Alignas(4096) uint64_t a;
    _Alignas(4096) uint64_t b;
    _Alignas(4096) uint64_t scratch;
} sc_mem;

static void sc_expect(const char *what, long rc, int want_success,
                      uint64_t got, uint64_t want)
{
    if ((rc == 0) != want_success) {
        printf("FAIL sc_semantics: %s: sc returned %ld\n", what, rc);
        fflush(stdout);
        exit(1);
    }
    if (got != want) {
        printf("FAIL sc_semantics: %s: memory 0x%llx, want 0x%llx\n", what,
               (unsigned long long)got, (unsigned long long)want);
        fflush(stdout);
        exit(1);
    }
}

/* Cross-hart part: the main thread holds a reservation on sc_mem.a while a
 * helper changes that word, then tries its sc. */
static atomic_int xh_step;

static void *sc_helper(void *arg)
{
    (void)arg;
    for (int round = 1; round <= 4; round++) {
        unsigned spins = 0;
        while (atomic_load(&xh_step) != 2 * round - 1)
            spin_pause(&spins);
        uint32_t *w = (uint32_t *)&sc_mem.a;
        switch (round) {
        case 1: /* a plain store of another value */
            __atomic_store_n(w, 0x1111u, __ATOMIC_SEQ_CST);
            break;
        case 2: /* an AMO */
            amoadd_w_plain(w, 0x100);
            break;
        case 3: /* this hart's own successful lr/sc */
            lrsc_add_w(w, 0x10);
            break;
        default: /* a doubleword store over the reserved word */
            __atomic_store_n(&sc_mem.a, 0x2222ull, __ATOMIC_SEQ_CST);
            break;
        }
        atomic_store(&xh_step, 2 * round);
    }
    return NULL;
}

static void test_sc_semantics(void)
{
    long rc, rc2;
    uint64_t v;

    /* No reservation: the first sc consumes whatever reservation earlier
     * code (in libc, say) may have left; the second must then fail. */
    sc_mem.a = 0x1234;
    __asm__ volatile("sc.w %0, %2, (%3)\n"
                     "sc.w %1, %2, (%4)\n"
                     : "=&r"(rc2), "=&r"(rc)
                     : "r"(0x5555L), "r"(&sc_mem.scratch), "r"(&sc_mem.a)
                     : "memory");
    sc_expect("sc.w without lr", rc, 0, sc_mem.a, 0x1234);
    __asm__ volatile("sc.d %0, %2, (%3)\n"
                     "sc.d %1, %2, (%4)\n"
                     : "=&r"(rc2), "=&r"(rc)
                     : "r"(0x5555L), "r"(&sc_mem.scratch), "r"(&sc_mem.a)
                     : "memory");
    sc_expect("sc.d without lr", rc, 0, sc_mem.a, 0x1234);

    /* lr on a, sc on b: fails without storing; the failed sc also ends
     * the reservation on a. */
    sc_mem.a = 0x10;
    sc_mem.b = 0x20;
    __asm__ volatile("lr.w %2, (%4)\n"
                     "sc.w %0, %3, (%5)\n"
                     "sc.w %1, %3, (%4)\n"
                     : "=&r"(rc), "=&r"(rc2), "=&r"(v)
                     : "r"(0x99L), "r"(&sc_mem.a), "r"(&sc_mem.b)
                     : "memory");
    sc_expect("sc.w to another address than lr.w", rc, 0, sc_mem.b, 0x20);
    sc_expect("sc.w after a failed sc.w", rc2, 0, sc_mem.a, 0x10);
    __asm__ volatile("lr.d %2, (%4)\n"
                     "sc.d %0, %3, (%5)\n"
                     "sc.d %1, %3, (%4)\n"
                     : "=&r"(rc), "=&r"(rc2), "=&r"(v)
                     : "r"(0x99L), "r"(&sc_mem.a), "r"(&sc_mem.b)
                     : "memory");
    sc_expect("sc.d to another address than lr.d", rc, 0, sc_mem.b, 0x20);
    sc_expect("sc.d after a failed sc.d", rc2, 0, sc_mem.a, 0x10);

    /* A matching pair succeeds once; a second sc has nothing to pair with. */
    __asm__ volatile("lr.w %2, (%4)\n"
                     "sc.w %0, %3, (%4)\n"
                     "sc.w %1, %3, (%5)\n"
                     : "=&r"(rc), "=&r"(rc2), "=&r"(v)
                     : "r"(0x77L), "r"(&sc_mem.a), "r"(&sc_mem.a)
                     : "memory");
    if (v != 0x10)
        fail("sc_semantics", "lr.w returned the wrong value");
    sc_expect("lr.w/sc.w pair", rc, 1, sc_mem.a, 0x77);
    /* The second sc wrote 0x77 again if it wrongly succeeded, so check it
     * by its return code. */
    sc_expect("second sc.w after a successful one", rc2, 0, sc_mem.a, 0x77);
    __asm__ volatile("lr.d %2, (%5)\n"
                     "sc.d %0, %3, (%5)\n"
                     "sc.d %1, %4, (%5)\n"
                     : "=&r"(rc), "=&r"(rc2), "=&r"(v)
                     : "r"(0x1122334455667788L), "r"(0x66L), "r"(&sc_mem.a)
                     : "memory");
    if (v != 0x77)
        fail("sc_semantics", "lr.d returned the wrong value");
    sc_expect("lr.d/sc.d pair", rc, 1, sc_mem.a, 0x1122334455667788ull);
    sc_expect("second sc.d after a successful one", rc2, 0, sc_mem.a,
              0x1122334455667788ull);

    /* lr a, lr b, sc a: the sc pairs with the most recent lr (on b). */
    sc_mem.a = 0x30;
    sc_mem.b = 0x40;
    __asm__ volatile("lr.w %1, (%3)\n"
                     "lr.w %1, (%4)\n"
                     "sc.w %0, %2, (%3)\n"
                     : "=&r"(rc), "=&r"(v)
                     : "r"(0x55L), "r"(&sc_mem.a), "r"(&sc_mem.b)
                     : "memory");
    sc_expect("sc.w to the address of an older lr.w", rc, 0, sc_mem.a, 0x30);

    /* Another hart changes the reserved word between lr and sc.  Only loads
     * run in between: a system call would drop the reservation by itself
     * and prove nothing. */
    pthread_t helper;
    check_pthread(pthread_create(&helper, NULL, sc_helper, NULL),
                  "pthread_create");
    static const struct {
        const char *what;
        uint64_t before, after;
    } cross[4] = {
        {"sc.w after another hart's store", 0x500, 0x1111},
        {"sc.w after another hart's amoadd.w", 0x600, 0x700},
        {"sc.w after another hart's lr/sc", 0x800, 0x810},
        {"sc.w after another hart's sd", 0x900, 0x2222},
    };
    for (int round = 1; round <= 4; round++) {
        sc_mem.a = cross[round - 1].before;
        __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(&sc_mem.a) : "memory");
        atomic_store(&xh_step, 2 * round - 1);
        while (atomic_load(&xh_step) != 2 * round)
            ; /* no system call here, see above */
        __asm__ volatile("sc.w %0, %1, (%2)"
                         : "=r"(rc)
                         : "r"(0xdeadL), "r"(&sc_mem.a)
                         : "memory");
        sc_expect(cross[round - 1].what, rc, 0, sc_mem.a,
                  cross[round - 1].after);
    }
    check_pthread(pthread_join(helper, NULL), "pthread_join");
    printf("ok sc_semantics\n");
}

int main(int argc, char **argv)
{
    nthreads = (int)arg_long(argc, argv, 1, nthreads, 1, MAX_THREADS);
    iters = arg_long(argc, argv, 2, iters, 1, LONG_MAX);
    printf("stress_atomics threads=%d iters=%ld\n", nthreads, iters);

    test_sc_semantics();
    test_lrsc_counters();
    test_lrsc_lanes();
    test_locks();
    test_amoadd();
    test_amo_bits();
    test_amo_minmax();
    test_cas();
    return 0;
}
