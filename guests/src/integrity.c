/*
 * integrity: a data-integrity checker for anonymous, shared-file and
 * private-file memory, meant to run with less memory than it maps so that
 * pages go to swap or are dropped from the page cache and come back.
 *
 * Usage: integrity [TOTAL_MIB [DIR]] [-v]     defaults 64 MiB, /tmp
 *
 * Every page carries a header (magic, region, page index, generation) and
 * a body of hashed words, with the CRC-32 of the header and body in the
 * header: a page can be checked on its own (the CRC), and a lost or leaked
 * write (the wrong generation) or a page in the wrong place (region, index)
 * is told apart from corruption.  The total is split three ways:
 *
 *   anon     MAP_PRIVATE|MAP_ANONYMOUS, written through the mapping;
 *   shared   MAP_SHARED of a file sized with ftruncate (all holes), written
 *            through the mapping;
 *   private  MAP_PRIVATE of a file first written with write(2).
 *
 * Steps: write anon and shared (generation 1) and the private file (1);
 * check all three mappings; rewrite a pseudo-random third of the pages of
 * each with generation 2 (copy-on-write for private); check all three
 * again; msync the shared mapping and check the file with read(2) while it
 * is still mapped; unmap everything; open both files again and check with
 * read(2) that the shared file holds every write and that the private file
 * still holds generation 1 everywhere.  Prints one "ok <check>" line per
 * check, the totals and a checksum of the pages' CRCs; -v adds the time of
 * each step on stderr.
 */
#include "guest_util.h"
#include <stddef.h>
#include <sys/mman.h>

enum region { ANON = 1, SHARED, PRIVATE };
static const char *const region_name[] = { "", "anon", "shared", "private" };

#define MAGIC 0x46544c4eU               /* "NLTF" */
#define WORDS (PAGE / 8)

struct header {
    uint32_t magic;
    uint32_t region;
    uint64_t index;
    uint32_t gen;
    uint32_t crc;                       /* of the page, this field left out */
};

_Static_assert(sizeof(struct header) == 24, "header is three words");

static size_t region_pages;
static int verbose;
static char shared_path[4096], private_path[4096];

static uint32_t page_crc(const uint8_t *p)
{
    uint32_t crc = crc32_update(0, p, offsetof(struct header, crc));
    return crc32_update(crc, p + sizeof(struct header), PAGE - sizeof(struct header));
}

static void write_page(uint8_t *p, enum region r, size_t index, uint32_t gen)
{
    struct header h = { MAGIC, r, index, gen, 0 };
    uint64_t seed = mix64(((uint64_t)r << 56) ^ ((uint64_t)gen << 40) ^ index);
    uint64_t *w = (uint64_t *)p;
    for (size_t i = sizeof h / 8; i < WORDS; i++)
        w[i] = mix64(seed + i);
    memcpy(p, &h, sizeof h);
    h.crc = page_crc(p);
    memcpy(p, &h, sizeof h);
}

/* The pseudo-random third of each region that step 2 rewrites. */
static int mutated(enum region r, size_t index)
{
    return mix64(((uint64_t)r << 56) ^ index ^ 0x5eed) % 3 == 0;
}

/* The generation page `index` of region r must hold after the rewrite (or
 * before it: 1). */
static uint32_t want_gen(enum region r, size_t index, int rewritten)
{
    return rewritten && mutated(r, index) ? 2 : 1;
}

/* Checks one page; `check` names the failed check.  Returns its CRC. */
static uint32_t check_page(const uint8_t *p, enum region r, size_t index,
                           uint32_t gen, const char *check)
{
    struct header h;
    memcpy(&h, p, sizeof h);
    if (h.magic != MAGIC || h.region != r || h.index != index)
        fail(check, "%s page %zu: header magic %#x region %u index %llu",
             region_name[r], index, h.magic, h.region,
             (unsigned long long)h.index);
    if (h.crc != page_crc(p))
        fail(check, "%s page %zu: CRC %#x, page sums to %#x (corrupt)",
             region_name[r], index, h.crc, page_crc(p));
    if (h.gen != gen)
        fail(check, "%s page %zu: generation %u, expected %u",
             region_name[r], index, h.gen, gen);
    return h.crc;
}

static uint32_t check_mapping(const uint8_t *m, enum region r, int rewritten,
                              const char *check)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < region_pages; i++)
        sum += check_page(m + i * PAGE, r, i, want_gen(r, i, rewritten), check);
    return sum;
}

/* Checks the file from offset 0 with read(2). */
static uint32_t check_file(int fd, enum region r, int rewritten, const char *check)
{
    static uint8_t buf[MIB];
    uint32_t sum = 0;
    if (lseek(fd, 0, SEEK_SET) != 0)
        fail(check, "lseek: %s", strerror(errno));
    for (size_t k = 0; k < region_pages; k += MIB / PAGE) {
        size_t n = region_pages - k < MIB / PAGE ? region_pages - k : MIB / PAGE;
        if (read_full(fd, buf, n * PAGE) != 0)
            fail(check, "read: %s", strerror(errno));
        for (size_t i = 0; i < n; i++)
            sum += check_page(buf + i * PAGE, r, k + i,
                              want_gen(r, k + i, rewritten), check);
    }
    char extra;
    if (read(fd, &extra, 1) != 0)
        fail(check, "file longer than %zu pages", region_pages);
    return sum;
}

static void fill_private(uint8_t *page, size_t k, void *ctx)
{
    (void)ctx;
    write_page(page, PRIVATE, k, 1);
}

static void cleanup(void)
{
    if (shared_path[0])
        unlink(shared_path);
    if (private_path[0])
        unlink(private_path);
}

static double t_step;

static void step_done(const char *what)
{
    double t = now();
    if (verbose)
        fprintf(stderr, "integrity: %-24s %.3f s\n", what, t - t_step);
    t_step = t;
}

static uint8_t *map(int prot, int flags, int fd, const char *check)
{
    uint8_t *m = mmap(NULL, region_pages * PAGE, prot, flags, fd, 0);
    if (m == MAP_FAILED)
        fail(check, "mmap: %s", strerror(errno));
    return m;
}

int main(int argc, char **argv)
{
    verbose = take_verbose(&argc, argv);
    long mib = arg_long(argc, argv, 1, 64, 1, 1L << 20);
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    region_pages = (size_t)mib * MIB / PAGE / 3;
    if (region_pages == 0)
        region_pages = 1;
    size_t len = region_pages * PAGE;
    crc32_init();
    atexit(cleanup);
    t_step = now();

    /* Write generation 1 everywhere. */
    uint8_t *anon = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, "anon");
    for (size_t i = 0; i < region_pages; i++)
        write_page(anon + i * PAGE, ANON, i, 1);

    int sfd = create_file(dir, "integrity", SHARED, shared_path, sizeof shared_path);
    if (ftruncate(sfd, (off_t)len) != 0)
        fail("shared", "ftruncate: %s", strerror(errno));
    uint8_t *shared = map(PROT_READ | PROT_WRITE, MAP_SHARED, sfd, "shared");
    for (size_t i = 0; i < region_pages; i++)
        write_page(shared + i * PAGE, SHARED, i, 1);

    int pfd = create_file(dir, "integrity", PRIVATE, private_path, sizeof private_path);
    write_pages(pfd, region_pages, fill_private, NULL);
    uint8_t *priv = map(PROT_READ | PROT_WRITE, MAP_PRIVATE, pfd, "private");
    step_done("write");

    check_mapping(anon, ANON, 0, "anon");
    check_mapping(shared, SHARED, 0, "shared");
    check_mapping(priv, PRIVATE, 0, "private");
    step_done("check");

    /* Rewrite a third of each region with generation 2. */
    size_t rewritten = 0;
    for (size_t i = 0; i < region_pages; i++) {
        if (mutated(ANON, i))
            write_page(anon + i * PAGE, ANON, i, 2), rewritten++;
        if (mutated(SHARED, i))
            write_page(shared + i * PAGE, SHARED, i, 2), rewritten++;
        if (mutated(PRIVATE, i))
            write_page(priv + i * PAGE, PRIVATE, i, 2), rewritten++;
    }
    step_done("rewrite");

    uint32_t sum = check_mapping(anon, ANON, 1, "anon");
    sum += check_mapping(shared, SHARED, 1, "shared");
    sum += check_mapping(priv, PRIVATE, 1, "private");
    printf("ok anon\nok shared\nok private\n");
    step_done("check again");

    if (msync(shared, len, MS_SYNC) != 0)
        fail("msync", "%s", strerror(errno));
    check_file(sfd, SHARED, 1, "shared file after msync");
    printf("ok shared file after msync\n");
    step_done("msync and read");

    if (munmap(anon, len) != 0 || munmap(shared, len) != 0 || munmap(priv, len) != 0)
        fail("munmap", "%s", strerror(errno));
    close(sfd);
    close(pfd);

    sfd = open(shared_path, O_RDONLY | O_CLOEXEC);
    pfd = open(private_path, O_RDONLY | O_CLOEXEC);
    if (sfd < 0 || pfd < 0)
        fail("reopen", "%s", strerror(errno));
    check_file(sfd, SHARED, 1, "shared file reopened");
    printf("ok shared file reopened\n");
    /* rewritten = 0: copy-on-write pages never reach the file. */
    check_file(pfd, PRIVATE, 0, "private file unchanged");
    printf("ok private file unchanged\n");
    close(sfd);
    close(pfd);
    step_done("reopen and read");

    printf("integrity: total_mib=%ld pages_per_region=%zu pages_rewritten=%zu\n",
           mib, region_pages, rewritten);
    printf("checksum %08x\n", sum);
    return 0;
}
