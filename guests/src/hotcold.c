/*
 * hotcold: a small hot set used over and over while a cold stream, used
 * once, flows past it.  Under a memory limit smaller than the stream,
 * reclaim that tells hot pages from cold ones keeps the hot set resident;
 * one that takes the oldest pages first throws the hot set out again and
 * again, and every use after that is a major fault (a read of the file or
 * of swap).
 *
 * Usage: hotcold [HOT_PAGES [COLD_MIB [DIR [file|anon|both]]]] [-v]
 *        defaults 256 pages, 32 MiB, /tmp, both
 *
 * file: the hot set is a file of HOT_PAGES pages mapped shared and read
 *       through the mapping; the cold stream is another file of COLD_MIB
 *       MiB read once with read(2), 64 KiB at a time.  Only the hot set
 *       takes page faults on file pages.
 * anon: the hot set is private anonymous memory; the cold stream is
 *       COLD_MIB MiB of private anonymous memory, each page written once
 *       and never read again, so with swap only the hot set is read back.
 *
 * In each round every hot page is read and checked, then the stream moves
 * on by 64 KiB; the stream's bytes are checked too.  The output (rounds
 * and a checksum of what was read) depends only on the arguments; -v adds
 * the time on stderr.
 */
#include "guest_util.h"
#include <sys/mman.h>

#define WORDS (PAGE / 8)
#define STEP_PAGES 16

static uint64_t pattern(uint64_t salt, size_t page, size_t i)
{
    return mix64(salt ^ ((uint64_t)page << 9) ^ i);
}

static void fill_hot(uint8_t *page, size_t k, void *ctx)
{
    (void)ctx;
    uint64_t *w = (uint64_t *)page;
    for (size_t i = 0; i < WORDS; i++)
        w[i] = pattern(1, k, i);
}

static void fill_cold(uint8_t *page, size_t k, void *ctx)
{
    (void)ctx;
    uint64_t *w = (uint64_t *)page;
    for (size_t i = 0; i < WORDS; i++)
        w[i] = pattern(2, k, i);
}

/* Reads one word of every hot page (a different word each round). */
static uint64_t touch_hot(const uint64_t *hot, size_t pages, size_t round)
{
    uint64_t sum = 0;
    size_t i = round % WORDS;
    for (size_t pg = 0; pg < pages; pg++) {
        uint64_t v = hot[pg * WORDS + i];
        if (v != pattern(1, pg, i))
            fail("hot", "round %zu page %zu word %zu: %#llx", round, pg, i,
                 (unsigned long long)v);
        sum += v;
    }
    return sum;
}

static uint64_t check_cold(const uint64_t *buf, size_t first, size_t pages)
{
    uint64_t sum = 0;
    for (size_t k = 0; k < pages; k++)
        for (size_t i = 0; i < WORDS; i += 97) {
            uint64_t v = buf[k * WORDS + i];
            if (v != pattern(2, first + k, i))
                fail("cold", "page %zu word %zu: %#llx", first + k, i,
                     (unsigned long long)v);
            sum ^= v;
        }
    return sum;
}

static uint64_t run_file(const char *dir, size_t hot_pages, size_t cold_pages,
                         size_t *rounds)
{
    char hot_path[512], cold_path[512];
    int hfd = create_file(dir, "hotcold-hot", 0, hot_path, sizeof hot_path);
    int cfd = create_file(dir, "hotcold-cold", 1, cold_path, sizeof cold_path);
    write_pages(hfd, hot_pages, fill_hot, NULL);
    write_pages(cfd, cold_pages, fill_cold, NULL);
    const uint64_t *hot = mmap(NULL, hot_pages * PAGE, PROT_READ, MAP_SHARED, hfd, 0);
    if (hot == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    uint64_t *buf = malloc(STEP_PAGES * PAGE);
    if (!buf)
        fail("setup", "out of memory");
    if (lseek(cfd, 0, SEEK_SET) != 0)
        fail("lseek", "%s", strerror(errno));
    uint64_t sum = 0;
    size_t r = 0;
    for (size_t at = 0; at < cold_pages; at += STEP_PAGES, r++) {
        sum += touch_hot(hot, hot_pages, r);
        size_t n = cold_pages - at < STEP_PAGES ? cold_pages - at : STEP_PAGES;
        if (read_full(cfd, buf, n * PAGE) != 0)
            fail("read", "cold file at page %zu: %s", at, strerror(errno));
        sum ^= check_cold(buf, at, n);
    }
    sum += touch_hot(hot, hot_pages, r++);
    munmap((void *)hot, hot_pages * PAGE);
    free(buf);
    close(hfd);
    close(cfd);
    unlink(hot_path);
    unlink(cold_path);
    *rounds = r;
    return sum;
}

static uint64_t run_anon(size_t hot_pages, size_t cold_pages, size_t *rounds)
{
    uint64_t *hot = mmap(NULL, hot_pages * PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t *cold = mmap(NULL, cold_pages * PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (hot == MAP_FAILED || cold == MAP_FAILED)
        fail("mmap", "%s", strerror(errno));
    for (size_t pg = 0; pg < hot_pages; pg++)
        fill_hot((uint8_t *)(hot + pg * WORDS), pg, NULL);
    uint64_t sum = 0;
    size_t r = 0;
    for (size_t at = 0; at < cold_pages; at += STEP_PAGES, r++) {
        sum += touch_hot(hot, hot_pages, r);
        size_t n = cold_pages - at < STEP_PAGES ? cold_pages - at : STEP_PAGES;
        for (size_t k = 0; k < n; k++)
            fill_cold((uint8_t *)(cold + (at + k) * WORDS), at + k, NULL);
        /* Checked while it is surely still resident: nothing reads it later. */
        sum ^= check_cold(cold + at * WORDS, at, n);
    }
    sum += touch_hot(hot, hot_pages, r++);
    munmap(hot, hot_pages * PAGE);
    munmap(cold, cold_pages * PAGE);
    *rounds = r;
    return sum;
}

int main(int argc, char **argv)
{
    int verbose = take_verbose(&argc, argv);
    size_t hot_pages = (size_t)arg_long(argc, argv, 1, 256, 1, 1L << 20);
    size_t cold_pages = (size_t)arg_long(argc, argv, 2, 32, 1, 1L << 16) * (MIB / PAGE);
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    const char *mode = argc > 4 ? argv[4] : "both";
    int file = strcmp(mode, "file") == 0, anon = strcmp(mode, "anon") == 0;
    if (strcmp(mode, "both") == 0)
        file = anon = 1;
    if (!file && !anon) {
        fprintf(stderr, "hotcold: mode must be file, anon or both\n");
        return 2;
    }
    double t0 = now();
    if (file) {
        size_t rounds;
        uint64_t sum = run_file(dir, hot_pages, cold_pages, &rounds);
        printf("hotcold: file hot_pages=%zu cold_pages=%zu rounds=%zu checksum %016llx\n",
               hot_pages, cold_pages, rounds, (unsigned long long)sum);
    }
    if (anon) {
        size_t rounds;
        uint64_t sum = run_anon(hot_pages, cold_pages, &rounds);
        printf("hotcold: anon hot_pages=%zu cold_pages=%zu rounds=%zu checksum %016llx\n",
               hot_pages, cold_pages, rounds, (unsigned long long)sum);
    }
    printf("ok hot set and stream verified\n");
    if (verbose)
        fprintf(stderr, "hotcold: %.3f s\n", now() - t0);
    return 0;
}
