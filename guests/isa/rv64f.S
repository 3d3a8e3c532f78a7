/*
 * rv64f: every F-extension instruction, with the same corner cases as
 * rv64d in single precision, plus NaN boxing: single values live in the low
 * half of a 64-bit register whose upper half must be all ones; any other
 * register contents read as the canonical NaN by every instruction except
 * the raw transfers (fmv.x.w, fsw), and every single result is boxed.
 */
#include "test.h"
TEST_FILE(rv64f)

/* single-precision constants */
#define ONE                0x3f800000
#define TWO                0x40000000
#define THREE              0x40400000
#define FOUR               0x40800000
#define FIVE               0x40a00000
#define SEVEN              0x40e00000
#define SIXTEEN            0x41800000
#define HALF               0x3f000000
#define NEG_ONE            0xbf800000
#define NEG_TWO            0xc0000000
#define PZERO              0x00000000
#define NZERO              0x80000000
#define PINF               0x7f800000
#define NINF               0xff800000
#define CNAN               0x7fc00000
#define QNAN_PAYLOAD       0x7fc00123
#define QNAN_NEG           0xffc00000
#define SNAN               0x7f800001
#define SNAN_NEG           0xff800055
#define MAX                0x7f7fffff
#define NEG_MAX            0xff7fffff
#define MIN_NORMAL         0x00800000
#define NEG_MIN_NORMAL     0x80800000
#define MIN_SUB            0x00000001
#define NEG_MIN_SUB        0x80000001
#define MAX_SUB            0x007fffff
#define NEG_FIVE           0xc0a00000
#define NEG_SEVEN          0xc0e00000
#define SNAN_NEG_OF_SNAN   0xff800001
#define QNAN_PAYLOAD_NEG   0xffc00123
#define ONE_PLUS_ULP       0x3f800001
#define ONE_MINUS_ULP      0x3f7fffff

    /* ---- NaN and infinity handling: every NaN result is the canonical
     * NaN (payloads and signs are not propagated); only a signalling NaN
     * input, or an invalid operation, raises NV. ---- */
    TEST_FP_RR_S(fadd.s, rne, CNAN, 0, QNAN_PAYLOAD, ONE)
    TEST_FP_RR_S(fadd.s, rne, CNAN, 0, ONE, QNAN_NEG)
    TEST_FP_RR_S(fadd.s, rne, CNAN, NV, SNAN, ONE)
    TEST_FP_RR_S(fadd.s, rne, CNAN, NV, ONE, SNAN_NEG)
    TEST_FP_RR_S(fadd.s, rne, CNAN, NV, PINF, NINF)
    TEST_FP_RR_S(fsub.s, rne, CNAN, NV, PINF, PINF)
    TEST_FP_RR_S(fsub.s, rne, NINF, 0, NINF, PINF)
    TEST_FP_RR_S(fadd.s, rne, PINF, 0, PINF, MAX)
    TEST_FP_RR_S(fmul.s, rne, CNAN, NV, PZERO, PINF)
    TEST_FP_RR_S(fmul.s, rne, CNAN, NV, NINF, NZERO)
    TEST_FP_RR_S(fmul.s, rne, CNAN, 0, QNAN_NEG, ONE)
    TEST_FP_RR_S(fmul.s, rne, CNAN, NV, SNAN, PZERO)
    TEST_FP_RR_S(fmul.s, rne, NINF, 0, PINF, NEG_ONE)
    TEST_FP_RR_S(fdiv.s, rne, PINF, DZ, ONE, PZERO)
    TEST_FP_RR_S(fdiv.s, rne, NINF, DZ, ONE, NZERO)
    TEST_FP_RR_S(fdiv.s, rne, NINF, DZ, NEG_ONE, PZERO)
    TEST_FP_RR_S(fdiv.s, rne, PINF, DZ, MIN_SUB, PZERO)
    TEST_FP_RR_S(fdiv.s, rne, CNAN, NV, PZERO, PZERO)
    TEST_FP_RR_S(fdiv.s, rne, CNAN, NV, PINF, NINF)
    TEST_FP_RR_S(fdiv.s, rne, PINF, 0, PINF, PZERO)     /* DZ only for finite / 0 */
    TEST_FP_RR_S(fdiv.s, rne, CNAN, 0, QNAN_PAYLOAD, PZERO)
    TEST_FP_RR_S(fdiv.s, rne, NZERO, 0, NEG_ONE, PINF)

    /* ---- signed zeros: x - x is +0 except when rounding down ---- */
    TEST_FP_RR_S(fadd.s, rne, PZERO, 0, PZERO, NZERO)
    TEST_FP_RR_S(fadd.s, rdn, NZERO, 0, PZERO, NZERO)
    TEST_FP_RR_S(fadd.s, rne, NZERO, 0, NZERO, NZERO)
    TEST_FP_RR_S(fsub.s, rne, PZERO, 0, ONE, ONE)
    TEST_FP_RR_S(fsub.s, rtz, PZERO, 0, ONE, ONE)
    TEST_FP_RR_S(fsub.s, rup, PZERO, 0, ONE, ONE)
    TEST_FP_RR_S(fsub.s, rmm, PZERO, 0, ONE, ONE)
    TEST_FP_RR_S(fsub.s, rdn, NZERO, 0, ONE, ONE)
    TEST_FP_RR_S(fmul.s, rne, NZERO, 0, NZERO, ONE)
    TEST_FP_RR_S(fmul.s, rne, PZERO, 0, NZERO, NEG_ONE)

    /* ---- square root ---- */
    TEST_FP_R_S(fsqrt.s, rne, CNAN, NV, NEG_ONE)
    TEST_FP_R_S(fsqrt.s, rne, CNAN, NV, NEG_MIN_SUB)
    TEST_FP_R_S(fsqrt.s, rne, CNAN, NV, NINF)
    TEST_FP_R_S(fsqrt.s, rne, NZERO, 0, NZERO)
    TEST_FP_R_S(fsqrt.s, rne, PINF, 0, PINF)
    TEST_FP_R_S(fsqrt.s, rne, CNAN, 0, QNAN_PAYLOAD)
    TEST_FP_R_S(fsqrt.s, rne, CNAN, NV, SNAN)
    TEST_FP_R_S(fsqrt.s, rne, FOUR, 0, SIXTEEN)

    /* ---- fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber): a NaN
     * operand is ignored, two NaNs give the canonical NaN, a signalling
     * NaN raises NV, and -0 < +0. ---- */
    TEST_FP_RR_NORM_S(fmin.s, ONE, 0, ONE, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_S(fmin.s, ONE, 0, QNAN_NEG, ONE)
    TEST_FP_RR_NORM_S(fmin.s, ONE, NV, ONE, SNAN)
    TEST_FP_RR_NORM_S(fmin.s, NEG_ONE, NV, SNAN_NEG, NEG_ONE)
    TEST_FP_RR_NORM_S(fmin.s, CNAN, 0, QNAN_PAYLOAD, QNAN_NEG)
    TEST_FP_RR_NORM_S(fmin.s, CNAN, NV, SNAN, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_S(fmin.s, NZERO, 0, PZERO, NZERO)
    TEST_FP_RR_NORM_S(fmin.s, NZERO, 0, NZERO, PZERO)
    TEST_FP_RR_NORM_S(fmin.s, NEG_ONE, 0, NEG_ONE, ONE)
    TEST_FP_RR_NORM_S(fmin.s, NINF, 0, PINF, NINF)
    TEST_FP_RR_NORM_S(fmin.s, MIN_SUB, 0, MIN_SUB, MIN_NORMAL)
    TEST_FP_RR_NORM_S(fmax.s, ONE, 0, ONE, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_S(fmax.s, ONE, 0, QNAN_NEG, ONE)
    TEST_FP_RR_NORM_S(fmax.s, ONE, NV, SNAN, ONE)
    TEST_FP_RR_NORM_S(fmax.s, CNAN, NV, SNAN, SNAN_NEG)
    TEST_FP_RR_NORM_S(fmax.s, CNAN, 0, QNAN_NEG, QNAN_NEG)
    TEST_FP_RR_NORM_S(fmax.s, PZERO, 0, NZERO, PZERO)
    TEST_FP_RR_NORM_S(fmax.s, PZERO, 0, PZERO, NZERO)
    TEST_FP_RR_NORM_S(fmax.s, ONE, 0, NEG_ONE, ONE)
    TEST_FP_RR_NORM_S(fmax.s, PINF, 0, NINF, PINF)
    TEST_FP_RR_NORM_S(fmax.s, MIN_SUB, 0, MIN_SUB, NZERO)

    /* ---- comparisons: feq is quiet (NV only for a signalling NaN), flt and
     * fle signal on any NaN; every comparison with a NaN is false ---- */
    TEST_FP_CMP_S(feq.s, 1, 0, ONE, ONE)
    TEST_FP_CMP_S(feq.s, 0, 0, ONE, TWO)
    TEST_FP_CMP_S(feq.s, 1, 0, NZERO, PZERO)
    TEST_FP_CMP_S(feq.s, 1, 0, PINF, PINF)
    TEST_FP_CMP_S(feq.s, 0, 0, QNAN_PAYLOAD, ONE)
    TEST_FP_CMP_S(feq.s, 0, 0, ONE, CNAN)
    TEST_FP_CMP_S(feq.s, 0, 0, CNAN, CNAN)
    TEST_FP_CMP_S(feq.s, 0, NV, SNAN, ONE)
    TEST_FP_CMP_S(feq.s, 0, NV, QNAN_PAYLOAD, SNAN)
    TEST_FP_CMP_S(flt.s, 1, 0, ONE, TWO)
    TEST_FP_CMP_S(flt.s, 0, 0, TWO, ONE)
    TEST_FP_CMP_S(flt.s, 0, 0, ONE, ONE)
    TEST_FP_CMP_S(flt.s, 0, 0, NZERO, PZERO)
    TEST_FP_CMP_S(flt.s, 1, 0, NEG_ONE, NZERO)
    TEST_FP_CMP_S(flt.s, 1, 0, NINF, PINF)
    TEST_FP_CMP_S(flt.s, 1, 0, NEG_MIN_SUB, MIN_SUB)
    TEST_FP_CMP_S(flt.s, 0, NV, CNAN, ONE)
    TEST_FP_CMP_S(flt.s, 0, NV, ONE, QNAN_NEG)
    TEST_FP_CMP_S(flt.s, 0, NV, SNAN, ONE)
    TEST_FP_CMP_S(fle.s, 1, 0, ONE, ONE)
    TEST_FP_CMP_S(fle.s, 1, 0, ONE, TWO)
    TEST_FP_CMP_S(fle.s, 0, 0, TWO, ONE)
    TEST_FP_CMP_S(fle.s, 1, 0, PZERO, NZERO)
    TEST_FP_CMP_S(fle.s, 1, 0, NZERO, PZERO)
    TEST_FP_CMP_S(fle.s, 0, NV, CNAN, CNAN)
    TEST_FP_CMP_S(fle.s, 0, NV, ONE, SNAN_NEG)

    /* ---- fclass: one bit for each of the ten classes ---- */
    TEST_FCLASS_S(1 << 0, NINF)
    TEST_FCLASS_S(1 << 1, NEG_ONE)
    TEST_FCLASS_S(1 << 1, NEG_MAX)
    TEST_FCLASS_S(1 << 2, NEG_MIN_SUB)
    TEST_FCLASS_S(1 << 3, NZERO)
    TEST_FCLASS_S(1 << 4, PZERO)
    TEST_FCLASS_S(1 << 5, MIN_SUB)
    TEST_FCLASS_S(1 << 5, MAX_SUB)
    TEST_FCLASS_S(1 << 6, ONE)
    TEST_FCLASS_S(1 << 6, MIN_NORMAL)
    TEST_FCLASS_S(1 << 7, PINF)
    TEST_FCLASS_S(1 << 8, SNAN)
    TEST_FCLASS_S(1 << 8, SNAN_NEG)
    TEST_FCLASS_S(1 << 9, CNAN)
    TEST_FCLASS_S(1 << 9, QNAN_NEG)

    /* ---- sign injection: pure bit operations, no canonicalisation and no
     * flags even for signalling NaNs ---- */
    TEST_FP_RR_NORM_S(fsgnj.s, NEG_ONE, 0, ONE, NEG_TWO)
    TEST_FP_RR_NORM_S(fsgnj.s, ONE, 0, NEG_ONE, TWO)
    TEST_FP_RR_NORM_S(fsgnj.s, ONE, 0, ONE, ONE)
    TEST_FP_RR_NORM_S(fsgnjn.s, ONE, 0, ONE, NEG_TWO)
    TEST_FP_RR_NORM_S(fsgnjn.s, NEG_ONE, 0, ONE, TWO)
    TEST_FP_RR_NORM_S(fsgnjn.s, ONE, 0, NEG_ONE, NEG_ONE)
    TEST_FP_RR_NORM_S(fsgnjx.s, ONE, 0, NEG_ONE, NEG_TWO)
    TEST_FP_RR_NORM_S(fsgnjx.s, NEG_ONE, 0, ONE, NEG_TWO)
    TEST_FP_RR_NORM_S(fsgnjx.s, NEG_ONE, 0, NEG_ONE, TWO)
    TEST_FP_RR_NORM_S(fsgnjx.s, ONE, 0, ONE, TWO)
    TEST_FP_RR_NORM_S(fsgnj.s, SNAN_NEG_OF_SNAN, 0, SNAN, NEG_ONE)
    TEST_FP_RR_NORM_S(fsgnjn.s, QNAN_PAYLOAD_NEG, 0, QNAN_PAYLOAD, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_S(fsgnjx.s, PINF, 0, NINF, NINF)
    /* The pseudo-instructions built on sign injection. */
    SET_TEST(fabs.s)
    LOAD_S(fa1, SNAN_NEG_OF_SNAN)
    fabs.s fa0, fa1
    CHECK_S(fa0, SNAN)
    SET_TEST(fneg.s)
    LOAD_S(fa1, PZERO)
    fneg.s fa0, fa1
    CHECK_S(fa0, NZERO)
    SET_TEST(fmv.s)
    LOAD_S(fa1, SNAN)
    fmv.s fa0, fa1
    CHECK_S(fa0, SNAN)

    /* ---- fused multiply-add: one rounding, and the definitions
     * fmadd = a*b+c, fmsub = a*b-c, fnmsub = -(a*b)+c, fnmadd = -(a*b)-c ---- */
    TEST_FP_RRR_S(fmadd.s, rne, SEVEN, 0, TWO, THREE, ONE)
    TEST_FP_RRR_S(fmsub.s, rne, FIVE, 0, TWO, THREE, ONE)
    TEST_FP_RRR_S(fnmsub.s, rne, NEG_FIVE, 0, TWO, THREE, ONE)
    TEST_FP_RRR_S(fnmadd.s, rne, NEG_SEVEN, 0, TWO, THREE, ONE)
    /* inf * 0 is invalid even when the addend is a quiet NaN. */
    TEST_FP_RRR_S(fmadd.s, rne, CNAN, NV, PINF, PZERO, QNAN_PAYLOAD)
    TEST_FP_RRR_S(fmadd.s, rne, CNAN, NV, NZERO, NINF, ONE)
    TEST_FP_RRR_S(fmadd.s, rne, CNAN, NV, ONE, PINF, NINF)
    TEST_FP_RRR_S(fmsub.s, rne, CNAN, NV, ONE, PINF, PINF)
    TEST_FP_RRR_S(fmadd.s, rne, CNAN, NV, SNAN, ONE, ONE)
    TEST_FP_RRR_S(fmadd.s, rne, CNAN, NV, ONE, ONE, SNAN)
    TEST_FP_RRR_S(fmadd.s, rne, CNAN, 0, ONE, ONE, QNAN_NEG)
    TEST_FP_RRR_S(fnmadd.s, rne, CNAN, 0, QNAN_PAYLOAD, ONE, ONE)
    TEST_FP_RRR_S(fmadd.s, rne, PINF, 0, PINF, ONE, MAX)
    /* No intermediate overflow: MAX*2 - MAX is exactly MAX. */
    TEST_FP_RRR_S(fmadd.s, rne, MAX, 0, MAX, TWO, NEG_MAX)
    TEST_FP_RRR_S(fmsub.s, rne, MAX, 0, MAX, TWO, MAX)
    /* Signs of exact zero results. */
    TEST_FP_RRR_S(fmadd.s, rne, PZERO, 0, PZERO, ONE, NZERO)
    TEST_FP_RRR_S(fmadd.s, rdn, NZERO, 0, PZERO, ONE, NZERO)
    TEST_FP_RRR_S(fmadd.s, rne, NZERO, 0, NZERO, ONE, NZERO)
    TEST_FP_RRR_S(fnmadd.s, rne, NZERO, 0, PZERO, ONE, PZERO)
    TEST_FP_RRR_S(fnmsub.s, rne, PZERO, 0, PZERO, ONE, PZERO)
    TEST_FP_RRR_S(fmsub.s, rne, PZERO, 0, ONE, ONE, ONE)
    TEST_FP_RRR_S(fmsub.s, rdn, NZERO, 0, ONE, ONE, ONE)
    /* A tiny product below half an ulp of the addend only sets NX. */
    TEST_FP_RRR_S(fmadd.s, rne, ONE, NX, MIN_SUB, MIN_SUB, ONE)
    TEST_FP_RRR_S(fmadd.s, rup, ONE_PLUS_ULP, NX, MIN_SUB, MIN_SUB, ONE)
    TEST_FP_RRR_S(fnmsub.s, rdn, ONE_MINUS_ULP, NX, MIN_SUB, MIN_SUB, ONE)

    /* ---- conversions to integers saturate: NaN and +inf give the
     * largest value, -inf and too negative values the smallest; only NV
     * is raised then (not NX) ---- */
    /* canonical NaN */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x7fc00000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x7fc00000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0x7fc00000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0xffffffffffffffff, NV, 0x7fc00000)
    /* signalling NaN */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x7f800001)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x7f800001)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0x7f800001)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0xffffffffffffffff, NV, 0x7f800001)
    /* negative quiet NaN */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0xffc00000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0xffc00000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0xffc00000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0xffffffffffffffff, NV, 0xffc00000)
    /* +inf */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x7f800000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x7f800000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0x7f800000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0xffffffffffffffff, NV, 0x7f800000)
    /* -inf */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0xffffffff80000000, NV, 0xff800000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, NV, 0xff800000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x8000000000000000, NV, 0xff800000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000000000, NV, 0xff800000)
    /* -0 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x0000000000000000, 0, 0x80000000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, 0, 0x80000000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x0000000000000000, 0, 0x80000000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000000000, 0, 0x80000000)
    /* -1 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0xffffffffffffffff, 0, 0xbf800000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, NV, 0xbf800000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0xffffffffffffffff, 0, 0xbf800000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000000000, NV, 0xbf800000)
    /* -0.75 (truncates to 0) */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x0000000000000000, NX, 0xbf400000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, NX, 0xbf400000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x0000000000000000, NX, 0xbf400000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000000000, NX, 0xbf400000)
    /* largest value below 2^31 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffff80, 0, 0x4effffff)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x000000007fffff80, 0, 0x4effffff)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x000000007fffff80, 0, 0x4effffff)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x000000007fffff80, 0, 0x4effffff)
    /* 2^31 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x4f000000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffff80000000, 0, 0x4f000000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x0000000080000000, 0, 0x4f000000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000080000000, 0, 0x4f000000)
    /* -2^31 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0xffffffff80000000, 0, 0xcf000000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, NV, 0xcf000000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0xffffffff80000000, 0, 0xcf000000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000000000, NV, 0xcf000000)
    /* -2^31 less a bit */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0xffffffff80000000, NV, 0xcf000001)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, NV, 0xcf000001)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0xffffffff7fffff00, 0, 0xcf000001)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000000000, NV, 0xcf000001)
    /* largest value below 2^32 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x4f7fffff)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffff00, 0, 0x4f7fffff)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x00000000ffffff00, 0, 0x4f7fffff)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x00000000ffffff00, 0, 0x4f7fffff)
    /* 2^32 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x4f800000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x4f800000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x0000000100000000, 0, 0x4f800000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000100000000, 0, 0x4f800000)
    /* 3e9 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x4f32d05e)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffb2d05e00, 0, 0x4f32d05e)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x00000000b2d05e00, 0, 0x4f32d05e)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x00000000b2d05e00, 0, 0x4f32d05e)
    /* 2^63 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x5f000000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x5f000000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0x5f000000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x8000000000000000, 0, 0x5f000000)
    /* -2^63 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0xffffffff80000000, NV, 0xdf000000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, NV, 0xdf000000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x8000000000000000, 0, 0xdf000000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000000000, NV, 0xdf000000)
    /* largest value below 2^64 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x5f7fffff)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x5f7fffff)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0x5f7fffff)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0xffffff0000000000, 0, 0x5f7fffff)
    /* 2^64 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x5f800000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x5f800000)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0x5f800000)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0xffffffffffffffff, NV, 0x5f800000)
    /* 1e30 */
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x000000007fffffff, NV, 0x7149f2ca)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0xffffffffffffffff, NV, 0x7149f2ca)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x7fffffffffffffff, NV, 0x7149f2ca)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0xffffffffffffffff, NV, 0x7149f2ca)
    /* integer to FP: W sources use only the low 32 bits of the register */
    TEST_FCVT_S_X(fcvt.s.w, rne, 0xbf800000, 0, 0x12345678ffffffff)
    TEST_FCVT_S_X(fcvt.s.wu, rne, 0x4f800000, NX, 0x12345678ffffffff)
    TEST_FCVT_S_X(fcvt.s.w, rne, 0xcf000000, 0, 0xedcba98780000000)
    TEST_FCVT_S_X(fcvt.s.wu, rne, 0x4f000000, 0, 0x0000000080000000)
    TEST_FCVT_S_X(fcvt.s.l, rne, 0xbf800000, 0, 0xffffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.lu, rne, 0x5f800000, NX, 0xffffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.l, rne, 0x00000000, 0, 0x0000000000000000)
    TEST_FCVT_S_X(fcvt.s.lu, rne, 0x00000000, 0, 0x0000000000000000)
    TEST_FCVT_S_X(fcvt.s.l, rne, 0xdf000000, 0, 0x8000000000000000)
    TEST_FCVT_S_X(fcvt.s.lu, rne, 0x5f000000, 0, 0x8000000000000000)
    TEST_FCVT_S_X(fcvt.s.w, rne, 0x40e00000, 0, 0x0000000000000007)
    TEST_FCVT_S_X(fcvt.s.l, rne, 0xc0e00000, 0, 0xfffffffffffffff9)

    /* ---- moves, loads and stores: raw bits, no flags ---- */
    SET_TEST(fmv.w.x boxes)
    li a1, 0x123456787f800001      /* fmv.w.x uses the low 32 bits */
    CLEAR_FLAGS
    fmv.w.x fa0, a1
    fmv.x.d a0, fa0
    CHECK(a0, 0xffffffff7f800001)
    CHECK_FLAGS(0)
    TEST_CASE(fmv.x.w sign-extends, a0, 0xffffffffbf800000,
        LOAD_S(fa1, 0xbf800000); fmv.x.w a0, fa1)
    TEST_CASE(fmv.x.w positive, a0, 0x3f800000,
        LOAD_S(fa1, 0x3f800000); fmv.x.w a0, fa1)
    TEST_CASE(fmv.x.w signalling NaN, a0, 0xffffffffff800055,
        LOAD_S(fa1, 0xff800055); fmv.x.w a0, fa1)
    SET_TEST(flw boxes and keeps signalling NaNs)
    la a1, fp_data
    CLEAR_FLAGS
    flw fa0, 0(a1)
    fmv.x.d a0, fa0
    CHECK(a0, 0xffffffff7fa00abc)
    CHECK_FLAGS(0)
    SET_TEST(fsw)
    la a1, fp_data
    flw fa0, 4(a1)
    fsw fa0, 12(a1)
    ld a0, 8(a1)
    CHECK(a0, 0x80000001aaaaaaaa)
    SET_TEST(flw/fsw negative offset)
    la a1, fp_data + 16
    flw fa0, -16(a1)
    fsw fa0, -4(a1)
    lwu a0, -4(a1)
    CHECK(a0, 0x7fa00abc)

    /* ---- NaN boxing: a register whose upper 32 bits are not all ones
     * holds no valid single; instructions read it as the canonical NaN.
     * fmv.x.w and fsw move the low 32 bits untouched. ---- */
#define UNBOXED_ONE   0x000000003f800000
#define UNBOXED_MOST  0xfffffffe3f800000
    TEST_CASE(fmv.x.w of an unboxed value, a0, 0x3f800000,
        LOAD_D(fa1, UNBOXED_ONE); fmv.x.w a0, fa1)
    TEST_CASE(fmv.x.w of an unboxed negative value, a0, 0xffffffff80000001,
        LOAD_D(fa1, 0x0123456780000001); fmv.x.w a0, fa1)
    SET_TEST(fsw of an unboxed value)
    la a1, fp_data
    LOAD_D(fa1, 0x1234567800000001)
    fsw fa1, 16(a1)
    lwu a0, 16(a1)
    CHECK(a0, 1)
    SET_TEST(fadd.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    LOAD_S(fa2, ONE)
    CLEAR_FLAGS
    fadd.s fa0, fa1, fa2
    CHECK_FLAGS(0)
    CHECK_S(fa0, CNAN)
    SET_TEST(fadd.s of a nearly boxed value)
    LOAD_D(fa1, UNBOXED_MOST)
    LOAD_S(fa2, ONE)
    CLEAR_FLAGS
    fadd.s fa0, fa2, fa1
    CHECK_FLAGS(0)
    CHECK_S(fa0, CNAN)
    SET_TEST(fsgnj.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    LOAD_S(fa2, NEG_ONE)
    fsgnj.s fa0, fa1, fa2
    CHECK_S(fa0, 0xffc00000)
    SET_TEST(fsgnj.s with an unboxed sign source)
    LOAD_S(fa1, ONE)
    LOAD_D(fa2, 0x00000000bf800000)   /* reads as +canonical NaN: sign 0 */
    fsgnj.s fa0, fa1, fa2
    CHECK_S(fa0, ONE)
    SET_TEST(fmv.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    fmv.s fa0, fa1
    CHECK_S(fa0, CNAN)
    SET_TEST(fclass.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    fclass.s a0, fa1
    CHECK(a0, 1 << 9)
    SET_TEST(feq.s of unboxed values)
    LOAD_D(fa1, UNBOXED_ONE)
    CLEAR_FLAGS
    feq.s a0, fa1, fa1
    CHECK_FLAGS(0)
    CHECK(a0, 0)
    SET_TEST(flt.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    LOAD_S(fa2, TWO)
    CLEAR_FLAGS
    flt.s a0, fa1, fa2
    CHECK_FLAGS(NV)
    CHECK(a0, 0)
    SET_TEST(fmin.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    LOAD_S(fa2, TWO)
    CLEAR_FLAGS
    fmin.s fa0, fa1, fa2
    CHECK_FLAGS(0)
    CHECK_S(fa0, TWO)
    SET_TEST(fcvt.d.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    CLEAR_FLAGS
    fcvt.d.s fa0, fa1
    CHECK_FLAGS(0)
    CHECK_D(fa0, 0x7ff8000000000000)
    SET_TEST(fcvt.w.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    CLEAR_FLAGS
    fcvt.w.s a0, fa1, rtz
    CHECK_FLAGS(NV)
    CHECK(a0, 0x7fffffff)
    SET_TEST(fsqrt.s of an unboxed value)
    LOAD_D(fa1, UNBOXED_ONE)
    CLEAR_FLAGS
    fsqrt.s fa0, fa1
    CHECK_FLAGS(0)
    CHECK_S(fa0, CNAN)
    SET_TEST(fmadd.s with an unboxed addend)
    LOAD_S(fa1, ONE)
    LOAD_D(fa3, UNBOXED_ONE)
    CLEAR_FLAGS
    fmadd.s fa0, fa1, fa1, fa3
    CHECK_FLAGS(0)
    CHECK_S(fa0, CNAN)
    /* Writing a single result into a register that held a double boxes it. */
    SET_TEST(single result boxes over a double)
    LOAD_D(fa0, 0x400921fb54442d18)
    LOAD_S(fa1, ONE)
    fadd.s fa0, fa1, fa1
    CHECK_S(fa0, TWO)

    /* ---- each inexact operation in all five static rounding modes.
     * frm is set to RUP first: a static mode must override it. ---- */
    SET_FRM(RUP)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_S(fadd.s, rne, 0x3f800000, NX, 0x3f800000, 0x33800000)
    TEST_FP_RR_S(fadd.s, rtz, 0x3f800000, NX, 0x3f800000, 0x33800000)
    TEST_FP_RR_S(fadd.s, rdn, 0x3f800000, NX, 0x3f800000, 0x33800000)
    TEST_FP_RR_S(fadd.s, rup, 0x3f800001, NX, 0x3f800000, 0x33800000)
    TEST_FP_RR_S(fadd.s, rmm, 0x3f800001, NX, 0x3f800000, 0x33800000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_S(fadd.s, rne, 0xbf800000, NX, 0xbf800000, 0xb3800000)
    TEST_FP_RR_S(fadd.s, rtz, 0xbf800000, NX, 0xbf800000, 0xb3800000)
    TEST_FP_RR_S(fadd.s, rdn, 0xbf800001, NX, 0xbf800000, 0xb3800000)
    TEST_FP_RR_S(fadd.s, rup, 0xbf800000, NX, 0xbf800000, 0xb3800000)
    TEST_FP_RR_S(fadd.s, rmm, 0xbf800001, NX, 0xbf800000, 0xb3800000)
    /* 1 + 3/4 ulp */
    TEST_FP_RR_S(fadd.s, rne, 0x3f800001, NX, 0x3f800000, 0x33c00000)
    TEST_FP_RR_S(fadd.s, rtz, 0x3f800000, NX, 0x3f800000, 0x33c00000)
    TEST_FP_RR_S(fadd.s, rdn, 0x3f800000, NX, 0x3f800000, 0x33c00000)
    TEST_FP_RR_S(fadd.s, rup, 0x3f800001, NX, 0x3f800000, 0x33c00000)
    TEST_FP_RR_S(fadd.s, rmm, 0x3f800001, NX, 0x3f800000, 0x33c00000)
    /* 1 + 1/4 ulp */
    TEST_FP_RR_S(fadd.s, rne, 0x3f800000, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fadd.s, rtz, 0x3f800000, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fadd.s, rdn, 0x3f800000, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fadd.s, rup, 0x3f800001, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fadd.s, rmm, 0x3f800000, NX, 0x3f800000, 0x33000000)
    /* 1 - 1/4 ulp(1) */
    TEST_FP_RR_S(fsub.s, rne, 0x3f800000, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fsub.s, rtz, 0x3f7fffff, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fsub.s, rdn, 0x3f7fffff, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fsub.s, rup, 0x3f800000, NX, 0x3f800000, 0x33000000)
    TEST_FP_RR_S(fsub.s, rmm, 0x3f800000, NX, 0x3f800000, 0x33000000)
    /* (1+ulp)^2 */
    TEST_FP_RR_S(fmul.s, rne, 0x3f800002, NX, 0x3f800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rtz, 0x3f800002, NX, 0x3f800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rdn, 0x3f800002, NX, 0x3f800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rup, 0x3f800003, NX, 0x3f800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rmm, 0x3f800002, NX, 0x3f800001, 0x3f800001)
    /* -(1+ulp)^2 */
    TEST_FP_RR_S(fmul.s, rne, 0xbf800002, NX, 0xbf800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rtz, 0xbf800002, NX, 0xbf800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rdn, 0xbf800003, NX, 0xbf800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rup, 0xbf800002, NX, 0xbf800001, 0x3f800001)
    TEST_FP_RR_S(fmul.s, rmm, 0xbf800002, NX, 0xbf800001, 0x3f800001)
    /* 1/3 */
    TEST_FP_RR_S(fdiv.s, rne, 0x3eaaaaab, NX, 0x3f800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rtz, 0x3eaaaaaa, NX, 0x3f800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rdn, 0x3eaaaaaa, NX, 0x3f800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rup, 0x3eaaaaab, NX, 0x3f800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rmm, 0x3eaaaaab, NX, 0x3f800000, 0x40400000)
    /* -2/3 */
    TEST_FP_RR_S(fdiv.s, rne, 0xbf2aaaab, NX, 0xc0000000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rtz, 0xbf2aaaaa, NX, 0xc0000000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rdn, 0xbf2aaaab, NX, 0xc0000000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rup, 0xbf2aaaaa, NX, 0xc0000000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rmm, 0xbf2aaaab, NX, 0xc0000000, 0x40400000)
    /* sqrt(2) */
    TEST_FP_R_S(fsqrt.s, rne, 0x3fb504f3, NX, 0x40000000)
    TEST_FP_R_S(fsqrt.s, rtz, 0x3fb504f3, NX, 0x40000000)
    TEST_FP_R_S(fsqrt.s, rdn, 0x3fb504f3, NX, 0x40000000)
    TEST_FP_R_S(fsqrt.s, rup, 0x3fb504f4, NX, 0x40000000)
    TEST_FP_R_S(fsqrt.s, rmm, 0x3fb504f3, NX, 0x40000000)
    /* sqrt(3) */
    TEST_FP_R_S(fsqrt.s, rne, 0x3fddb3d7, NX, 0x40400000)
    TEST_FP_R_S(fsqrt.s, rtz, 0x3fddb3d7, NX, 0x40400000)
    TEST_FP_R_S(fsqrt.s, rdn, 0x3fddb3d7, NX, 0x40400000)
    TEST_FP_R_S(fsqrt.s, rup, 0x3fddb3d8, NX, 0x40400000)
    TEST_FP_R_S(fsqrt.s, rmm, 0x3fddb3d7, NX, 0x40400000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_S(fmadd.s, rne, 0x34800000, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    TEST_FP_RRR_S(fmadd.s, rtz, 0x34800000, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    TEST_FP_RRR_S(fmadd.s, rdn, 0x34800000, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    TEST_FP_RRR_S(fmadd.s, rup, 0x34800001, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    TEST_FP_RRR_S(fmadd.s, rmm, 0x34800001, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    /* (1+ulp)(1-ulp) - 1 = -ulp^2, exact */
    TEST_FP_RRR_S(fmsub.s, rne, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, 0x3f800000)
    TEST_FP_RRR_S(fmsub.s, rtz, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, 0x3f800000)
    TEST_FP_RRR_S(fmsub.s, rdn, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, 0x3f800000)
    TEST_FP_RRR_S(fmsub.s, rup, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, 0x3f800000)
    TEST_FP_RRR_S(fmsub.s, rmm, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, 0x3f800000)
    /* -((1+ulp)^2) - 1 */
    TEST_FP_RRR_S(fnmadd.s, rne, 0xc0000001, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmadd.s, rtz, 0xc0000001, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmadd.s, rdn, 0xc0000002, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmadd.s, rup, 0xc0000001, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmadd.s, rmm, 0xc0000001, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    /* -((1+ulp)^2) + 1 */
    TEST_FP_RRR_S(fnmsub.s, rne, 0xb4800000, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmsub.s, rtz, 0xb4800000, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmsub.s, rdn, 0xb4800001, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmsub.s, rup, 0xb4800000, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    TEST_FP_RRR_S(fnmsub.s, rmm, 0xb4800001, NX, 0x3f800001, 0x3f800001, 0x3f800000)
    /* MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, rne, 0x7f800000, OF|NX, 0x7f7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rtz, 0x7f7fffff, OF|NX, 0x7f7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rdn, 0x7f7fffff, OF|NX, 0x7f7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rup, 0x7f800000, OF|NX, 0x7f7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rmm, 0x7f800000, OF|NX, 0x7f7fffff, 0x40000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, rne, 0xff800000, OF|NX, 0xff7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rtz, 0xff7fffff, OF|NX, 0xff7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rdn, 0xff800000, OF|NX, 0xff7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rup, 0xff7fffff, OF|NX, 0xff7fffff, 0x40000000)
    TEST_FP_RR_S(fmul.s, rmm, 0xff800000, OF|NX, 0xff7fffff, 0x40000000)
    /* MAX + half an ulp of MAX: overflows only when rounding up */
    TEST_FP_RR_S(fadd.s, rne, 0x7f800000, OF|NX, 0x7f7fffff, 0x737fffff)
    TEST_FP_RR_S(fadd.s, rtz, 0x7f7fffff, NX, 0x7f7fffff, 0x737fffff)
    TEST_FP_RR_S(fadd.s, rdn, 0x7f7fffff, NX, 0x7f7fffff, 0x737fffff)
    TEST_FP_RR_S(fadd.s, rup, 0x7f800000, OF|NX, 0x7f7fffff, 0x737fffff)
    TEST_FP_RR_S(fadd.s, rmm, 0x7f800000, OF|NX, 0x7f7fffff, 0x737fffff)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_S(fmul.s, rne, 0x00000000, UF|NX, 0x00000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rtz, 0x00000000, UF|NX, 0x00000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rdn, 0x00000000, UF|NX, 0x00000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rup, 0x00000001, UF|NX, 0x00000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rmm, 0x00000001, UF|NX, 0x00000001, 0x3f000000)
    /* -min subnormal / 2 */
    TEST_FP_RR_S(fmul.s, rne, 0x80000000, UF|NX, 0x80000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rtz, 0x80000000, UF|NX, 0x80000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rdn, 0x80000001, UF|NX, 0x80000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rup, 0x80000000, UF|NX, 0x80000001, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rmm, 0x80000001, UF|NX, 0x80000001, 0x3f000000)
    /* 1.5 min subnormals: a tie */
    TEST_FP_RR_S(fmul.s, rne, 0x00000002, UF|NX, 0x00000003, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rtz, 0x00000001, UF|NX, 0x00000003, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rdn, 0x00000001, UF|NX, 0x00000003, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rup, 0x00000002, UF|NX, 0x00000003, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rmm, 0x00000002, UF|NX, 0x00000003, 0x3f000000)
    /* min normal / 3: inexact subnormal */
    TEST_FP_RR_S(fdiv.s, rne, 0x002aaaab, UF|NX, 0x00800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rtz, 0x002aaaaa, UF|NX, 0x00800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rdn, 0x002aaaaa, UF|NX, 0x00800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rup, 0x002aaaab, UF|NX, 0x00800000, 0x40400000)
    TEST_FP_RR_S(fdiv.s, rmm, 0x002aaaab, UF|NX, 0x00800000, 0x40400000)
    /* min normal / 2: exact subnormal, no flags */
    TEST_FP_RR_S(fmul.s, rne, 0x00400000, 0, 0x00800000, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rtz, 0x00400000, 0, 0x00800000, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rdn, 0x00400000, 0, 0x00800000, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rup, 0x00400000, 0, 0x00800000, 0x3f000000)
    TEST_FP_RR_S(fmul.s, rmm, 0x00400000, 0, 0x00800000, 0x3f000000)
    /* (1-2^-13)(1+2^-13) min normal: rounds up to min normal, not tiny after rounding */
    TEST_FP_RR_S(fmul.s, rne, 0x00800000, NX, 0x3f7ff800, 0x00800400)
    TEST_FP_RR_S(fmul.s, rtz, 0x007fffff, UF|NX, 0x3f7ff800, 0x00800400)
    TEST_FP_RR_S(fmul.s, rdn, 0x007fffff, UF|NX, 0x3f7ff800, 0x00800400)
    TEST_FP_RR_S(fmul.s, rup, 0x00800000, NX, 0x3f7ff800, 0x00800400)
    TEST_FP_RR_S(fmul.s, rmm, 0x00800000, NX, 0x3f7ff800, 0x00800400)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_S(fcvt.w.s, rne, 0x0000000000000002, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x0000000000000002, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.w.s, rdn, 0x0000000000000002, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.w.s, rup, 0x0000000000000003, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.w.s, rmm, 0x0000000000000003, NX, 0x40200000)
    /* -2.5 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, rne, 0xfffffffffffffffe, NX, 0xc0200000)
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0xfffffffffffffffe, NX, 0xc0200000)
    TEST_FCVT_X_S(fcvt.w.s, rdn, 0xfffffffffffffffd, NX, 0xc0200000)
    TEST_FCVT_X_S(fcvt.w.s, rup, 0xfffffffffffffffe, NX, 0xc0200000)
    TEST_FCVT_X_S(fcvt.w.s, rmm, 0xfffffffffffffffd, NX, 0xc0200000)
    /* 0.5 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, rne, 0x0000000000000000, NX, 0x3f000000)
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x0000000000000000, NX, 0x3f000000)
    TEST_FCVT_X_S(fcvt.w.s, rdn, 0x0000000000000000, NX, 0x3f000000)
    TEST_FCVT_X_S(fcvt.w.s, rup, 0x0000000000000001, NX, 0x3f000000)
    TEST_FCVT_X_S(fcvt.w.s, rmm, 0x0000000000000001, NX, 0x3f000000)
    /* -0.75 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, rne, 0xffffffffffffffff, NX, 0xbf400000)
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x0000000000000000, NX, 0xbf400000)
    TEST_FCVT_X_S(fcvt.w.s, rdn, 0xffffffffffffffff, NX, 0xbf400000)
    TEST_FCVT_X_S(fcvt.w.s, rup, 0x0000000000000000, NX, 0xbf400000)
    TEST_FCVT_X_S(fcvt.w.s, rmm, 0xffffffffffffffff, NX, 0xbf400000)
    /* 2.5 to uint32 */
    TEST_FCVT_X_S(fcvt.wu.s, rne, 0x0000000000000002, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000002, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.wu.s, rdn, 0x0000000000000002, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.wu.s, rup, 0x0000000000000003, NX, 0x40200000)
    TEST_FCVT_X_S(fcvt.wu.s, rmm, 0x0000000000000003, NX, 0x40200000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_S(fcvt.wu.s, rne, 0x0000000000000000, NX, 0xbf000000)
    TEST_FCVT_X_S(fcvt.wu.s, rtz, 0x0000000000000000, NX, 0xbf000000)
    TEST_FCVT_X_S(fcvt.wu.s, rdn, 0x0000000000000000, NV, 0xbf000000)
    TEST_FCVT_X_S(fcvt.wu.s, rup, 0x0000000000000000, NX, 0xbf000000)
    TEST_FCVT_X_S(fcvt.wu.s, rmm, 0x0000000000000000, NV, 0xbf000000)
    /* 2^22 + 0.5 to int64: a tie */
    TEST_FCVT_X_S(fcvt.l.s, rne, 0x0000000000400000, NX, 0x4a800001)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0x0000000000400000, NX, 0x4a800001)
    TEST_FCVT_X_S(fcvt.l.s, rdn, 0x0000000000400000, NX, 0x4a800001)
    TEST_FCVT_X_S(fcvt.l.s, rup, 0x0000000000400001, NX, 0x4a800001)
    TEST_FCVT_X_S(fcvt.l.s, rmm, 0x0000000000400001, NX, 0x4a800001)
    /* -(2^22 + 1.5) to int64 */
    TEST_FCVT_X_S(fcvt.l.s, rne, 0xffffffffffbffffe, NX, 0xca800003)
    TEST_FCVT_X_S(fcvt.l.s, rtz, 0xffffffffffbfffff, NX, 0xca800003)
    TEST_FCVT_X_S(fcvt.l.s, rdn, 0xffffffffffbffffe, NX, 0xca800003)
    TEST_FCVT_X_S(fcvt.l.s, rup, 0xffffffffffbfffff, NX, 0xca800003)
    TEST_FCVT_X_S(fcvt.l.s, rmm, 0xffffffffffbffffe, NX, 0xca800003)
    /* 2^22 + 1.5 to uint64 */
    TEST_FCVT_X_S(fcvt.lu.s, rne, 0x0000000000400002, NX, 0x4a800003)
    TEST_FCVT_X_S(fcvt.lu.s, rtz, 0x0000000000400001, NX, 0x4a800003)
    TEST_FCVT_X_S(fcvt.lu.s, rdn, 0x0000000000400001, NX, 0x4a800003)
    TEST_FCVT_X_S(fcvt.lu.s, rup, 0x0000000000400002, NX, 0x4a800003)
    TEST_FCVT_X_S(fcvt.lu.s, rmm, 0x0000000000400002, NX, 0x4a800003)
    /* largest half-integer below 2^31 (or 3.5) */
    TEST_FCVT_X_S(fcvt.w.s, rne, 0x0000000000000004, NX, 0x40600000)
    TEST_FCVT_X_S(fcvt.w.s, rtz, 0x0000000000000003, NX, 0x40600000)
    TEST_FCVT_X_S(fcvt.w.s, rdn, 0x0000000000000003, NX, 0x40600000)
    TEST_FCVT_X_S(fcvt.w.s, rup, 0x0000000000000004, NX, 0x40600000)
    TEST_FCVT_X_S(fcvt.w.s, rmm, 0x0000000000000004, NX, 0x40600000)
    /* 2^24+1 to single: a tie */
    TEST_FCVT_S_X(fcvt.s.w, rne, 0x4b800000, NX, 0x0000000001000001)
    TEST_FCVT_S_X(fcvt.s.w, rtz, 0x4b800000, NX, 0x0000000001000001)
    TEST_FCVT_S_X(fcvt.s.w, rdn, 0x4b800000, NX, 0x0000000001000001)
    TEST_FCVT_S_X(fcvt.s.w, rup, 0x4b800001, NX, 0x0000000001000001)
    TEST_FCVT_S_X(fcvt.s.w, rmm, 0x4b800001, NX, 0x0000000001000001)
    /* -(2^24+3) to single: a tie */
    TEST_FCVT_S_X(fcvt.s.w, rne, 0xcb800002, NX, 0xfffffffffefffffd)
    TEST_FCVT_S_X(fcvt.s.w, rtz, 0xcb800001, NX, 0xfffffffffefffffd)
    TEST_FCVT_S_X(fcvt.s.w, rdn, 0xcb800002, NX, 0xfffffffffefffffd)
    TEST_FCVT_S_X(fcvt.s.w, rup, 0xcb800001, NX, 0xfffffffffefffffd)
    TEST_FCVT_S_X(fcvt.s.w, rmm, 0xcb800002, NX, 0xfffffffffefffffd)
    /* 2^32-1 to single */
    TEST_FCVT_S_X(fcvt.s.wu, rne, 0x4f800000, NX, 0x00000000ffffffff)
    TEST_FCVT_S_X(fcvt.s.wu, rtz, 0x4f7fffff, NX, 0x00000000ffffffff)
    TEST_FCVT_S_X(fcvt.s.wu, rdn, 0x4f7fffff, NX, 0x00000000ffffffff)
    TEST_FCVT_S_X(fcvt.s.wu, rup, 0x4f800000, NX, 0x00000000ffffffff)
    TEST_FCVT_S_X(fcvt.s.wu, rmm, 0x4f800000, NX, 0x00000000ffffffff)
    /* 2^63-1 to single */
    TEST_FCVT_S_X(fcvt.s.l, rne, 0x5f000000, NX, 0x7fffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.l, rtz, 0x5effffff, NX, 0x7fffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.l, rdn, 0x5effffff, NX, 0x7fffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.l, rup, 0x5f000000, NX, 0x7fffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.l, rmm, 0x5f000000, NX, 0x7fffffffffffffff)
    /* 2^64-1 to single */
    TEST_FCVT_S_X(fcvt.s.lu, rne, 0x5f800000, NX, 0xffffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.lu, rtz, 0x5f7fffff, NX, 0xffffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.lu, rdn, 0x5f7fffff, NX, 0xffffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.lu, rup, 0x5f800000, NX, 0xffffffffffffffff)
    TEST_FCVT_S_X(fcvt.s.lu, rmm, 0x5f800000, NX, 0xffffffffffffffff)
    /* -(2^40+2^16+1) to single */
    TEST_FCVT_S_X(fcvt.s.l, rne, 0xd3800001, NX, 0xfffffefffffeffff)
    TEST_FCVT_S_X(fcvt.s.l, rtz, 0xd3800000, NX, 0xfffffefffffeffff)
    TEST_FCVT_S_X(fcvt.s.l, rdn, 0xd3800001, NX, 0xfffffefffffeffff)
    TEST_FCVT_S_X(fcvt.s.l, rup, 0xd3800000, NX, 0xfffffefffffeffff)
    TEST_FCVT_S_X(fcvt.s.l, rmm, 0xd3800001, NX, 0xfffffefffffeffff)

    /* ---- the same operations with dyn, taking the mode from frm ---- */
    SET_FRM(RNE)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_S(fadd.s, dyn, 0x3f800000, NX, 0x3f800000, 0x33800000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_S(fadd.s, dyn, 0xbf800000, NX, 0xbf800000, 0xb3800000)
    /* 1/3 */
    TEST_FP_RR_S(fdiv.s, dyn, 0x3eaaaaab, NX, 0x3f800000, 0x40400000)
    /* sqrt(2) */
    TEST_FP_R_S(fsqrt.s, dyn, 0x3fb504f3, NX, 0x40000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_S(fmadd.s, dyn, 0x34800000, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    /* MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0x7f800000, OF|NX, 0x7f7fffff, 0x40000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0xff800000, OF|NX, 0xff7fffff, 0x40000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_S(fmul.s, dyn, 0x00000000, UF|NX, 0x00000001, 0x3f000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0x0000000000000002, NX, 0x40200000)
    /* -2.5 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0xfffffffffffffffe, NX, 0xc0200000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_S(fcvt.wu.s, dyn, 0x0000000000000000, NX, 0xbf000000)
    /* 2^24+1 to single: a tie */
    TEST_FCVT_S_X(fcvt.s.w, dyn, 0x4b800000, NX, 0x0000000001000001)
    /* 2^32-1 to single */
    TEST_FCVT_S_X(fcvt.s.wu, dyn, 0x4f800000, NX, 0x00000000ffffffff)
    SET_FRM(RTZ)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_S(fadd.s, dyn, 0x3f800000, NX, 0x3f800000, 0x33800000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_S(fadd.s, dyn, 0xbf800000, NX, 0xbf800000, 0xb3800000)
    /* 1/3 */
    TEST_FP_RR_S(fdiv.s, dyn, 0x3eaaaaaa, NX, 0x3f800000, 0x40400000)
    /* sqrt(2) */
    TEST_FP_R_S(fsqrt.s, dyn, 0x3fb504f3, NX, 0x40000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_S(fmadd.s, dyn, 0x34800000, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    /* MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0x7f7fffff, OF|NX, 0x7f7fffff, 0x40000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0xff7fffff, OF|NX, 0xff7fffff, 0x40000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_S(fmul.s, dyn, 0x00000000, UF|NX, 0x00000001, 0x3f000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0x0000000000000002, NX, 0x40200000)
    /* -2.5 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0xfffffffffffffffe, NX, 0xc0200000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_S(fcvt.wu.s, dyn, 0x0000000000000000, NX, 0xbf000000)
    /* 2^24+1 to single: a tie */
    TEST_FCVT_S_X(fcvt.s.w, dyn, 0x4b800000, NX, 0x0000000001000001)
    /* 2^32-1 to single */
    TEST_FCVT_S_X(fcvt.s.wu, dyn, 0x4f7fffff, NX, 0x00000000ffffffff)
    SET_FRM(RDN)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_S(fadd.s, dyn, 0x3f800000, NX, 0x3f800000, 0x33800000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_S(fadd.s, dyn, 0xbf800001, NX, 0xbf800000, 0xb3800000)
    /* 1/3 */
    TEST_FP_RR_S(fdiv.s, dyn, 0x3eaaaaaa, NX, 0x3f800000, 0x40400000)
    /* sqrt(2) */
    TEST_FP_R_S(fsqrt.s, dyn, 0x3fb504f3, NX, 0x40000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_S(fmadd.s, dyn, 0x34800000, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    /* MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0x7f7fffff, OF|NX, 0x7f7fffff, 0x40000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0xff800000, OF|NX, 0xff7fffff, 0x40000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_S(fmul.s, dyn, 0x00000000, UF|NX, 0x00000001, 0x3f000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0x0000000000000002, NX, 0x40200000)
    /* -2.5 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0xfffffffffffffffd, NX, 0xc0200000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_S(fcvt.wu.s, dyn, 0x0000000000000000, NV, 0xbf000000)
    /* 2^24+1 to single: a tie */
    TEST_FCVT_S_X(fcvt.s.w, dyn, 0x4b800000, NX, 0x0000000001000001)
    /* 2^32-1 to single */
    TEST_FCVT_S_X(fcvt.s.wu, dyn, 0x4f7fffff, NX, 0x00000000ffffffff)
    SET_FRM(RUP)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_S(fadd.s, dyn, 0x3f800001, NX, 0x3f800000, 0x33800000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_S(fadd.s, dyn, 0xbf800000, NX, 0xbf800000, 0xb3800000)
    /* 1/3 */
    TEST_FP_RR_S(fdiv.s, dyn, 0x3eaaaaab, NX, 0x3f800000, 0x40400000)
    /* sqrt(2) */
    TEST_FP_R_S(fsqrt.s, dyn, 0x3fb504f4, NX, 0x40000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_S(fmadd.s, dyn, 0x34800001, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    /* MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0x7f800000, OF|NX, 0x7f7fffff, 0x40000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0xff7fffff, OF|NX, 0xff7fffff, 0x40000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_S(fmul.s, dyn, 0x00000001, UF|NX, 0x00000001, 0x3f000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0x0000000000000003, NX, 0x40200000)
    /* -2.5 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0xfffffffffffffffe, NX, 0xc0200000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_S(fcvt.wu.s, dyn, 0x0000000000000000, NX, 0xbf000000)
    /* 2^24+1 to single: a tie */
    TEST_FCVT_S_X(fcvt.s.w, dyn, 0x4b800001, NX, 0x0000000001000001)
    /* 2^32-1 to single */
    TEST_FCVT_S_X(fcvt.s.wu, dyn, 0x4f800000, NX, 0x00000000ffffffff)
    SET_FRM(RMM)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_S(fadd.s, dyn, 0x3f800001, NX, 0x3f800000, 0x33800000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_S(fadd.s, dyn, 0xbf800001, NX, 0xbf800000, 0xb3800000)
    /* 1/3 */
    TEST_FP_RR_S(fdiv.s, dyn, 0x3eaaaaab, NX, 0x3f800000, 0x40400000)
    /* sqrt(2) */
    TEST_FP_R_S(fsqrt.s, dyn, 0x3fb504f3, NX, 0x40000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_S(fmadd.s, dyn, 0x34800001, NX, 0x3f800001, 0x3f800001, 0xbf800000)
    /* MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0x7f800000, OF|NX, 0x7f7fffff, 0x40000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_S(fmul.s, dyn, 0xff800000, OF|NX, 0xff7fffff, 0x40000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_S(fmul.s, dyn, 0x00000001, UF|NX, 0x00000001, 0x3f000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0x0000000000000003, NX, 0x40200000)
    /* -2.5 to int32 */
    TEST_FCVT_X_S(fcvt.w.s, dyn, 0xfffffffffffffffd, NX, 0xc0200000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_S(fcvt.wu.s, dyn, 0x0000000000000000, NV, 0xbf000000)
    /* 2^24+1 to single: a tie */
    TEST_FCVT_S_X(fcvt.s.w, dyn, 0x4b800001, NX, 0x0000000001000001)
    /* 2^32-1 to single */
    TEST_FCVT_S_X(fcvt.s.wu, dyn, 0x4f800000, NX, 0x00000000ffffffff)
    SET_FRM(RNE)

    TEST_PASS

    .data
    .balign 8
fp_data:
    .word 0x7fa00abc, 0x80000001, 0xaaaaaaaa, 0x55555555, 0, 0
