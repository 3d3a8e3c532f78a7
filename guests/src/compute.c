/*
 * compute: a CPU-bound benchmark that doubles as a correctness check.
 *
 * Usage: compute [SIZE]     (default 150: about 1.5 s under qemu-riscv64)
 *
 * The sieve, hash, sorts, n-body steps and sum grow linearly with SIZE; the
 * matrices are (2*SIZE+24) square.
 *
 * Runs integer work (a sieve of Eratosthenes and a hash mix), sorting (qsort
 * and a merge sort of the same pseudo-random data, which must agree) and
 * double-precision work (a matrix multiply, an N-body simulation and a
 * compensated sum).  Prints only checksums, which depend on SIZE alone; the
 * floating-point ones are printed with %.6f and also as exact bit patterns,
 * so an emulator's rounding must match bit for bit.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *check)
{
    printf("FAIL %s\n", check);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        fail("malloc");
    return p;
}

/* A fixed 64-bit LCG (Knuth's MMIX constants): the same sequence
 * everywhere. */
static uint64_t lcg_state;
static uint64_t lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state;
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ---- integers ---------------------------------------------------------- */

static void sieve(size_t limit)
{
    unsigned char *composite = xmalloc(limit + 1);
    memset(composite, 0, limit + 1);
    uint64_t count = 0, sum = 0, last = 0;
    for (size_t i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        sum += i;
        last = i;
        for (size_t j = i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    free(composite);
    printf("sieve: limit=%zu primes=%" PRIu64 " sum=%" PRIu64 " largest=%" PRIu64 "\n",
           limit, count, sum, last);
}

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Mixes multiply, rotate, xor, shifts, division and 32-bit arithmetic, so
 * that every integer unit takes part in the checksum. */
static void hash_mix(size_t rounds)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL, acc = 0;
    uint32_t w = 0x12345678;
    for (size_t i = 0; i < rounds; i++) {
        h ^= (uint64_t)i * 0xff51afd7ed558ccdULL;
        h = rotl(h, 31) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
        w = w * 1103515245u + 12345u;
        w ^= w >> 13;
        acc += h / ((uint64_t)(w | 1)) + (uint64_t)((int64_t)h % 1000003);
        acc ^= (uint64_t)(int32_t)(w + (uint32_t)h);
    }
    printf("hash: rounds=%zu h=%016" PRIx64 " acc=%016" PRIx64 " w=%08" PRIx32 "\n",
           rounds, h, acc, w);
}

/* ---- sorting ----------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void merge_sort(int *a, int *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t mid = n / 2;
    merge_sort(a, tmp, mid);
    merge_sort(a + mid, tmp, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n)
        tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static void sorting(size_t n)
{
    int *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b);
    int *tmp = xmalloc(n * sizeof *tmp);
    lcg_state = 42;
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] = (int)(lcg() >> 33) - (1 << 30);
    qsort(a, n, sizeof *a, cmp_int);
    merge_sort(b, tmp, n);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i])
            fail("sort: qsort result not ordered");
        if (a[i] != b[i])
            fail("sort: qsort and merge sort disagree");
        sum = sum * 31 + (uint64_t)(int64_t)a[i];
    }
    printf("sort: n=%zu min=%d median=%d max=%d checksum=%016" PRIx64 "\n",
           n, a[0], a[n / 2], a[n - 1], sum);
    free(a);
    free(b);
    free(tmp);
}

/* ---- floating point ---------------------------------------------------- */

static double uniform(void)
{
    return (double)(lcg() >> 11) * 0x1p-53; /* [0, 1) exactly */
}

static void matmul(size_t n)
{
    double *a = xmalloc(n * n * sizeof *a), *b = xmalloc(n * n * sizeof *b);
    double *c = xmalloc(n * n * sizeof *c);
    lcg_state = 7;
    for (size_t i = 0; i < n * n; i++) {
        a[i] = uniform() * 2 - 1;
        b[i] = uniform() * 2 - 1;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
    double trace = 0, sum = 0;
    for (size_t i = 0; i < n; i++)
        trace += c[i * n + i];
    for (size_t i = 0; i < n * n; i++)
        sum += c[i];
    printf("matmul: n=%zu trace=%.6f sum=%.6f bits=%016" PRIx64 "\n", n, trace,
           sum, double_bits(sum));
    free(a);
    free(b);
    free(c);
}

/* Five bodies of the outer solar system (the classic n-body benchmark). */
#define NBODIES 5
struct body {
    double x, y, z, vx, vy, vz, mass;
};

static double energy(const struct body *b)
{
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        e += 0.5 * b[i].mass *
             (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y,
                   dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void nbody(size_t steps)
{
    const double pi = 3.141592653589793, days = 365.24,
                 solar = 4 * pi * pi;
    struct body b[NBODIES] = {
        {0, 0, 0, 0, 0, 0, solar},
        {4.84143144246472090e+00, -1.16032004402742839e+00,
         -1.03622044471123109e-01, 1.66007664274403694e-03 * days,
         7.69901118419740425e-03 * days, -6.90460016972063023e-05 * days,
         9.54791938424326609e-04 * solar},
        {8.34336671824457987e+00, 4.12479856412430479e+00,
         -4.03523417114321381e-01, -2.76742510726862411e-03 * days,
         4.99852801234917238e-03 * days, 2.30417297573763929e-05 * days,
         2.85885980666130812e-04 * solar},
        {1.28943695621391310e+01, -1.51111514016986312e+01,
         -2.23307578892655734e-01, 2.96460137564761618e-03 * days,
         2.37847173959480950e-03 * days, -2.96589568540237556e-05 * days,
         4.36624404335156298e-05 * solar},
        {1.53796971148509165e+01, -2.59193146099879641e+01,
         1.79258772950371181e-01, 2.68067772490389322e-03 * days,
         1.62824170038242295e-03 * days, -9.51592254519715870e-05 * days,
         5.15138902046611451e-05 * solar},
    };
    /* Zero the total momentum via the sun. */
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / solar;
    b[0].vy = -py / solar;
    b[0].vz = -pz / solar;

    double e0 = energy(b);
    const double dt = 0.01;
    for (size_t s = 0; s < steps; s++) {
        for (int i = 0; i < NBODIES; i++)
            for (int j = i + 1; j < NBODIES; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y,
                       dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * sqrt(d2));
                b[i].vx -= dx * b[j].mass * mag;
                b[i].vy -= dy * b[j].mass * mag;
                b[i].vz -= dz * b[j].mass * mag;
                b[j].vx += dx * b[i].mass * mag;
                b[j].vy += dy * b[i].mass * mag;
                b[j].vz += dz * b[i].mass * mag;
            }
        for (int i = 0; i < NBODIES; i++) {
            b[i].x += dt * b[i].vx;
            b[i].y += dt * b[i].vy;
            b[i].z += dt * b[i].vz;
        }
    }
    double e1 = energy(b);
    printf("nbody: steps=%zu energy_before=%.9f energy_after=%.9f bits=%016" PRIx64 "\n",
           steps, e0, e1, double_bits(e1));
}

/* Neumaier's compensated sum of a series with terms of wildly different
 * magnitudes, next to the naive sum, which loses most of the small terms. */
static void stable_sum(size_t n)
{
    double naive = 0, sum = 0, comp = 0;
    for (size_t i = 1; i <= n; i++) {
        double terms[3] = {1e16 / (double)i, 1.0 / (double)i, -1e16 / (double)i};
        for (int t = 0; t < 3; t++) {
            double x = terms[t];
            naive += x;
            double s = sum + x;
            if (fabs(sum) >= fabs(x))
                comp += (sum - s) + x;
            else
                comp += (x - s) + sum;
            sum = s;
        }
    }
    double total = sum + comp;
    /* The exact value is the harmonic number H(n); the compensated sum
     * must be close to it, the naive one need not be. */
    double h = 0;
    for (size_t i = n; i >= 1; i--)
        h += 1.0 / (double)i;
    if (fabs(total - h) > 1e-9 * h)
        fail("stable_sum: compensated sum is off");
    printf("sum: n=%zu compensated=%.6f naive=%.6f bits=%016" PRIx64 "\n", n,
           total, naive, double_bits(total));
}

int main(int argc, char **argv)
{
    long size = argc > 1 ? atol(argv[1]) : 150;
    if (size < 1 || size > 100000) {
        fprintf(stderr, "usage: compute [SIZE 1..100000]\n");
        return 2;
    }
    size_t s = (size_t)size;
    printf("compute: size=%zu\n", s);
    sieve(s * 50000);
    hash_mix(s * 50000);
    sorting(s * 5000);
    matmul(s < 8 ? 16 : 2 * s + 24);
    nbody(s * 1000);
    stable_sum(s * 5000);
    printf("compute: done\n");
    return 0;
}
