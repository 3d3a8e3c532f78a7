/*
 * vma_locks: the page-fault locking paths that need no I/O, for every
 * faultline --policy, and the semantics of the mm calls whose locking they
 * exercise.
 *
 * Usage: vma_locks [THREADS [ROUNDS]]    defaults 3 threads, 200 rounds
 *
 * Part 1, races.  THREADS threads each own a slice of one shared mapping and
 * keep faulting it in: each round writes a pattern to every page of the
 * slice, checks it, and drops the slice with MADV_DONTNEED so that the next
 * round faults again.  Meanwhile one more thread works ROUNDS/4+1 times on
 * the mapping's tail (no one's slice): it populates it and unmaps it (the
 * unmap splits the VMA the others fault in and keeps it write-locked while
 * it zaps the pages and waits for every thread to drop its translations),
 * maps it again (it merges back) and flips the protection of its first page
 * (a split and a merge).  The faulting threads go on for at least ROUNDS
 * rounds and until it is done, so their faults meet a VMA being written
 * (under a per-VMA policy they abort and go the mmap_lock way) or one
 * replaced under them.  No write may be lost, and a dropped page must read
 * back as zero.
 *
 * Part 2, semantics: one "ok <check>" line per check (or "FAIL <check>: ..."
 * and on with the next): PR_SET_VMA_ANON_NAME splitting and merging VMAs
 * (seen through mremap, which cannot grow a range spanning two VMAs), the
 * mlock family's argument checks, MADV_POPULATE_READ/WRITE, MADV_FREE,
 * MADV_WIPEONFORK and MADV_DONTNEED refusals, MAP_POPULATE.  Exits 1 if
 * anything failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

#define PAGE 4096UL
#define SLICE_PAGES 64
#define TAIL_PAGES 1024
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static long threads = 3, rounds = 200;
static char *region;
static atomic_int stop;
static atomic_int failed;
static int failures;

static void *faulter(void *arg)
{
    unsigned long id = (unsigned long)arg;
    char *base = region + id * SLICE_PAGES * PAGE;

    /* At least ROUNDS rounds, and on until the changer is done: every change
     * it makes meets faults. */
    for (unsigned long r = 0; r < (unsigned long)rounds || !atomic_load(&stop); r++) {
        for (unsigned long p = 0; p < SLICE_PAGES; p++)
            *(volatile unsigned long *)(base + p * PAGE) =
                (id << 40) | ((r & 0xffffff) << 16) | p;
        for (unsigned long p = 0; p < SLICE_PAGES; p++)
            if (*(volatile unsigned long *)(base + p * PAGE) !=
                ((id << 40) | ((r & 0xffffff) << 16) | p))
                atomic_store(&failed, 1);
        if (madvise(base, SLICE_PAGES * PAGE, MADV_DONTNEED) != 0)
            atomic_store(&failed, 2);
        if (*(volatile unsigned long *)(base + (r % SLICE_PAGES) * PAGE) != 0)
            atomic_store(&failed, 3);
    }
    return NULL;
}

static void *changer(void *arg)
{
    (void)arg;
    char *tail = region + threads * SLICE_PAGES * PAGE;

    for (long i = 0; i < rounds / 4 + 1; i++) {
        /* Fill the tail, then unmap it: the unmap splits the VMA the others
         * fault in and keeps it write-locked while it zaps TAIL_PAGES pages
         * and waits for every thread to let go of their translations. */
        madvise(tail, TAIL_PAGES * PAGE, MADV_POPULATE_WRITE);
        if (munmap(tail, TAIL_PAGES * PAGE) != 0)
            atomic_store(&failed, 4);
        /* Mapped again, the tail merges back into their VMA.  Nothing else
         * maps memory meanwhile, but never clobber what might have. */
        char *t = mmap(tail, TAIL_PAGES * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
        if (t != tail) {
            if (t != MAP_FAILED)
                munmap(t, TAIL_PAGES * PAGE);
            break;
        }
        /* A protection change of one page splits the VMA and merges it back. */
        if (mprotect(tail, PAGE, PROT_READ) != 0 || mprotect(tail, PAGE, RW) != 0)
            atomic_store(&failed, 4);
    }
    atomic_store(&stop, 1);
    return NULL;
}

static int races(void)
{
    size_t len = (threads * SLICE_PAGES + TAIL_PAGES) * PAGE;
    region = mmap(NULL, len, RW, ANON, -1, 0);
    if (region == MAP_FAILED) {
        printf("FAIL races: mmap\n");
        return 1;
    }
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    pthread_t ch;
    if (!t) {
        printf("FAIL races: calloc\n");
        return 1;
    }
    /* The changer comes last: no thread stack is mapped while it runs. */
    for (long i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, faulter, (void *)i) != 0) {
            printf("FAIL races: pthread_create\n");
            return 1;
        }
    if (pthread_create(&ch, NULL, changer, NULL) != 0) {
        printf("FAIL races: pthread_create\n");
        return 1;
    }
    pthread_join(ch, NULL);
    for (long i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    munmap(region, len);
    static const char *why[] = {"", "lost write", "madvise", "page survived DONTNEED",
                                "mprotect"};
    int f = atomic_load(&failed);
    if (f) {
        printf("FAIL races: %s\n", why[f]);
        return 1;
    }
    printf("vma_locks: threads=%ld rounds=%ld: no write lost\n", threads, rounds);
    return 0;
}

static void check(const char *name, int cond, const char *detail)
{
    if (cond) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: %s (errno %d %s)\n", name, detail, errno, strerror(errno));
        failures++;
    }
}

static char *map(size_t pages, int prot, int flags)
{
    char *p = mmap(NULL, pages * PAGE, prot, flags, -1, 0);
    if (p == MAP_FAILED) {
        printf("FAIL mmap of %zu pages (errno %d)\n", pages, errno);
        exit(1);
    }
    return p;
}

static int set_name(char *p, size_t len, const char *name)
{
    return prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, len,
                 (unsigned long)name);
}

/* Whether [p, p + pages) lies in one VMA: only then can mremap grow it. */
static int one_vma(char *p, size_t pages)
{
    char *q = mremap(p, pages * PAGE, (pages + 1) * PAGE, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        return 0;
    /* Grown (in place or moved): shrink back to where it was. */
    if (q != p) {
        q = mremap(q, (pages + 1) * PAGE, pages * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p);
        return q == p;
    }
    return mremap(p, (pages + 1) * PAGE, pages * PAGE, 0) == p;
}

static void anon_names(void)
{
    char *p = map(4, RW, ANON);
    check("anon name set", set_name(p + PAGE, 2 * PAGE, "cache") == 0, "prctl");
    errno = 0;
    check("anon name splits", !one_vma(p, 4) && errno == EFAULT, "mremap grew across names");
    check("anon name different does not merge",
          set_name(p, PAGE, "other") == 0 && !one_vma(p, 2), "merged");
    check("anon name same merges",
          set_name(p, PAGE, "cache") == 0 && one_vma(p, 3), "not merged");
    check("anon name cleared merges", set_name(p, 4 * PAGE, NULL) == 0 && one_vma(p, 4),
          "not merged");
    errno = 0;
    check("anon name bad char", set_name(p, PAGE, "a[1]") == -1 && errno == EINVAL,
          "accepted");
    char longname[81];
    memset(longname, 'x', 80);
    longname[80] = 0;
    errno = 0;
    check("anon name too long", set_name(p, PAGE, longname) == -1 && errno == EINVAL,
          "accepted");
    longname[79] = 0;
    check("anon name longest", set_name(p, PAGE, longname) == 0, "refused");
    errno = 0;
    check("anon name unaligned", set_name(p + 1, PAGE, "x") == -1 && errno == EINVAL,
          "accepted");
    errno = 0;
    check("anon name bad option",
          prctl(PR_SET_VMA, 1, (unsigned long)p, PAGE, (unsigned long)"x") == -1 &&
              errno == EINVAL,
          "accepted");
    munmap(p, 4 * PAGE);
}

static void mlocks(void)
{
    char *p = map(4, RW, ANON);
    check("mlock", mlock(p + 10, PAGE) == 0, "mlock");
    check("mlock locked page refuses DONTNEED",
          madvise(p, PAGE, MADV_DONTNEED) == -1 && errno == EINVAL, "accepted");
    check("munlock", munlock(p, 4 * PAGE) == 0, "munlock");
    check("munlocked page takes DONTNEED", madvise(p, PAGE, MADV_DONTNEED) == 0, "refused");
    errno = 0;
    check("mlock2 bad flag", syscall(284, p, PAGE, 2) == -1 && errno == EINVAL, "accepted");
    check("mlock2 onfault", syscall(284, p, PAGE, MLOCK_ONFAULT) == 0 &&
                                munlock(p, PAGE) == 0, "refused");
    errno = 0;
    check("mlockall no flags", mlockall(0) == -1 && errno == EINVAL, "accepted");
    errno = 0;
    check("mlockall onfault alone", mlockall(MCL_ONFAULT) == -1 && errno == EINVAL,
          "accepted");
    munmap(p + 3 * PAGE, PAGE);
    errno = 0;
    check("mlock over a hole", mlock(p, 4 * PAGE) == -1 && errno == ENOMEM, "accepted");
    munmap(p, 3 * PAGE);
}

static void advice(void)
{
    char *p = map(4, RW, ANON);
    munmap(p + 2 * PAGE, PAGE);
    errno = 0;
    check("populate stops at a hole",
          madvise(p, 4 * PAGE, MADV_POPULATE_WRITE) == -1 && errno == ENOMEM, "accepted");
    check("populated page is zero", p[0] == 0 && p[PAGE] == 0, "dirty");
    munmap(p, 4 * PAGE);
    char *r = map(1, PROT_READ, ANON);
    errno = 0;
    check("populate write of read-only",
          madvise(r, PAGE, MADV_POPULATE_WRITE) == -1 && errno == EINVAL, "accepted");
    check("populate read of read-only", madvise(r, PAGE, MADV_POPULATE_READ) == 0,
          "refused");
    munmap(r, PAGE);
    char *s = map(1, RW, MAP_SHARED | MAP_ANONYMOUS);
    errno = 0;
    check("free of shared", madvise(s, PAGE, MADV_FREE) == -1 && errno == EINVAL,
          "accepted");
    errno = 0;
    check("wipeonfork of shared",
          madvise(s, PAGE, MADV_WIPEONFORK) == -1 && errno == EINVAL, "accepted");
    munmap(s, PAGE);
    char *q = map(2, RW, ANON | MAP_POPULATE);
    check("map populate reads zero", q[0] == 0 && q[PAGE + 7] == 0, "dirty");
    q[0] = 5;
    check("free", madvise(q, 2 * PAGE, MADV_FREE) == 0, "refused");
    check("freed page reads zero or its data", q[0] == 0 || q[0] == 5, "garbage");
    munmap(q, 2 * PAGE);
}

int main(int argc, char **argv)
{
    threads = argc > 1 ? atol(argv[1]) : 3;
    rounds = argc > 2 ? atol(argv[2]) : 200;
    if (threads < 1 || threads > 64 || rounds < 1) {
        fprintf(stderr, "usage: vma_locks [THREADS [ROUNDS]]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    failures += races();
    anon_names();
    mlocks();
    advice();
    return failures ? 1 : 0;
}
