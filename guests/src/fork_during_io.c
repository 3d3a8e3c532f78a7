/*
 * fork_during_io: an app that forks while its threads fault file pages from
 * slow storage.  fork's dup_mmap write-locks the VMAs it copies, so a fork
 * waits for every page fault that holds the lock of one of them; a fault
 * that keeps its VMA's lock through its read makes fork wait for the read.
 *
 * Usage: fork_during_io [THREADS [FILE_MIB [FORKS [INTERVAL_MS [DIR [HEAP_MIB [SHARING]]]]]]]
 *        defaults 4 threads, a 16 MiB file, 50 forks every 7 ms, /tmp, an
 *        8 MiB heap, private
 *
 * The file (DIR/faultline-fork_during_io-PID-0) is mapped read-only, privately
 * (SHARING private, like an app's code) or shared (SHARING shared, like a
 * mapped database), none of its pages in the page cache (guest_util.h's
 * map_paged_out), as after a cold start.
 * THREADS faulters (named faulter-N, normal priority) each read the first
 * word of every page of their slice of the mapping in order, checking its
 * tag, each read a trace slice "faulter page read", and page their slice out
 * again whenever they reach its end.  The main thread (named forker) has a
 * HEAP_MIB heap of anonymous memory, every page written, so that fork has
 * page tables to copy and copy-on-write to set up; it sleeps INTERVAL_MS,
 * then forks, FORKS times: each fork(2) in the parent is a trace slice
 * "fork"; the child writes one word of the heap (a copy-on-write fault),
 * checks that the parent's heap is intact in its copy, and exits 0; the
 * parent reaps it and checks its status.
 *
 * Prints the settings, the pages faulted and checked, and a latency table
 * (faultline.h's) of the forks and the faults.  Exits 1 if a page read back
 * wrong or a child failed.  The output has timings, so the guest is not in
 * the manifest.
 */
#include "guest_util.h"
#include "faultline.h"
#include "faulter.h"
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static long threads, file_mib, forks, interval_ms, heap_mib;
static const char *dir;
static char *map;
static uint64_t *heap;
static size_t npages, heap_words;
static pthread_barrier_t start;
static atomic_int stop;
static atomic_ulong faulted, bad;
static struct fl_hist fork_hist, fault_total;
static struct fl_hist *fault_hist;

/* The tag page k of the file starts with. */
static uint64_t tag(size_t k)
{
    return mix64(k ^ 0xf0c4);
}

static void fill(uint8_t *page, size_t k, void *ctx)
{
    (void)ctx;
    memset(page, 0, PAGE);
    uint64_t t = tag(k);
    memcpy(page, &t, sizeof t);
}

static void *faulter(void *arg)
{
    long id = (long)arg;
    char name[16];
    snprintf(name, sizeof name, "faulter-%ld", id);
    prctl(PR_SET_NAME, name);
    size_t slice = npages / (size_t)threads;
    struct faulter f = {map + (size_t)id * slice * PAGE, slice, (size_t)id * slice, tag, NULL,
                        &fault_hist[id], &stop, &faulted, &bad};
    pthread_barrier_wait(&start);
    faulter_run(&f);
    return NULL;
}

/* The child: a copy-on-write fault, then a look at the heap it was given. */
static void child(void)
{
    heap[0] ^= 1;
    for (size_t i = 1; i < heap_words; i += PAGE / sizeof *heap)
        if (heap[i] != mix64(i))
            _exit(2);
    _exit(0);
}

/* The forker: FORKS forks, INTERVAL_MS apart. */
static void fork_loop(void)
{
    for (long i = 0; i < forks; i++) {
        fl_sleep_ns((uint64_t)interval_ms * 1000000u);
        fl_trace_begin("fork");
        uint64_t t0 = fl_now_ns();
        pid_t pid = fork();
        uint64_t t1 = fl_now_ns();
        if (pid == 0)
            child();
        fl_trace_end();
        if (pid < 0)
            fail("fork", "%s", strerror(errno));
        fl_hist_record(&fork_hist, t1 - t0);
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail("fork", "child %d did not exit 0 (status %#x)", (int)pid, status);
    }
    atomic_store(&stop, 1);
}

int main(int argc, char **argv)
{
    threads = arg_long(argc, argv, 1, 4, 1, 64);
    file_mib = arg_long(argc, argv, 2, 16, 1, 1024);
    forks = arg_long(argc, argv, 3, 50, 1, 100000);
    /* 7 ms, no multiple of a read at --storage-latency fixed:5ms: under the
     * virtual clock a multiple meets the reads at one phase only. */
    interval_ms = arg_long(argc, argv, 4, 7, 0, 10000);
    dir = argc > 5 ? argv[5] : "/tmp";
    heap_mib = arg_long(argc, argv, 6, 8, 1, 4096);
    const char *sharing = argc > 7 ? argv[7] : "private";
    if (strcmp(sharing, "private") != 0 && strcmp(sharing, "shared") != 0)
        fail("usage", "SHARING %s: expected private or shared", sharing);
    setvbuf(stdout, NULL, _IOLBF, 0);
    npages = (size_t)file_mib * MIB / PAGE;
    if (npages / (size_t)threads == 0)
        fail("usage", "the file is too small for %ld threads", threads);
    heap_words = (size_t)heap_mib * MIB / sizeof *heap;
    heap = mmap(NULL, heap_words * sizeof *heap, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fault_hist = calloc((size_t)threads, sizeof *fault_hist);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (heap == MAP_FAILED || !fault_hist || !t)
        fail("setup", "out of memory");
    for (size_t i = 0; i < heap_words; i++)
        heap[i] = mix64(i);
    int fd;
    map = map_paged_out(dir, "fork_during_io", npages, fill, &fd,
                        strcmp(sharing, "shared") == 0 ? MAP_SHARED : MAP_PRIVATE);
    prctl(PR_SET_NAME, "forker");
    printf("fork_during_io: %ld faulters on a %ld MiB file mapped %s, %ld forks every "
           "%ld ms with a %ld MiB heap\n",
           threads, file_mib, sharing, forks, interval_ms, heap_mib);
    check_pthread(pthread_barrier_init(&start, NULL, (unsigned)threads + 1), "barrier");
    for (long i = 0; i < threads; i++)
        check_pthread(pthread_create(&t[i], NULL, faulter, (void *)i), "pthread_create");
    pthread_barrier_wait(&start);
    fork_loop();
    for (long i = 0; i < threads; i++)
        check_pthread(pthread_join(t[i], NULL), "pthread_join");
    for (long i = 0; i < threads; i++)
        fl_hist_add(&fault_total, &fault_hist[i]);
    unsigned long wrong = atomic_load(&bad);
    printf("faulted %lu pages, %lu wrong\n", atomic_load(&faulted), wrong);
    fl_hist_print_header(stdout);
    fl_hist_print_row(stdout, "fork", &fork_hist);
    fl_hist_print_row(stdout, "faulter page read", &fault_total);
    return wrong ? 1 : 0;
}
