/*
 * inversion: a priority inversion through the per-VMA lock.  A real-time
 * thread's mprotect waits for low-priority threads whose page faults read a
 * file, when the faults keep the VMA's lock through their I/O.
 *
 * Usage: inversion [THREADS [FILE_MIB [MPROTECTS [INTERVAL_MS [DIR [OP [TARGET]]]]]]]
 *        defaults 4 threads, a 16 MiB file, 100 mprotects every 7 ms, /tmp,
 *        mprotect, same
 *
 * OP is what the real-time thread does to its 16 pages: mprotect (flip the
 * protection), munmap (unmap them and map them again at the same place) or
 * madvise (MADV_DONTNEED); or fork, which is the whole process's: the child
 * exits at once, the slice is the parent's fork(2) (fork's dup_mmap
 * write-locks the VMAs it copies) and the child is reaped after it, so
 * TARGET makes no difference to it.  TARGET same does the others in the
 * middle of the mapping the faulters fault in (with munmap they skip those
 * pages); other does them to a second mapping of the same file's pages, a
 * VMA of its own.  The thread is named rt-OP and its slices "rt OP";
 * MPROTECTS counts its operations, whatever they are.
 *
 * The file (DIR/faultline-inversion-PID-0, unlinked once mapped) is written
 * with write(2), every page starting with a tag of its number, synced, mapped
 * privately read-only with MADV_RANDOM (a fault reads its one page, no
 * read-around), every page touched once and the whole mapping paged out with
 * MADV_PAGEOUT, so none is left in the page cache and each later fault reads
 * its page from the storage device.
 *
 * THREADS faulters (nice 19, I/O class idle) then each read the first word of
 * every page of their slice of the mapping in order, checking its tag and
 * timing the fault, and page their slice out again whenever they reach its
 * end.  One real-time thread (SCHED_FIFO 50) sleeps INTERVAL_MS, then flips
 * the protection of 16 pages in the middle of the same mapping (read-only to
 * read-write and back) with mprotect (or does OP to them), MPROTECTS times,
 * timing each one and marking it as a trace slice "rt mprotect" ("rt OP"; and
 * its time on the counter track "rt OP us"; a faulter marks each page read as a slice "faulter
 * page read", and the instant "faulter pass done" when it pages its slice out
 * again).  mprotect write-locks the VMA:
 * under `faultline run --policy vma-hold` it waits for the faulters that hold
 * the VMA's lock through their reads, under `--policy vma` they let go of it
 * for the I/O and mprotect only waits for their short critical sections.
 *
 * The threads are named faulter-N and rt-OP (their tracks' names in a
 * trace).  Prints the settings, the pages faulted and checked, and a latency table
 * (faultline.h's, as `faultline report` prints one) of the mprotects and the
 * faults.  Exits 1 if a page read back wrong.  The output has timings, so the
 * guest is not in the manifest.  A refused scheduling setting (SCHED_FIFO
 * needs privileges on Linux and under qemu-user) is noted on stderr and the
 * run goes on without it.
 */
#include "guest_util.h"
#include "faultline.h"
#include "faulter.h"
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* The pages whose protection the real-time thread flips. */
#define RANGE_PAGES 16
/* The real-time thread's SCHED_FIFO priority. */
#define RT_PRIO 50

static long threads, file_mib, mprotects, interval_ms;
static const char *dir;
/* The real-time thread's operation and whether it works on the faulters' VMA. */
static const char *op;
static int same_vma;
/* The file, kept open so that munmap can map the pages again. */
static int map_fd;
static char *map, *other;
static size_t npages;
static pthread_barrier_t start;
static atomic_int stop;
static atomic_ulong faulted, bad;
/* The mprotects' latencies and the faults', one histogram per faulter. */
static struct fl_hist rt_hist, fault_total;
static struct fl_hist *fault_hist;

/* The tag page k starts with. */
static uint64_t tag(size_t k)
{
    return mix64(k ^ 0x1a7e);
}

/* Whether faulters leave page k alone: the range the real-time thread unmaps. */
static int skipped(size_t k)
{
    return same_vma && strcmp(op, "munmap") == 0 && k >= npages / 2 &&
           k < npages / 2 + RANGE_PAGES;
}

static void fill(uint8_t *page, size_t k, void *ctx)
{
    (void)ctx;
    memset(page, 0, PAGE);
    uint64_t t = tag(k);
    memcpy(page, &t, sizeof t);
}

/* Notes a refused scheduling setting on stderr. */
static void note(const char *who, const char *what, int r)
{
    if (r != 0)
        fprintf(stderr, "inversion: %s: %s refused (%s); going on without it\n", who, what,
                strerror(-r));
}

static void *faulter(void *arg)
{
    long id = (long)arg;
    char name[16];
    snprintf(name, sizeof name, "faulter-%ld", id);
    prctl(PR_SET_NAME, name);
    note("faulter", "nice 19", fl_set_nice(19));
    note("faulter", "I/O class idle", fl_set_ioprio(FL_IOPRIO_CLASS_IDLE, 0));
    size_t slice = npages / (size_t)threads;
    struct faulter f = {map + (size_t)id * slice * PAGE, slice, (size_t)id * slice, tag, skipped,
                        &fault_hist[id], &stop, &faulted, &bad};
    pthread_barrier_wait(&start);
    faulter_run(&f);
    return NULL;
}

/* The child of the last fork, reaped after its slice. */
static pid_t child;

/* The real-time thread's operation on its range, once; `i` counts them. */
static int rt_op(char *range, long i)
{
    if (strcmp(op, "fork") == 0) {
        child = fork();
        if (child == 0)
            _exit(0);
        return child < 0 ? -1 : 0;
    }
    if (strcmp(op, "mprotect") == 0)
        return mprotect(range, RANGE_PAGES * PAGE, i % 2 == 0 ? PROT_READ | PROT_WRITE : PROT_READ);
    if (strcmp(op, "madvise") == 0)
        return madvise(range, RANGE_PAGES * PAGE, MADV_DONTNEED);
    /* munmap, then the same pages of the file again at the same place. */
    if (munmap(range, RANGE_PAGES * PAGE) != 0)
        return -1;
    off_t offset = (off_t)(npages / 2) * PAGE;
    void *back = mmap(range, RANGE_PAGES * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, map_fd,
                      offset);
    return back == MAP_FAILED ? -1 : 0;
}

static void *rt(void *arg)
{
    (void)arg;
    char name[16], slice_name[32], counter_name[40];
    snprintf(name, sizeof name, "rt-%s", op);
    snprintf(slice_name, sizeof slice_name, "rt %s", op);
    snprintf(counter_name, sizeof counter_name, "rt %s us", op);
    prctl(PR_SET_NAME, name);
    note("rt", "SCHED_FIFO", fl_set_fifo(RT_PRIO));
    char *range = same_vma ? map + (npages / 2) * PAGE : other;
    pthread_barrier_wait(&start);
    for (long i = 0; i < mprotects; i++) {
        fl_sleep_ns((uint64_t)interval_ms * 1000000u);
        fl_trace_begin(slice_name);
        uint64_t t0 = fl_now_ns();
        int r = rt_op(range, i);
        uint64_t t1 = fl_now_ns();
        fl_trace_end();
        if (r != 0)
            fail(op, "%s", strerror(errno));
        int status;
        if (strcmp(op, "fork") == 0 &&
            (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status)))
            fail("fork", "the child did not exit 0");
        fl_hist_record(&rt_hist, t1 - t0);
        fl_trace_counter(counter_name, (long long)((t1 - t0) / 1000));
    }
    if (strcmp(op, "mprotect") == 0 && mprotects % 2 != 0 &&
        mprotect(range, RANGE_PAGES * PAGE, PROT_READ) != 0)
        fail("mprotect", "%s", strerror(errno));
    atomic_store(&stop, 1);
    return NULL;
}

/* Maps the file, none of its pages in the page cache, and the second VMA of it. */
static void setup(void)
{
    map = map_paged_out(dir, "inversion", npages, fill, &map_fd, MAP_PRIVATE);
    other = mmap(NULL, RANGE_PAGES * PAGE, PROT_READ, MAP_PRIVATE, map_fd,
                 (off_t)(npages / 2) * PAGE);
    if (other == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
}

int main(int argc, char **argv)
{
    threads = arg_long(argc, argv, 1, 4, 1, 64);
    file_mib = arg_long(argc, argv, 2, 16, 1, 1024);
    mprotects = arg_long(argc, argv, 3, 100, 1, 1000000);
    /* 7 ms, no multiple of a read at --storage-latency fixed:5ms: under the
     * virtual clock a multiple meets the reads at one phase only. */
    interval_ms = arg_long(argc, argv, 4, 7, 0, 10000);
    dir = argc > 5 ? argv[5] : "/tmp";
    op = argc > 6 ? argv[6] : "mprotect";
    if (strcmp(op, "mprotect") != 0 && strcmp(op, "munmap") != 0 && strcmp(op, "madvise") != 0 &&
        strcmp(op, "fork") != 0)
        fail("usage", "OP %s: expected mprotect, munmap, madvise or fork", op);
    const char *target = argc > 7 ? argv[7] : "same";
    if (strcmp(target, "same") != 0 && strcmp(target, "other") != 0)
        fail("usage", "TARGET %s: expected same or other", target);
    same_vma = strcmp(target, "same") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    npages = (size_t)file_mib * MIB / PAGE;
    if (npages / 2 + RANGE_PAGES > npages || npages / (size_t)threads == 0)
        fail("usage", "the file is too small for %ld threads", threads);
    fault_hist = calloc((size_t)threads, sizeof *fault_hist);
    pthread_t *t = calloc((size_t)threads + 1, sizeof *t);
    if (!fault_hist || !t)
        fail("calloc", "out of memory");
    setup();
    printf("inversion: %ld faulters (nice 19, I/O class idle) on a %ld MiB file, "
           "%ld %ss every %ld ms (SCHED_FIFO %d)%s\n",
           threads, file_mib, mprotects, op, interval_ms, RT_PRIO,
           same_vma ? "" : " on another VMA");
    check_pthread(pthread_barrier_init(&start, NULL, (unsigned)threads + 1), "barrier");
    for (long i = 0; i < threads; i++)
        check_pthread(pthread_create(&t[i], NULL, faulter, (void *)i), "pthread_create");
    check_pthread(pthread_create(&t[threads], NULL, rt, NULL), "pthread_create");
    for (long i = 0; i <= threads; i++)
        check_pthread(pthread_join(t[i], NULL), "pthread_join");
    for (long i = 0; i < threads; i++)
        fl_hist_add(&fault_total, &fault_hist[i]);
    unsigned long wrong = atomic_load(&bad);
    printf("faulted %lu pages, %lu wrong\n", atomic_load(&faulted), wrong);
    fl_hist_print_header(stdout);
    char label[32];
    snprintf(label, sizeof label, "rt %s", op);
    fl_hist_print_row(stdout, label, &rt_hist);
    fl_hist_print_row(stdout, "faulter page read", &fault_total);
    return wrong ? 1 : 0;
}
