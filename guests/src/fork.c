/*
 * fork: fork's copy-on-write address space as Linux makes it.  Both sides
 * write the same private pages (data, heap, stack, a private file mapping)
 * and each sees its own values; a MAP_SHARED anonymous mapping stays shared;
 * a child reports through a pipe and its exit status; a child forked from a
 * thread of a threaded process has that one thread; a threaded child's exit
 * ends its other threads; a grandchild is waited
 * for by its own parent.  Output is printed by the parent only after its
 * child ended, so it never depends on scheduling.
 *
 * Usage: fork
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 16
#define PAGE 4096

static int global = 1;

static void fail(const char *what)
{
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

static int wait_exit(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        fail("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Sums the first byte of every page of `buf`. */
static long sum(const unsigned char *buf)
{
    long s = 0;
    for (int i = 0; i < PAGES; i++)
        s += buf[i * PAGE];
    return s;
}

static void check_cow(void)
{
    unsigned char *heap = malloc(PAGES * PAGE);
    unsigned char *anon = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!heap || anon == MAP_FAILED || shared == MAP_FAILED)
        fail("allocate");
    memset(heap, 1, PAGES * PAGE);
    memset(anon, 2, PAGES * PAGE);
    *shared = 10;
    volatile int on_stack = 3;
    int p[2];
    if (pipe(p))
        fail("pipe");
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        close(p[0]);
        global = 100;
        on_stack = 300;
        memset(heap, 5, PAGES * PAGE);
        memset(anon, 6, PAGES * PAGE);
        *shared = 20;
        char msg[128];
        int n = snprintf(msg, sizeof msg, "child sees global %d stack %d heap %ld anon %ld\n",
                         global, on_stack, sum(heap), sum(anon));
        if (write(p[1], msg, n) != n)
            _exit(2);
        _exit(7);
    }
    close(p[1]);
    /* The parent writes too, while the child may still run. */
    global = 50;
    on_stack = 30;
    memset(heap, 9, PAGES * PAGE / 2);
    char buf[128];
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(p[0]);
    int code = wait_exit(pid);
    printf("%s", buf);
    printf("parent sees global %d stack %d heap %ld anon %ld\n", global, on_stack, sum(heap),
           sum(anon));
    printf("child exit %d, shared mapping written by the child: %d\n", code, *shared);
    munmap(anon, PAGES * PAGE);
    munmap(shared, PAGE);
    free(heap);
}

static void check_file_mapping(void)
{
    char path[] = "/tmp/faultline-fork-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        fail("mkstemp");
    unlink(path);
    char page[PAGE];
    memset(page, 'a', sizeof page);
    if (write(fd, page, sizeof page) != PAGE)
        fail("write");
    char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    char *shar = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (priv == MAP_FAILED || shar == MAP_FAILED)
        fail("mmap file");
    priv[0] = 'p';
    pid_t pid = fork();
    if (pid == 0) {
        int ok = priv[0] == 'p';
        priv[0] = 'c';
        shar[1] = 's';
        _exit(ok ? 0 : 1);
    }
    int code = wait_exit(pid);
    char on_disk[2];
    if (pread(fd, on_disk, 2, 0) != 2)
        fail("pread");
    printf("file: child saw the parent's private copy %s, parent keeps %c, "
           "shared write reached the file %c%c\n",
           code == 0 ? "yes" : "no", priv[0], on_disk[0], on_disk[1]);
    close(fd);
}

static void *thread_fork(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0) {
        /* Only this thread lives on in the child: it can still exit. */
        _exit(getppid() > 0 ? 12 : 13);
    }
    return (void *)(long)wait_exit(pid);
}

static void check_threaded(void)
{
    pthread_t t;
    void *ret;
    if (pthread_create(&t, NULL, thread_fork, NULL))
        fail("pthread_create");
    pthread_join(t, &ret);
    printf("fork from a second thread: child exit %ld\n", (long)ret);
}

static void *sleep_long(void *arg)
{
    (void)arg;
    struct timespec ts = {10, 0};
    nanosleep(&ts, NULL);
    return NULL;
}

static void *spin(void *arg)
{
    (void)arg;
    for (volatile long i = 0;; i++)
        ;
    return NULL;
}

/* A child's exit ends its other threads too, asleep or running. */
static void check_threaded_child_exit(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t a, b;
        pthread_create(&a, NULL, sleep_long, NULL);
        pthread_create(&b, NULL, spin, NULL);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        exit(3);
    }
    printf("threaded child's exit ends it: status %d\n", wait_exit(pid));
}

static void check_ids_and_grandchild(void)
{
    pid_t me = getpid();
    int p[2];
    if (pipe(p))
        fail("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        int ok = getppid() == me && getpid() != me;
        pid_t g = fork();
        if (g == 0)
            _exit(getppid() == getpid() ? 1 : 21);
        int gcode = wait_exit(g);
        char c = ok ? 'y' : 'n';
        if (write(p[1], &c, 1) != 1)
            _exit(2);
        _exit(gcode);
    }
    close(p[1]);
    char c = '?';
    if (read(p[0], &c, 1) != 1)
        fail("read");
    printf("child's ids right: %c, grandchild exit via child %d\n", c, wait_exit(pid));
    int st;
    printf("no more children: %s\n", wait(&st) < 0 && errno == ECHILD ? "ECHILD" : "a child");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    check_cow();
    check_file_mapping();
    check_threaded();
    check_threaded_child_exit();
    check_ids_and_grandchild();
    printf("fork: done\n");
    return 0;
}
