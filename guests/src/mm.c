/*
 * mm: address-space semantics of mmap and friends as seen by a process.
 *
 * Usage: mm         (no arguments)
 *
 * Prints one "ok <check>" line per check, or "FAIL <check>: ..." and goes on
 * with the next check; exits 1 if anything failed.  Never faults on purpose (segv does that), so every
 * "must not be accessible" property is checked indirectly: a range counts as
 * unmapped when MAP_FIXED_NOREPLACE can map it again.  Only page-relative
 * values are printed; addresses differ between runners.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check_runner.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static size_t page;

static char *map_anon(size_t len, const char *check)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail(check, "mmap");
    return p;
}

/* Fills page i of a region with a byte derived from i and a seed, at both
 * ends of the page so partial copies are caught. */
static void fill_pages(char *p, size_t npages, int seed)
{
    for (size_t i = 0; i < npages; i++)
        memset(p + i * page, (int)(seed + i) & 0xff, page);
}

static int pages_hold(const char *p, size_t first, size_t npages, int seed)
{
    for (size_t i = first; i < first + npages; i++) {
        char want = (char)((seed + i) & 0xff);
        if (p[i * page] != want || p[i * page + page - 1] != want ||
            p[i * page + page / 2] != want)
            return 0;
    }
    return 1;
}

static int all_zero(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* True if [p, p+len) is unmapped: probe by mapping it without replacing
 * anything, then give it back. */
static int is_unmapped(void *p, size_t len)
{
    void *q = mmap(p, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                   MAP_FIXED_NOREPLACE, -1, 0);
    if (q == MAP_FAILED)
        return 0;
    munmap(q, len);
    return q == p;
}

static void check_anon(void)
{
    char *p = map_anon(16 * page, "mmap_anon");
    if (((uintptr_t)p & (page - 1)) != 0)
        fail("mmap_anon", "result not page aligned");
    if (!all_zero(p, 16 * page))
        fail("mmap_anon", "fresh anonymous memory is not zero");
    fill_pages(p, 16, 7);
    if (!pages_hold(p, 0, 16, 7))
        fail("mmap_anon", "data written does not read back");
    if (munmap(p, 16 * page) != 0)
        fail("mmap_anon", "munmap");
    ok("mmap_anon");
}

static void check_large_sparse(void)
{
    /* 1 GiB reserved, a handful of pages touched: a runner must not commit
     * memory for the whole range up front. */
    size_t len = (size_t)1 << 30;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        fail("mmap_large_sparse", "mmap 1 GiB");
    for (size_t off = 0; off < len; off += len / 8)
        p[off] = (char)(off >> 27);
    p[len - 1] = 0x5a;
    for (size_t off = 0; off < len; off += len / 8)
        if (p[off] != (char)(off >> 27))
            fail("mmap_large_sparse", "sparse data mismatch");
    if (p[len - 1] != 0x5a || p[len / 2 + page] != 0)
        fail("mmap_large_sparse", "last byte or untouched page wrong");
    munmap(p, len);
    ok("mmap_large_sparse");
}

static void check_mprotect(void)
{
    char *p = map_anon(4 * page, "mprotect");
    fill_pages(p, 4, 20);
    if (mprotect(p + page, 2 * page, PROT_READ) != 0)
        fail("mprotect", "mprotect PROT_READ");
    /* Reading a read-only page works and still sees the data. */
    if (!pages_hold(p, 0, 4, 20))
        fail("mprotect", "data changed by PROT_READ");
    /* The neighbours kept their write permission. */
    p[0] = 1;
    p[3 * page] = 2;
    if (mprotect(p + page, 2 * page, PROT_NONE) != 0)
        fail("mprotect", "mprotect PROT_NONE");
    if (mprotect(p, 4 * page, PROT_READ | PROT_WRITE) != 0)
        fail("mprotect", "mprotect back to PROT_READ|PROT_WRITE");
    if (!pages_hold(p, 1, 2, 20) || p[0] != 1 || p[3 * page] != 2)
        fail("mprotect", "data lost across PROT_NONE");
    p[page] = 3; /* writable again */
    if (p[page] != 3)
        fail("mprotect", "write after restoring PROT_WRITE");

    errno = 0;
    if (mprotect(p + 1, page, PROT_READ) != -1 || errno != EINVAL)
        fail("mprotect", "unaligned mprotect must fail with EINVAL");
    munmap(p, 4 * page);
    ok("mprotect");
}

static void check_mremap(void)
{
    /* Grow: the kernel may move the mapping, contents must follow. */
    char *p = map_anon(4 * page, "mremap_grow");
    fill_pages(p, 4, 33);
    char *q = mremap(p, 4 * page, 256 * page, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        fail("mremap_grow", "mremap");
    if (!pages_hold(q, 0, 4, 33))
        fail("mremap_grow", "data not preserved");
    if (!all_zero(q + 4 * page, 252 * page))
        fail("mremap_grow", "grown part is not zero");
    q[256 * page - 1] = 9; /* grown part is writable */
    if (q != p && !is_unmapped(p, 4 * page))
        fail("mremap_grow", "old range still mapped after a move");
    ok("mremap_grow");

    /* Shrink in place: same address, head preserved, tail released. */
    char *r = mremap(q, 256 * page, 2 * page, 0);
    if (r != q)
        fail("mremap_shrink", "shrinking moved the mapping");
    if (!pages_hold(r, 0, 2, 33))
        fail("mremap_shrink", "data not preserved");
    if (!is_unmapped(r + 2 * page, 254 * page))
        fail("mremap_shrink", "released tail still mapped");
    ok("mremap_shrink");

    /* Without MREMAP_MAYMOVE, growing into an occupied range must fail. */
    char *blocker = mmap(r + 2 * page, page, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                         -1, 0);
    if (blocker != r + 2 * page)
        fail("mremap_nomove", "could not place the blocking page");
    errno = 0;
    if (mremap(r, 2 * page, 4 * page, 0) != MAP_FAILED || errno != ENOMEM)
        fail("mremap_nomove", "growth over a neighbour must fail with ENOMEM");
    munmap(blocker, page);
    ok("mremap_nomove");

    /* MREMAP_FIXED moves to a chosen, currently free address. */
    char *target = map_anon(8 * page, "mremap_fixed");
    munmap(target, 8 * page);
    char *s = mremap(r, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED,
                     target + 2 * page);
    if (s != target + 2 * page)
        fail("mremap_fixed", "mapping not at the requested address");
    if (!pages_hold(s, 0, 2, 33))
        fail("mremap_fixed", "data not preserved");
    if (!is_unmapped(r, 2 * page))
        fail("mremap_fixed", "source range still mapped");
    munmap(s, 2 * page);
    ok("mremap_fixed");
}

static void check_madvise(void)
{
    char *p = map_anon(8 * page, "madvise_dontneed");
    fill_pages(p, 8, 50);
    if (madvise(p + 2 * page, 3 * page, MADV_DONTNEED) != 0)
        fail("madvise_dontneed", "madvise");
    /* Private anonymous pages read back as zero-fill afterwards. */
    if (!all_zero(p + 2 * page, 3 * page))
        fail("madvise_dontneed", "pages not zeroed");
    if (!pages_hold(p, 0, 2, 50) || !pages_hold(p, 5, 3, 50))
        fail("madvise_dontneed", "neighbouring pages changed");
    p[3 * page] = 1; /* still mapped and writable */
    munmap(p, 8 * page);
    ok("madvise_dontneed");
}

static void check_brk(void)
{
    /* Raw syscall first: brk(0) reports the break, which must be stable. */
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    if (cur == 0 || (uintptr_t)syscall(SYS_brk, 0) != cur)
        fail("brk", "brk(0) unstable");

    char *base = sbrk(0);
    if (base == (void *)-1)
        fail("brk", "sbrk(0)");
    size_t grow = 64 * 1024 + 100; /* deliberately not page aligned */
    char *old = sbrk((intptr_t)grow);
    if (old != base)
        fail("brk", "sbrk did not return the old break");
    if (sbrk(0) != base + grow)
        fail("brk", "break did not move by the requested amount");
    /* The new heap is zeroed and writable up to the break. */
    if (!all_zero(base, grow))
        fail("brk", "new heap not zero");
    memset(base, 0x77, grow);
    if (base[grow - 1] != 0x77)
        fail("brk", "heap write");
    if (sbrk(-(intptr_t)grow) == (void *)-1 || sbrk(0) != base)
        fail("brk", "shrink did not restore the break");
    /* Growing again must hand out zeroed memory, not the old contents,
     * at least for the pages that were wholly released. */
    sbrk((intptr_t)grow);
    char *first_full_page =
        (char *)(((uintptr_t)base + page - 1) & ~(uintptr_t)(page - 1));
    if (first_full_page + page <= base + grow &&
        !all_zero(first_full_page, page))
        fail("brk", "regrown heap page not zero");
    sbrk(-(intptr_t)grow);
    ok("brk");
}

static void check_map_fixed(void)
{
    char *p = map_anon(4 * page, "map_fixed");
    fill_pages(p, 4, 60);
    char *q = mmap(p + page, page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (q != p + page)
        fail("map_fixed", "MAP_FIXED did not map at the address");
    if (!all_zero(q, page))
        fail("map_fixed", "replaced page is not fresh");
    if (!pages_hold(p, 0, 1, 60) || !pages_hold(p, 2, 2, 60))
        fail("map_fixed", "pages outside the replaced range changed");
    ok("map_fixed");

    errno = 0;
    q = mmap(p + 2 * page, page, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (q != MAP_FAILED || errno != EEXIST)
        fail("map_fixed_noreplace", "overlap must fail with EEXIST");
    if (!pages_hold(p, 2, 2, 60))
        fail("map_fixed_noreplace", "existing mapping changed");
    munmap(p, 4 * page);
    ok("map_fixed_noreplace");
}

struct shared_box {
    atomic_int ready;
    atomic_int ack;
    unsigned char data[];
};

static void *shared_writer(void *arg)
{
    struct shared_box *box = arg;
    for (size_t i = 0; i < 2 * page; i++)
        box->data[i] = (unsigned char)(i * 7 + 1);
    atomic_store_explicit(&box->ready, 1, memory_order_release);
    /* Wait for the reader's answer, written to the same shared page. */
    while (atomic_load_explicit(&box->ack, memory_order_acquire) == 0)
        ;
    return NULL;
}

static void check_shared_anon(void)
{
    size_t len = 4 * page;
    struct shared_box *box = mmap(NULL, len, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (box == MAP_FAILED)
        fail("shared_anon", "mmap MAP_SHARED|MAP_ANONYMOUS");
    pthread_t t;
    if (pthread_create(&t, NULL, shared_writer, box) != 0)
        fail("shared_anon", "pthread_create");
    while (atomic_load_explicit(&box->ready, memory_order_acquire) == 0)
        ;
    for (size_t i = 0; i < 2 * page; i++)
        if (box->data[i] != (unsigned char)(i * 7 + 1))
            fail("shared_anon", "reader sees wrong data");
    atomic_store_explicit(&box->ack, 1, memory_order_release);
    pthread_join(t, NULL);
    munmap(box, len);
    ok("shared_anon");
}

static void check_munmap_split(void)
{
    char *p = map_anon(5 * page, "munmap_split");
    fill_pages(p, 5, 80);
    if (munmap(p + 2 * page, page) != 0)
        fail("munmap_split", "munmap of the middle page");
    /* Both remaining pieces are intact and independently usable. */
    if (!pages_hold(p, 0, 2, 80) || !pages_hold(p, 3, 2, 80))
        fail("munmap_split", "remaining ends changed");
    if (!is_unmapped(p + 2 * page, page))
        fail("munmap_split", "middle page still mapped");
    p[0] = 1;
    p[5 * page - 1] = 2;
    /* mprotect over the hole must fail (ENOMEM: range not fully mapped). */
    errno = 0;
    if (mprotect(p, 5 * page, PROT_READ) != -1 || errno != ENOMEM)
        fail("munmap_split", "mprotect across the hole must fail with ENOMEM");
    /* munmap across the hole is fine. */
    if (munmap(p, 5 * page) != 0)
        fail("munmap_split", "munmap over the hole");
    if (!is_unmapped(p, 5 * page))
        fail("munmap_split", "pieces still mapped");
    ok("munmap_split");
}

static void check_hint(void)
{
    /* Find a free range, release it, then ask for it again by hint only:
     * Linux uses a hint when the range is free. */
    char *probe = map_anon(16 * page, "mmap_hint");
    munmap(probe, 16 * page);
    char *hint = probe + 4 * page;
    char *p = mmap(hint, 2 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail("mmap_hint", "mmap");
    if (p != hint)
        fail("mmap_hint", "free hint address not used");
    /* A hint over an occupied range is not an error: the kernel picks
     * another address and leaves the existing mapping alone. */
    p[0] = 42;
    char *q = mmap(hint, page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED || q == hint || p[0] != 42)
        fail("mmap_hint", "occupied hint replaced the mapping");
    munmap(q, page);
    munmap(p, 2 * page);
    ok("mmap_hint");
}

static void check_errors(void)
{
    char *p = map_anon(2 * page, "errors");

    errno = 0;
    if (munmap(p + 1, page) != -1 || errno != EINVAL)
        fail("errors", "munmap of an unaligned address must fail with EINVAL");
    errno = 0;
    if (munmap(p, 0) != -1 || errno != EINVAL)
        fail("errors", "munmap length 0 must fail with EINVAL");
    errno = 0;
    if (mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
            MAP_FAILED || errno != EINVAL)
        fail("errors", "mmap length 0 must fail with EINVAL");
    errno = 0;
    if (mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0) != MAP_FAILED ||
        errno != EINVAL)
        fail("errors", "mmap without MAP_PRIVATE/MAP_SHARED must fail with EINVAL");
    errno = 0;
    if (mmap(p + 1, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0) != MAP_FAILED || errno != EINVAL)
        fail("errors", "unaligned MAP_FIXED must fail with EINVAL");
    errno = 0;
    if (mmap(NULL, page, PROT_READ, MAP_PRIVATE, -1, 0) != MAP_FAILED ||
        errno != EBADF)
        fail("errors", "file mapping of fd -1 must fail with EBADF");
    /* munmap of an already-unmapped range succeeds. */
    munmap(p, 2 * page);
    if (munmap(p, 2 * page) != 0)
        fail("errors", "munmap of an unmapped range must succeed");
    ok("errors");
}

static void check_page_size(void)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
    if (page != 4096)
        fail("page_size", "expected 4096-byte pages");
    ok("page_size");
}

int main(void)
{
    page = 4096;
    run(check_page_size);
    run(check_anon);
    run(check_large_sparse);
    run(check_mprotect);
    run(check_mremap);
    run(check_madvise);
    run(check_brk);
    run(check_map_fixed);
    run(check_shared_anon);
    run(check_munmap_split);
    run(check_hint);
    run(check_errors);
    if (failures) {
        printf("mm: %d check(s) failed\n", failures);
        return 1;
    }
    printf("mm: all checks passed\n");
    return 0;
}
