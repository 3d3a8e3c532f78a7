/*
 * rv64a: load-reserved/store-conditional and every AMO in .w and .d form,
 * with and without the aq/rl ordering bits.  Word forms must return the old
 * value sign-extended and leave the other half of the doubleword alone;
 * they use only the low 32 bits of rs2.
 */
#include "test.h"
TEST_FILE(rv64a)

/* Upper half of the doubleword around a word-sized AMO: must not change. */
#define SENTINEL 0x5a5a5a5a00000000

#define TEST_AMO_W(inst, init, operand, result) \
    SET_TEST(inst); la a1, amo_mem; \
    li t0, SENTINEL | ((init) & 0xffffffff); sd t0, 0(a1); \
    li a2, operand; inst a0, a2, (a1); \
    CHECK_W(a0, init); ld a3, 0(a1); \
    CHECK(a3, SENTINEL | ((result) & 0xffffffff))

#define TEST_AMO_D(inst, init, operand, result) \
    SET_TEST(inst); la a1, amo_mem; li t0, init; sd t0, 0(a1); \
    li a2, operand; inst a0, a2, (a1); \
    CHECK(a0, init); ld a3, 0(a1); CHECK(a3, result)

    /* ---- AMO .w ---- */
    TEST_AMO_W(amoswap.w, 0x11112222, 0xdeadbeef33334444, 0x33334444)
    TEST_AMO_W(amoswap.w.aq, 0x80000000, 0x7fffffff, 0x7fffffff)
    TEST_AMO_W(amoadd.w, 0x7fffffff, 1, 0x80000000)
    TEST_AMO_W(amoadd.w.rl, 0xffffffff, 0x1234567800000002, 1)
    TEST_AMO_W(amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0)
    TEST_AMO_W(amoand.w.aqrl, 0xff00ff00, 0x0ff00ff0, 0x0f000f00)
    TEST_AMO_W(amoor.w, 0xff00ff00, 0x0ff00ff0, 0xfff0fff0)
    TEST_AMO_W(amomin.w, 0x80000000, 1, 0x80000000)      /* signed */
    TEST_AMO_W(amomin.w, 5, 0xfffffffe, 0xfffffffe)
    TEST_AMO_W(amomin.w.aq, 5, 7, 5)
    TEST_AMO_W(amomax.w, 0x80000000, 1, 1)
    TEST_AMO_W(amomax.w.rl, 0xfffffffe, 0xffffffff, 0xffffffff)
    TEST_AMO_W(amominu.w, 0x80000000, 1, 1)              /* unsigned */
    TEST_AMO_W(amominu.w, 5, 0x1000000007, 5)            /* rs2 low word 7 */
    TEST_AMO_W(amomaxu.w, 0x80000000, 1, 0x80000000)
    TEST_AMO_W(amomaxu.w.aqrl, 1, 0xffffffff, 0xffffffff)

    /* ---- AMO .d ---- */
    TEST_AMO_D(amoswap.d, 0x1111222233334444, 0x5555666677778888, 0x5555666677778888)
    TEST_AMO_D(amoswap.d.aqrl, -1, 0, 0)
    TEST_AMO_D(amoadd.d, 0x7fffffffffffffff, 1, 0x8000000000000000)
    TEST_AMO_D(amoadd.d.aq, 0xffffffff, 1, 0x100000000)  /* carry into the upper word */
    TEST_AMO_D(amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0)
    TEST_AMO_D(amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00)
    TEST_AMO_D(amoor.d.rl, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0)
    TEST_AMO_D(amomin.d, 0x8000000000000000, 1, 0x8000000000000000)
    TEST_AMO_D(amomin.d.aq, -5, -7, -7)
    TEST_AMO_D(amomax.d, 0x8000000000000000, 1, 1)
    TEST_AMO_D(amomax.d.aqrl, -5, -7, -5)
    TEST_AMO_D(amominu.d, 0x8000000000000000, 1, 1)
    TEST_AMO_D(amominu.d.rl, -1, -2, -2)
    TEST_AMO_D(amomaxu.d, 0x8000000000000000, 1, 0x8000000000000000)
    TEST_AMO_D(amomaxu.d, 0x00000000ffffffff, 0x0000000100000000, 0x0000000100000000)

    /* rd == rs2: the old value lands in rd, the new one comes from the
     * register's previous contents. */
    SET_TEST(amoswap.d rd=rs2)
    la a1, amo_mem
    li t0, 0x1234
    sd t0, 0(a1)
    li a2, 0x5678
    amoswap.d a2, a2, (a1)
    CHECK(a2, 0x1234)
    ld a3, 0(a1)
    CHECK(a3, 0x5678)
    /* rd == x0: the memory update still happens. */
    TEST_CASE(amoadd.d rd=x0, a3, 0x1239,
        la a1, amo_mem; li t0, 0x1234; sd t0, 0(a1);
        li a2, 5; amoadd.d x0, a2, (a1); ld a3, 0(a1))

    /* ---- LR/SC ---- */
    TEST_CASE(lr.w sign-extends, a0, 0xffffffff80000001,
        la a1, amo_mem; li t0, SENTINEL | 0x80000001; sd t0, 0(a1);
        lr.w a0, (a1))
    SET_TEST(sc.w succeeds after lr.w)
    la a1, amo_mem
    li t0, SENTINEL | 0x1111
    sd t0, 0(a1)
    lr.w a0, (a1)
    li a2, 0x2222
    sc.w a3, a2, (a1)
    CHECK(a3, 0)
    CHECK(a0, 0x1111)
    ld a4, 0(a1)
    CHECK(a4, SENTINEL | 0x2222)

    /* The reservation is consumed by the first sc: a second one fails with
     * code 1 (the only failure code defined) and must not write. */
    SET_TEST(sc.w without reservation fails)
    li a2, 0x3333
    sc.w a3, a2, (a1)
    CHECK(a3, 1)
    ld a4, 0(a1)
    CHECK(a4, SENTINEL | 0x2222)

    /* sc to an address outside the reservation set (another page) fails. */
    SET_TEST(sc.w other address fails)
    la a1, amo_mem
    la a5, amo_far
    sw zero, 0(a5)
    lr.w a0, (a1)
    li a2, 0x4444
    sc.w a3, a2, (a5)
    CHECK(a3, 1)
    lw a4, 0(a5)
    CHECK(a4, 0)
    ld a4, 0(a1)
    CHECK(a4, SENTINEL | 0x2222)

    SET_TEST(sc.d succeeds after lr.d)
    la a1, amo_mem
    li t0, 0x8000000000000001
    sd t0, 0(a1)
    lr.d.aq a0, (a1)
    li a2, 0x0123456789abcdef
    sc.d.rl a3, a2, (a1)
    CHECK(a3, 0)
    CHECK(a0, 0x8000000000000001)
    ld a4, 0(a1)
    CHECK(a4, 0x0123456789abcdef)

    SET_TEST(sc.d without reservation fails)
    li a2, 0x1111
    sc.d a3, a2, (a1)
    CHECK(a3, 1)
    ld a4, 0(a1)
    CHECK(a4, 0x0123456789abcdef)

    SET_TEST(sc.d other address fails)
    la a5, amo_far
    sd zero, 0(a5)
    lr.d a0, (a1)
    sc.d a3, a2, (a5)
    CHECK(a3, 1)
    ld a4, 0(a5)
    CHECK(a4, 0)

    /* The usual compare-and-swap loop built from lr/sc. */
    SET_TEST(lr/sc compare-and-swap loop)
    la a1, amo_mem
    li t0, 41
    sd t0, 0(a1)
    li a2, 41               /* expected */
    li a3, 42               /* desired */
1:  lr.d.aqrl a0, (a1)
    bne a0, a2, 2f
    sc.d.aqrl a4, a3, (a1)
    bnez a4, 1b
2:  CHECK(a0, 41)
    ld a4, 0(a1)
    CHECK(a4, 42)

    /* An atomic increment loop run many times: every iteration counts. */
    SET_TEST(lr/sc increment loop)
    la a1, amo_mem
    sd zero, 0(a1)
    li a5, 1000
3:  lr.w a0, (a1)
    addi a0, a0, 1
    sc.w a4, a0, (a1)
    bnez a4, 3b
    addi a5, a5, -1
    bnez a5, 3b
    lw a0, 0(a1)
    CHECK(a0, 1000)

    TEST_PASS

    .data
    .balign 64
amo_mem:
    .dword 0, 0
    .balign 4096
amo_far:
    .dword 0
