/*
 * intmix: an integer-only CPU benchmark that checks itself.
 *
 * Usage: intmix [SIZE]     (default 10000: about 1.5 s under qemu-riscv64)
 *
 * Each round runs the kinds of work general-purpose CPU benchmarks mix, all on
 * integers (no floating point anywhere):
 *   - a linked list: built from pseudo-random keys, walked, reversed in place
 *     and merge-sorted by relinking, then checked to be sorted;
 *   - small matrices: 12x12 int32 products, a transpose and a trace;
 *   - a byte-driven state machine: a tokenizer over generated text that counts
 *     numbers, words and punctuation and sums the numbers;
 *   - CRCs: a bitwise CRC-32 and a table-driven CRC-16/CCITT over the text.
 * The work grows linearly with SIZE. Prints only checksums, which depend on
 * SIZE alone.
 */
#include <inttypes.h>
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

/* A 32-bit xorshift generator: the same sequence everywhere. */
static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* ---- linked list ------------------------------------------------------- */

struct node {
    struct node *next;
    int32_t key;
    uint16_t tag;
};

#define LIST_LEN 400

static struct node *list_build(struct node *pool, int n)
{
    struct node *head = NULL;
    for (int i = 0; i < n; i++) {
        pool[i].key = (int32_t)(rng() % 20000) - 10000;
        pool[i].tag = (uint16_t)i;
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *list_reverse(struct node *head)
{
    struct node *prev = NULL;
    while (head) {
        struct node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

/* Bottom-up merge sort by relinking; stable on equal keys. */
static struct node *list_sort(struct node *head)
{
    for (int width = 1;; width *= 2) {
        struct node *p = head, *tail = NULL;
        int merges = 0;
        head = NULL;
        while (p) {
            merges++;
            struct node *q = p;
            int psize = 0;
            for (int i = 0; i < width && q; i++) {
                psize++;
                q = q->next;
            }
            int qsize = width;
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                if (psize == 0) {
                    e = q;
                    q = q->next;
                    qsize--;
                } else if (qsize == 0 || !q || p->key <= q->key) {
                    e = p;
                    p = p->next;
                    psize--;
                } else {
                    e = q;
                    q = q->next;
                    qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    head = e;
                tail = e;
            }
            p = q;
        }
        if (tail)
            tail->next = NULL;
        if (merges <= 1)
            return head;
    }
}

static uint32_t list_round(struct node *pool)
{
    struct node *head = list_build(pool, LIST_LEN);
    uint32_t sum = 0;
    for (struct node *p = head; p; p = p->next)
        sum = sum * 31 + (uint32_t)p->key;
    head = list_reverse(head);
    for (struct node *p = head; p; p = p->next)
        sum ^= (uint32_t)p->tag << (p->tag & 15);
    head = list_sort(head);
    int n = 0;
    for (struct node *p = head; p; p = p->next, n++) {
        if (p->next && (p->key > p->next->key ||
                        (p->key == p->next->key && p->tag > p->next->tag)))
            fail("list sorted");
        sum += (uint32_t)p->key * (uint32_t)(n + 1);
    }
    if (n != LIST_LEN)
        fail("list length");
    return sum;
}

/* ---- matrices ---------------------------------------------------------- */

#define DIM 12

static void mat_fill(int32_t m[DIM][DIM], int32_t seed)
{
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++)
            m[i][j] = (int32_t)(rng() & 0xff) - 128 + seed;
}

static void mat_mul(int32_t c[DIM][DIM], int32_t a[DIM][DIM], int32_t b[DIM][DIM])
{
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) {
            int32_t s = 0;
            for (int k = 0; k < DIM; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

static uint32_t mat_round(int32_t seed)
{
    static int32_t a[DIM][DIM], b[DIM][DIM], c[DIM][DIM], t[DIM][DIM];
    mat_fill(a, seed);
    mat_fill(b, -seed);
    mat_mul(c, a, b);
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++)
            t[j][i] = c[i][j] >> 3;
    mat_mul(a, t, b);
    uint32_t sum = 0;
    for (int i = 0; i < DIM; i++) {
        sum += (uint32_t)a[i][i];
        for (int j = 0; j < DIM; j++)
            sum = (sum << 1 | sum >> 31) ^ (uint32_t)(a[i][j] & 0xffff);
    }
    return sum;
}

/* ---- state machine ----------------------------------------------------- */

#define TEXT_LEN 3000

static void text_fill(unsigned char *text, size_t n)
{
    static const char alphabet[] = "abcdefghij0123456789  ,.;-+\n";
    for (size_t i = 0; i < n; i++)
        text[i] = (unsigned char)alphabet[rng() % (sizeof alphabet - 1)];
}

enum state { START, NUMBER, WORD, SIGN };

struct tally {
    uint32_t numbers, words, puncts, lines;
    uint32_t total;
};

/* A tokenizer: numbers with an optional leading sign, words of letters and
 * digits that start with a letter, punctuation, blanks and newlines. */
static void tokenize(const unsigned char *text, size_t n, struct tally *t)
{
    enum state s = START;
    int32_t value = 0, sign = 1;
    for (size_t i = 0; i <= n; i++) {
        unsigned c = i < n ? text[i] : ' ';
        int digit = c >= '0' && c <= '9';
        int letter = c >= 'a' && c <= 'z';
        switch (s) {
        case START:
            if (digit) {
                value = (int32_t)(c - '0');
                sign = 1;
                s = NUMBER;
            } else if (letter) {
                s = WORD;
            } else if (c == '-' || c == '+') {
                sign = c == '-' ? -1 : 1;
                s = SIGN;
            } else if (c == '\n') {
                t->lines++;
            } else if (c != ' ') {
                t->puncts++;
            }
            break;
        case SIGN:
            if (digit) {
                value = (int32_t)(c - '0');
                s = NUMBER;
            } else {
                t->puncts++;
                s = START;
                i--;
            }
            break;
        case NUMBER:
            if (digit) {
                value = value * 10 + (int32_t)(c - '0');
                if (value > 100000)
                    value %= 100003;
            } else {
                t->numbers++;
                t->total += (uint32_t)(sign * value);
                s = START;
                i--;
            }
            break;
        case WORD:
            if (!digit && !letter) {
                t->words++;
                s = START;
                i--;
            }
            break;
        }
    }
}

/* ---- CRCs -------------------------------------------------------------- */

static uint32_t crc32_bitwise(const unsigned char *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static uint16_t crc16_table[256];

static void crc16_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint16_t c = (uint16_t)(i << 8);
        for (int k = 0; k < 8; k++)
            c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
        crc16_table[i] = c;
    }
}

static uint16_t crc16(const unsigned char *p, size_t n, uint16_t crc)
{
    for (size_t i = 0; i < n; i++)
        crc = (uint16_t)(crc << 8) ^ crc16_table[(crc >> 8) ^ p[i]];
    return crc;
}

int main(int argc, char **argv)
{
    long size = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    if (size < 1)
        fail("size");

    /* Known answers first: the CRCs are standard. */
    static const unsigned char check[] = "123456789";
    crc16_init();
    if (crc32_bitwise(check, 9, 0) != 0xcbf43926u)
        fail("crc32 check value");
    if (crc16(check, 9, 0xffff) != 0x29b1)
        fail("crc16 check value");

    struct node *pool = xmalloc(LIST_LEN * sizeof *pool);
    unsigned char *text = xmalloc(TEXT_LEN);
    uint32_t list_sum = 0, mat_sum = 0, crc_a = 0;
    uint16_t crc_b = 0xffff;
    struct tally tally = {0};
    for (long r = 0; r < size; r++) {
        list_sum = list_sum * 17 + list_round(pool);
        mat_sum ^= mat_round((int32_t)(r & 7)) + (uint32_t)r;
        text_fill(text, TEXT_LEN);
        tokenize(text, TEXT_LEN, &tally);
        crc_a = crc32_bitwise(text, TEXT_LEN, crc_a);
        crc_b = crc16(text, TEXT_LEN, crc_b);
    }
    printf("list   %08" PRIx32 "\n", list_sum);
    printf("matrix %08" PRIx32 "\n", mat_sum);
    printf("tokens numbers %" PRIu32 " words %" PRIu32 " puncts %" PRIu32
           " lines %" PRIu32 " total %08" PRIx32 "\n",
           tally.numbers, tally.words, tally.puncts, tally.lines, tally.total);
    printf("crc32  %08" PRIx32 "\n", crc_a);
    printf("crc16  %04" PRIx16 "\n", crc_b);
    free(text);
    free(pool);
    return 0;
}
