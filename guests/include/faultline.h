/*
 * faultline.h: what a guest program needs to measure itself under faultline
 * and to mark its trace, in one header-only C11 file (every function static
 * inline; prefix fl_).  Everything also works on a real Linux kernel, so the
 * same guest builds and runs there:
 *
 *   - timers: fl_now_ns (CLOCK_MONOTONIC; faultline's virtual time under
 *     --clock virtual), fl_sleep_ns;
 *   - a latency histogram (struct fl_hist) whose percentiles print as the
 *     tables of `faultline report` do: count, min, mean, p50, p90, p99,
 *     p99.9, p99.99 and max, in µs;
 *   - scheduling: fl_set_nice, fl_set_fifo (SCHED_FIFO), fl_set_ioprio, each
 *     for the calling thread, returning 0 or -errno;
 *   - trace markers: fl_trace_begin / fl_trace_end around a named region,
 *     fl_trace_instant, fl_trace_counter.
 *
 * Trace markers are faultline's private system call FL_SYS_TRACE (0x4fa1,
 * far above Linux's riscv64 numbers):
 *
 *     syscall(FL_SYS_TRACE, op, name, value)
 *
 * with op FL_TRACE_BEGIN (0: opens a slice called name on the thread's
 * track), FL_TRACE_END (1: closes the innermost; name unread), FL_TRACE_INSTANT
 * (2) or FL_TRACE_COUNTER (3: sets the counter track name to value).  name is
 * a NUL-terminated UTF-8 string of 1 to 64 bytes.  faultline returns 0 (it
 * records only under `faultline run --trace FILE`), EINVAL for a bad op or
 * name, EFAULT for an unreadable one; Linux and qemu-user return ENOSYS.  The
 * fl_trace_* helpers ignore the result and leave errno as it was, so a guest
 * marks unconditionally.  A run keeps at most 1024 distinct names; markers
 * with later ones are all called "guest marker (name table full)".
 *
 * Build: -I guests/include (the guests' Makefile passes it); include it
 * before the system headers, or define _GNU_SOURCE first (it needs syscall).  The histogram is
 * not thread-safe: give each thread its own and merge them with fl_hist_add.
 */
#ifndef FAULTLINE_H
#define FAULTLINE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- timers ------------------------------------------------------------ */

/* Nanoseconds on CLOCK_MONOTONIC. */
static inline uint64_t fl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleeps ns nanoseconds (on through signals). */
static inline void fl_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- latency histogram --------------------------------------------------- */

/*
 * Log-linear buckets, as HdrHistogram's: values below 1024 ns exactly, larger
 * ones in 512 buckets per power of two, so a percentile is within 0.2% of the
 * true value (the report's keep 0.1%); it is then kept within the exact min
 * and max.  A zeroed struct is an empty histogram (static ones need no init),
 * about 224 KiB: make it static or malloc it rather than put it on a stack.
 */
#define FL_HIST_SUB_BITS 10
#define FL_HIST_HALF (1u << (FL_HIST_SUB_BITS - 1))
#define FL_HIST_BUCKETS ((64 - FL_HIST_SUB_BITS + 2) * FL_HIST_HALF)

struct fl_hist {
    uint64_t count, sum_ns, min_ns, max_ns;
    uint64_t buckets[FL_HIST_BUCKETS];
};

/* The bucket of a value. */
static inline unsigned fl_hist_index(uint64_t ns)
{
    if (ns < (2u * FL_HIST_HALF))
        return (unsigned)ns;
    unsigned shift = (unsigned)(63 - __builtin_clzll(ns)) - (FL_HIST_SUB_BITS - 1);
    return shift * FL_HIST_HALF + (unsigned)(ns >> shift);
}

/* The largest value of bucket i. */
static inline uint64_t fl_hist_highest(unsigned i)
{
    if (i < 2u * FL_HIST_HALF)
        return i;
    unsigned shift = i / FL_HIST_HALF - 1;
    uint64_t m = i - shift * FL_HIST_HALF;
    return (m << shift) | ((UINT64_C(1) << shift) - 1);
}

/* Records one latency. */
static inline void fl_hist_record(struct fl_hist *h, uint64_t ns)
{
    if (h->count == 0 || ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
    h->count++;
    h->sum_ns += ns;
    h->buckets[fl_hist_index(ns)]++;
}

/* Adds src's latencies to dst's. */
static inline void fl_hist_add(struct fl_hist *dst, const struct fl_hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min_ns < dst->min_ns)
        dst->min_ns = src->min_ns;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
    dst->count += src->count;
    dst->sum_ns += src->sum_ns;
    for (unsigned i = 0; i < FL_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
}

/* The q-th percentile (0 < q <= 100) in ns; 0 when empty. */
static inline uint64_t fl_hist_percentile(const struct fl_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t want = (uint64_t)(q / 100.0 * (double)h->count + 0.5);
    if (want < 1)
        want = 1;
    uint64_t seen = 0, v = h->max_ns;
    for (unsigned i = 0; i < FL_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= want) {
            v = fl_hist_highest(i);
            break;
        }
    }
    return v < h->min_ns ? h->min_ns : v > h->max_ns ? h->max_ns : v;
}

/* The table's title and column header, as `faultline report` prints them. */
static inline void fl_hist_print_header(FILE *out)
{
    static const char *const cols[] = {"min", "mean", "p50", "p90", "p99",
                                       "p99.9", "p99.99", "max"};
    fprintf(out, "Latencies in \u00b5s\n  %-24s %8s", "class", "count");
    for (unsigned i = 0; i < sizeof cols / sizeof cols[0]; i++)
        fprintf(out, " %10s", cols[i]);
    fputc('\n', out);
}

/* One row: label, the count and the columns of fl_hist_print_header in µs. */
static inline void fl_hist_print_row(FILE *out, const char *label, const struct fl_hist *h)
{
    static const double qs[] = {50, 90, 99, 99.9, 99.99};
    fprintf(out, "  %-24s %8llu", label, (unsigned long long)h->count);
    fprintf(out, " %10.1f", (double)h->min_ns / 1000.0);
    fprintf(out, " %10.1f", h->count ? (double)(h->sum_ns / h->count) / 1000.0 : 0.0);
    for (unsigned i = 0; i < sizeof qs / sizeof qs[0]; i++)
        fprintf(out, " %10.1f", (double)fl_hist_percentile(h, qs[i]) / 1000.0);
    fprintf(out, " %10.1f\n", (double)h->max_ns / 1000.0);
}

/* A table of one row. */
static inline void fl_hist_print(FILE *out, const char *label, const struct fl_hist *h)
{
    fl_hist_print_header(out);
    fl_hist_print_row(out, label, h);
}

/* ---- scheduling (the calling thread; 0 or -errno) ------------------------ */

/* Linux's I/O priority classes. */
#define FL_IOPRIO_CLASS_RT 1
#define FL_IOPRIO_CLASS_BE 2
#define FL_IOPRIO_CLASS_IDLE 3

/* Sets the thread's nice value (-20..19). */
static inline int fl_set_nice(int nice)
{
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) == 0 ? 0 : -errno;
}

/* Makes the thread SCHED_FIFO at priority prio (1..99); needs CAP_SYS_NICE
 * on Linux (EPERM without). */
static inline int fl_set_fifo(int prio)
{
    struct sched_param p;
    memset(&p, 0, sizeof p);
    p.sched_priority = prio;
    return syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p) == 0 ? 0 : -errno;
}

/* Sets the thread's I/O priority: class FL_IOPRIO_CLASS_*, level 0..7 (0
 * highest; ignored for the idle class). */
static inline int fl_set_ioprio(int class, int level)
{
    const int who_process = 1;
    long prio = ((long)class << 13) | (class == FL_IOPRIO_CLASS_IDLE ? 0 : level);
    return syscall(SYS_ioprio_set, who_process, 0, prio) == 0 ? 0 : -errno;
}

/* ---- trace markers ------------------------------------------------------- */

#define FL_SYS_TRACE 0x4fa1
#define FL_TRACE_BEGIN 0
#define FL_TRACE_END 1
#define FL_TRACE_INSTANT 2
#define FL_TRACE_COUNTER 3

/* The raw call: 0, or -errno (-ENOSYS outside faultline).  errno is kept. */
static inline long fl_trace_call(int op, const char *name, long long value)
{
    int saved = errno;
    long r = syscall(FL_SYS_TRACE, op, name, value);
    long out = r == 0 ? 0 : -errno;
    errno = saved;
    return out;
}

/* Opens a slice called name on the thread's track. */
static inline void fl_trace_begin(const char *name)
{
    (void)fl_trace_call(FL_TRACE_BEGIN, name, 0);
}

/* Closes the thread's innermost open slice. */
static inline void fl_trace_end(void)
{
    (void)fl_trace_call(FL_TRACE_END, NULL, 0);
}

/* Marks an instant called name on the thread's track. */
static inline void fl_trace_instant(const char *name)
{
    (void)fl_trace_call(FL_TRACE_INSTANT, name, 0);
}

/* Sets the counter track called name to value. */
static inline void fl_trace_counter(const char *name, long long value)
{
    (void)fl_trace_call(FL_TRACE_COUNTER, name, value);
}

/* Whether the program runs under faultline: its trace call exists (an
 * unknown op is EINVAL there, ENOSYS on Linux). */
static inline int fl_under_faultline(void)
{
    return fl_trace_call(-1, "", 0) != -ENOSYS;
}

#endif
