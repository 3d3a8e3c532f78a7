/*
 * zicsr: the six CSR instructions (csrrw, csrrs, csrrc and their immediate
 * forms) on the three user FP CSRs, the assembler pseudo-instructions built
 * on them, how fflags/frm alias fields of fcsr, write masking of the
 * narrow fields, accrual of exception flags, and the user counters
 * cycle/time/instret (readable and monotonic).
 */
#include "test.h"
TEST_FILE(zicsr)

    csrwi fcsr, 0

    /* ---- fflags (5 bits) ---- */
    TEST_CASE(csrrw fflags, a0, 0, li a1, NX | OF; csrrw a0, fflags, a1)
    TEST_CASE(csrrw fflags old value, a0, NX | OF, li a1, 0; csrrw a0, fflags, a1)
    TEST_CASE(csrrs fflags, a0, 0x14, li a1, 0x10; csrrs x0, fflags, a1; li a1, 0x04; csrrs a2, fflags, a1; csrr a0, fflags)
    TEST_CASE(csrrs fflags old value, a2, 0x10, nop)
    TEST_CASE(csrrc fflags, a0, 0x04, li a1, 0x10; csrrc a2, fflags, a1; csrr a0, fflags)
    TEST_CASE(csrrc fflags old value, a2, 0x14, nop)
    TEST_CASE(csrrwi fflags, a0, 0x1f, csrrwi a2, fflags, 31; csrr a0, fflags)
    TEST_CASE(csrrwi fflags old value, a2, 0x04, nop)
    TEST_CASE(csrrci fflags, a0, 0x0e, csrrci a2, fflags, 0x11; csrr a0, fflags)
    TEST_CASE(csrrsi fflags, a0, 0x0f, csrrsi a2, fflags, 0x01; csrr a0, fflags)
    TEST_CASE(csrrsi fflags old value, a2, 0x0e, nop)
    /* Only the five flag bits exist. */
    TEST_CASE(fflags write mask, a0, 0x1f, li a1, -1; csrw fflags, a1; csrr a0, fflags)
    TEST_CASE(fflags in fcsr, a0, 0x1f, csrr a0, fcsr)

    /* ---- frm (3 bits) ---- */
    TEST_CASE(csrrw frm, a0, 0, csrwi fflags, 0; li a1, RTZ; csrrw a0, frm, a1)
    TEST_CASE(csrrw frm readback, a0, RTZ, csrr a0, frm)
    TEST_CASE(frm in fcsr, a0, RTZ << 5, csrr a0, fcsr)
    TEST_CASE(csrrs frm, a0, RUP, li a1, 2; csrrs a2, frm, a1; csrr a0, frm)
    TEST_CASE(csrrc frm, a0, RDN, li a1, 1; csrrc a2, frm, a1; csrr a0, frm)
    TEST_CASE(csrrc frm old value, a2, RUP, nop)
    TEST_CASE(csrrwi frm, a0, RMM, csrrwi a2, frm, RMM; csrr a0, frm)
    TEST_CASE(csrrsi frm, a0, 6, csrrsi a2, frm, 2; csrr a0, frm)
    TEST_CASE(csrrci frm, a0, 2, csrrci a2, frm, 4; csrr a0, frm)
    /* Reserved modes can be written and read back (they only trap when an
     * instruction uses dyn); only three bits exist. */
    TEST_CASE(frm write mask, a0, 7, li a1, 0xff; csrw frm, a1; csrr a0, frm)
    TEST_CASE(frm write leaves fflags, a0, 0, csrr a0, fflags)

    /* ---- fcsr: frm in bits 7:5, fflags in bits 4:0, the rest read 0 ---- */
    TEST_CASE(csrrw fcsr, a0, 0xff, li a1, 0xff; csrrw a2, fcsr, a1; csrr a0, fcsr)
    TEST_CASE(fcsr write mask, a0, 0xff, li a1, -1; csrw fcsr, a1; csrr a0, fcsr)
    TEST_CASE(fcsr sets frm, a0, 3, li a1, (3 << 5) | 0x0a; csrw fcsr, a1; csrr a0, frm)
    TEST_CASE(fcsr sets fflags, a0, 0x0a, csrr a0, fflags)
    TEST_CASE(csrrs fcsr, a0, (3 << 5) | 0x0b, li a1, 1; csrrs a2, fcsr, a1; csrr a0, fcsr)
    TEST_CASE(csrrc fcsr, a0, 0x0b, li a1, 3 << 5; csrrc a2, fcsr, a1; csrr a0, fcsr)
    TEST_CASE(csrrc fcsr old value, a2, (3 << 5) | 0x0b, nop)
    TEST_CASE(csrrwi fcsr, a0, 0x1f, csrrwi a2, fcsr, 0x1f; csrr a0, fcsr)
    TEST_CASE(csrrsi fcsr, a0, 0x1f, csrrsi a2, fcsr, 0x10; csrr a0, fcsr)
    TEST_CASE(csrrci fcsr, a0, 0x0f, csrrci a2, fcsr, 0x10; csrr a0, fcsr)
    /* rs1 = x0 / zimm = 0 on csrrs and csrrc reads without writing. */
    TEST_CASE(csrrs x0 reads, a0, 0x0f, csrrs a0, fcsr, x0)
    TEST_CASE(csrrci 0 reads, a0, 0x0f, csrrci a0, fcsr, 0)

    /* ---- pseudo-instructions ---- */
    TEST_CASE(fscsr/frcsr, a0, 0x45, li a1, 0x45; fscsr a2, a1; frcsr a0)
    TEST_CASE(fscsr old value, a2, 0x0f, nop)
    TEST_CASE(fsrm/frrm, a0, RMM, li a1, RMM; fsrm a2, a1; frrm a0)
    TEST_CASE(fsrm old value, a2, 2, nop)
    TEST_CASE(fsflags/frflags, a0, 0x11, li a1, 0x11; fsflags a2, a1; frflags a0)
    TEST_CASE(fsflags old value, a2, 0x05, nop)
    TEST_CASE(fsrmi, a0, RTZ, fsrmi a2, RTZ; frrm a0)
    TEST_CASE(fsflagsi, a0, 0x03, fsflagsi a2, 0x03; frflags a0)
    TEST_CASE(fsflagsi old value, a2, 0x11, nop)

    /* ---- flags accrue: an operation ORs its flags in, never clears ---- */
    SET_TEST(flags accrue)
    fscsr x0
    LOAD_D(fa1, 0x3ff0000000000000)     /* 1.0 */
    LOAD_D(fa2, 0x4008000000000000)     /* 3.0 */
    fdiv.d fa0, fa1, fa2                /* inexact */
    frflags a0
    CHECK(a0, NX)
    fmv.d.x fa3, zero
    fdiv.d fa0, fa1, fa3                /* 1/0 */
    frflags a0
    CHECK(a0, NX | DZ)
    fadd.d fa0, fa1, fa1                /* exact: changes nothing */
    frflags a0
    CHECK(a0, NX | DZ)
    SET_TEST(dyn uses frm)
    fsrmi RUP
    fdiv.d fa0, fa1, fa2, dyn
    fmv.x.d a0, fa0
    CHECK(a0, 0x3fd5555555555556)       /* 1/3 rounded up */
    fsrmi RDN
    fdiv.d fa0, fa1, fa2, dyn
    fmv.x.d a0, fa0
    CHECK(a0, 0x3fd5555555555555)       /* 1/3 rounded down */
    fscsr x0

    /* ---- counters: readable from user mode and never going backwards ---- */
    SET_TEST(rdcycle monotonic)
    rdcycle a1
    li t0, 1000
1:  addi t0, t0, -1
    bnez t0, 1b
    rdcycle a2
    sltu a0, a1, a2             /* strictly more cycles after a loop */
    CHECK(a0, 1)
    SET_TEST(rdinstret monotonic)
    rdinstret a1
    li t0, 1000
1:  addi t0, t0, -1
    bnez t0, 1b
    rdinstret a2
    sltu a0, a1, a2
    CHECK(a0, 1)
    SET_TEST(rdtime monotonic)
    rdtime a1
    li t0, 1000
1:  addi t0, t0, -1
    bnez t0, 1b
    rdtime a2
    sltu a0, a2, a1             /* time may not tick in a short loop */
    CHECK(a0, 0)
    SET_TEST(csrrs cycle equals rdcycle)
    csrrs a1, cycle, x0
    csrrs a2, cycle, x0
    sltu a0, a2, a1
    CHECK(a0, 0)
    SET_TEST(csrrs instret and time)
    csrrs a1, instret, x0
    csrrs a2, time, x0
    csrrs a3, instret, x0
    sltu a0, a3, a1
    CHECK(a0, 0)

    TEST_PASS
