/*
 * rv64d: every D-extension instruction, with the floating-point corner
 * cases the specification pins down: rounding in all five modes, static
 * and dynamic; exact accrued flags after every operation; canonical NaNs;
 * fmin/fmax with NaNs and signed zeros; quiet and signalling comparisons;
 * all ten fclass classes; saturating conversions; fused multiply-add
 * without intermediate rounding.
 *
 * Operands and results are bit patterns; the expected values were derived
 * from exact rational arithmetic and the specification's rules
 * (tininess is detected after rounding; NaN results are canonical).
 */
#include "test.h"
TEST_FILE(rv64d)

/* double-precision constants */
#define ONE                0x3ff0000000000000
#define TWO                0x4000000000000000
#define THREE              0x4008000000000000
#define FOUR               0x4010000000000000
#define FIVE               0x4014000000000000
#define SEVEN              0x401c000000000000
#define SIXTEEN            0x4030000000000000
#define HALF               0x3fe0000000000000
#define NEG_ONE            0xbff0000000000000
#define NEG_TWO            0xc000000000000000
#define PZERO              0x0000000000000000
#define NZERO              0x8000000000000000
#define PINF               0x7ff0000000000000
#define NINF               0xfff0000000000000
#define CNAN               0x7ff8000000000000
#define QNAN_PAYLOAD       0x7ff8000000000123
#define QNAN_NEG           0xfff8000000000000
#define SNAN               0x7ff0000000000001
#define SNAN_NEG           0xfff0000000000055
#define MAX                0x7fefffffffffffff
#define NEG_MAX            0xffefffffffffffff
#define MIN_NORMAL         0x0010000000000000
#define NEG_MIN_NORMAL     0x8010000000000000
#define MIN_SUB            0x0000000000000001
#define NEG_MIN_SUB        0x8000000000000001
#define MAX_SUB            0x000fffffffffffff
#define NEG_FIVE           0xc014000000000000
#define NEG_SEVEN          0xc01c000000000000
#define SNAN_NEG_OF_SNAN   0xfff0000000000001
#define QNAN_PAYLOAD_NEG   0xfff8000000000123
#define ONE_PLUS_ULP       0x3ff0000000000001
#define ONE_MINUS_ULP      0x3fefffffffffffff

    /* ---- NaN and infinity handling: every NaN result is the canonical
     * NaN (payloads and signs are not propagated); only a signalling NaN
     * input, or an invalid operation, raises NV. ---- */
    TEST_FP_RR_D(fadd.d, rne, CNAN, 0, QNAN_PAYLOAD, ONE)
    TEST_FP_RR_D(fadd.d, rne, CNAN, 0, ONE, QNAN_NEG)
    TEST_FP_RR_D(fadd.d, rne, CNAN, NV, SNAN, ONE)
    TEST_FP_RR_D(fadd.d, rne, CNAN, NV, ONE, SNAN_NEG)
    TEST_FP_RR_D(fadd.d, rne, CNAN, NV, PINF, NINF)
    TEST_FP_RR_D(fsub.d, rne, CNAN, NV, PINF, PINF)
    TEST_FP_RR_D(fsub.d, rne, NINF, 0, NINF, PINF)
    TEST_FP_RR_D(fadd.d, rne, PINF, 0, PINF, MAX)
    TEST_FP_RR_D(fmul.d, rne, CNAN, NV, PZERO, PINF)
    TEST_FP_RR_D(fmul.d, rne, CNAN, NV, NINF, NZERO)
    TEST_FP_RR_D(fmul.d, rne, CNAN, 0, QNAN_NEG, ONE)
    TEST_FP_RR_D(fmul.d, rne, CNAN, NV, SNAN, PZERO)
    TEST_FP_RR_D(fmul.d, rne, NINF, 0, PINF, NEG_ONE)
    TEST_FP_RR_D(fdiv.d, rne, PINF, DZ, ONE, PZERO)
    TEST_FP_RR_D(fdiv.d, rne, NINF, DZ, ONE, NZERO)
    TEST_FP_RR_D(fdiv.d, rne, NINF, DZ, NEG_ONE, PZERO)
    TEST_FP_RR_D(fdiv.d, rne, PINF, DZ, MIN_SUB, PZERO)
    TEST_FP_RR_D(fdiv.d, rne, CNAN, NV, PZERO, PZERO)
    TEST_FP_RR_D(fdiv.d, rne, CNAN, NV, PINF, NINF)
    TEST_FP_RR_D(fdiv.d, rne, PINF, 0, PINF, PZERO)     /* DZ only for finite / 0 */
    TEST_FP_RR_D(fdiv.d, rne, CNAN, 0, QNAN_PAYLOAD, PZERO)
    TEST_FP_RR_D(fdiv.d, rne, NZERO, 0, NEG_ONE, PINF)

    /* ---- signed zeros: x - x is +0 except when rounding down ---- */
    TEST_FP_RR_D(fadd.d, rne, PZERO, 0, PZERO, NZERO)
    TEST_FP_RR_D(fadd.d, rdn, NZERO, 0, PZERO, NZERO)
    TEST_FP_RR_D(fadd.d, rne, NZERO, 0, NZERO, NZERO)
    TEST_FP_RR_D(fsub.d, rne, PZERO, 0, ONE, ONE)
    TEST_FP_RR_D(fsub.d, rtz, PZERO, 0, ONE, ONE)
    TEST_FP_RR_D(fsub.d, rup, PZERO, 0, ONE, ONE)
    TEST_FP_RR_D(fsub.d, rmm, PZERO, 0, ONE, ONE)
    TEST_FP_RR_D(fsub.d, rdn, NZERO, 0, ONE, ONE)
    TEST_FP_RR_D(fmul.d, rne, NZERO, 0, NZERO, ONE)
    TEST_FP_RR_D(fmul.d, rne, PZERO, 0, NZERO, NEG_ONE)

    /* ---- square root ---- */
    TEST_FP_R_D(fsqrt.d, rne, CNAN, NV, NEG_ONE)
    TEST_FP_R_D(fsqrt.d, rne, CNAN, NV, NEG_MIN_SUB)
    TEST_FP_R_D(fsqrt.d, rne, CNAN, NV, NINF)
    TEST_FP_R_D(fsqrt.d, rne, NZERO, 0, NZERO)
    TEST_FP_R_D(fsqrt.d, rne, PINF, 0, PINF)
    TEST_FP_R_D(fsqrt.d, rne, CNAN, 0, QNAN_PAYLOAD)
    TEST_FP_R_D(fsqrt.d, rne, CNAN, NV, SNAN)
    TEST_FP_R_D(fsqrt.d, rne, FOUR, 0, SIXTEEN)

    /* ---- fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber): a NaN
     * operand is ignored, two NaNs give the canonical NaN, a signalling
     * NaN raises NV, and -0 < +0. ---- */
    TEST_FP_RR_NORM_D(fmin.d, ONE, 0, ONE, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_D(fmin.d, ONE, 0, QNAN_NEG, ONE)
    TEST_FP_RR_NORM_D(fmin.d, ONE, NV, ONE, SNAN)
    TEST_FP_RR_NORM_D(fmin.d, NEG_ONE, NV, SNAN_NEG, NEG_ONE)
    TEST_FP_RR_NORM_D(fmin.d, CNAN, 0, QNAN_PAYLOAD, QNAN_NEG)
    TEST_FP_RR_NORM_D(fmin.d, CNAN, NV, SNAN, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_D(fmin.d, NZERO, 0, PZERO, NZERO)
    TEST_FP_RR_NORM_D(fmin.d, NZERO, 0, NZERO, PZERO)
    TEST_FP_RR_NORM_D(fmin.d, NEG_ONE, 0, NEG_ONE, ONE)
    TEST_FP_RR_NORM_D(fmin.d, NINF, 0, PINF, NINF)
    TEST_FP_RR_NORM_D(fmin.d, MIN_SUB, 0, MIN_SUB, MIN_NORMAL)
    TEST_FP_RR_NORM_D(fmax.d, ONE, 0, ONE, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_D(fmax.d, ONE, 0, QNAN_NEG, ONE)
    TEST_FP_RR_NORM_D(fmax.d, ONE, NV, SNAN, ONE)
    TEST_FP_RR_NORM_D(fmax.d, CNAN, NV, SNAN, SNAN_NEG)
    TEST_FP_RR_NORM_D(fmax.d, CNAN, 0, QNAN_NEG, QNAN_NEG)
    TEST_FP_RR_NORM_D(fmax.d, PZERO, 0, NZERO, PZERO)
    TEST_FP_RR_NORM_D(fmax.d, PZERO, 0, PZERO, NZERO)
    TEST_FP_RR_NORM_D(fmax.d, ONE, 0, NEG_ONE, ONE)
    TEST_FP_RR_NORM_D(fmax.d, PINF, 0, NINF, PINF)
    TEST_FP_RR_NORM_D(fmax.d, MIN_SUB, 0, MIN_SUB, NZERO)

    /* ---- comparisons: feq is quiet (NV only for a signalling NaN), flt and
     * fle signal on any NaN; every comparison with a NaN is false ---- */
    TEST_FP_CMP_D(feq.d, 1, 0, ONE, ONE)
    TEST_FP_CMP_D(feq.d, 0, 0, ONE, TWO)
    TEST_FP_CMP_D(feq.d, 1, 0, NZERO, PZERO)
    TEST_FP_CMP_D(feq.d, 1, 0, PINF, PINF)
    TEST_FP_CMP_D(feq.d, 0, 0, QNAN_PAYLOAD, ONE)
    TEST_FP_CMP_D(feq.d, 0, 0, ONE, CNAN)
    TEST_FP_CMP_D(feq.d, 0, 0, CNAN, CNAN)
    TEST_FP_CMP_D(feq.d, 0, NV, SNAN, ONE)
    TEST_FP_CMP_D(feq.d, 0, NV, QNAN_PAYLOAD, SNAN)
    TEST_FP_CMP_D(flt.d, 1, 0, ONE, TWO)
    TEST_FP_CMP_D(flt.d, 0, 0, TWO, ONE)
    TEST_FP_CMP_D(flt.d, 0, 0, ONE, ONE)
    TEST_FP_CMP_D(flt.d, 0, 0, NZERO, PZERO)
    TEST_FP_CMP_D(flt.d, 1, 0, NEG_ONE, NZERO)
    TEST_FP_CMP_D(flt.d, 1, 0, NINF, PINF)
    TEST_FP_CMP_D(flt.d, 1, 0, NEG_MIN_SUB, MIN_SUB)
    TEST_FP_CMP_D(flt.d, 0, NV, CNAN, ONE)
    TEST_FP_CMP_D(flt.d, 0, NV, ONE, QNAN_NEG)
    TEST_FP_CMP_D(flt.d, 0, NV, SNAN, ONE)
    TEST_FP_CMP_D(fle.d, 1, 0, ONE, ONE)
    TEST_FP_CMP_D(fle.d, 1, 0, ONE, TWO)
    TEST_FP_CMP_D(fle.d, 0, 0, TWO, ONE)
    TEST_FP_CMP_D(fle.d, 1, 0, PZERO, NZERO)
    TEST_FP_CMP_D(fle.d, 1, 0, NZERO, PZERO)
    TEST_FP_CMP_D(fle.d, 0, NV, CNAN, CNAN)
    TEST_FP_CMP_D(fle.d, 0, NV, ONE, SNAN_NEG)

    /* ---- fclass: one bit for each of the ten classes ---- */
    TEST_FCLASS_D(1 << 0, NINF)
    TEST_FCLASS_D(1 << 1, NEG_ONE)
    TEST_FCLASS_D(1 << 1, NEG_MAX)
    TEST_FCLASS_D(1 << 2, NEG_MIN_SUB)
    TEST_FCLASS_D(1 << 3, NZERO)
    TEST_FCLASS_D(1 << 4, PZERO)
    TEST_FCLASS_D(1 << 5, MIN_SUB)
    TEST_FCLASS_D(1 << 5, MAX_SUB)
    TEST_FCLASS_D(1 << 6, ONE)
    TEST_FCLASS_D(1 << 6, MIN_NORMAL)
    TEST_FCLASS_D(1 << 7, PINF)
    TEST_FCLASS_D(1 << 8, SNAN)
    TEST_FCLASS_D(1 << 8, SNAN_NEG)
    TEST_FCLASS_D(1 << 9, CNAN)
    TEST_FCLASS_D(1 << 9, QNAN_NEG)

    /* ---- sign injection: pure bit operations, no canonicalisation and no
     * flags even for signalling NaNs ---- */
    TEST_FP_RR_NORM_D(fsgnj.d, NEG_ONE, 0, ONE, NEG_TWO)
    TEST_FP_RR_NORM_D(fsgnj.d, ONE, 0, NEG_ONE, TWO)
    TEST_FP_RR_NORM_D(fsgnj.d, ONE, 0, ONE, ONE)
    TEST_FP_RR_NORM_D(fsgnjn.d, ONE, 0, ONE, NEG_TWO)
    TEST_FP_RR_NORM_D(fsgnjn.d, NEG_ONE, 0, ONE, TWO)
    TEST_FP_RR_NORM_D(fsgnjn.d, ONE, 0, NEG_ONE, NEG_ONE)
    TEST_FP_RR_NORM_D(fsgnjx.d, ONE, 0, NEG_ONE, NEG_TWO)
    TEST_FP_RR_NORM_D(fsgnjx.d, NEG_ONE, 0, ONE, NEG_TWO)
    TEST_FP_RR_NORM_D(fsgnjx.d, NEG_ONE, 0, NEG_ONE, TWO)
    TEST_FP_RR_NORM_D(fsgnjx.d, ONE, 0, ONE, TWO)
    TEST_FP_RR_NORM_D(fsgnj.d, SNAN_NEG_OF_SNAN, 0, SNAN, NEG_ONE)
    TEST_FP_RR_NORM_D(fsgnjn.d, QNAN_PAYLOAD_NEG, 0, QNAN_PAYLOAD, QNAN_PAYLOAD)
    TEST_FP_RR_NORM_D(fsgnjx.d, PINF, 0, NINF, NINF)
    /* The pseudo-instructions built on sign injection. */
    SET_TEST(fabs.d)
    LOAD_D(fa1, SNAN_NEG_OF_SNAN)
    fabs.d fa0, fa1
    CHECK_D(fa0, SNAN)
    SET_TEST(fneg.d)
    LOAD_D(fa1, PZERO)
    fneg.d fa0, fa1
    CHECK_D(fa0, NZERO)
    SET_TEST(fmv.d)
    LOAD_D(fa1, SNAN)
    fmv.d fa0, fa1
    CHECK_D(fa0, SNAN)

    /* ---- fused multiply-add: one rounding, and the definitions
     * fmadd = a*b+c, fmsub = a*b-c, fnmsub = -(a*b)+c, fnmadd = -(a*b)-c ---- */
    TEST_FP_RRR_D(fmadd.d, rne, SEVEN, 0, TWO, THREE, ONE)
    TEST_FP_RRR_D(fmsub.d, rne, FIVE, 0, TWO, THREE, ONE)
    TEST_FP_RRR_D(fnmsub.d, rne, NEG_FIVE, 0, TWO, THREE, ONE)
    TEST_FP_RRR_D(fnmadd.d, rne, NEG_SEVEN, 0, TWO, THREE, ONE)
    /* inf * 0 is invalid even when the addend is a quiet NaN. */
    TEST_FP_RRR_D(fmadd.d, rne, CNAN, NV, PINF, PZERO, QNAN_PAYLOAD)
    TEST_FP_RRR_D(fmadd.d, rne, CNAN, NV, NZERO, NINF, ONE)
    TEST_FP_RRR_D(fmadd.d, rne, CNAN, NV, ONE, PINF, NINF)
    TEST_FP_RRR_D(fmsub.d, rne, CNAN, NV, ONE, PINF, PINF)
    TEST_FP_RRR_D(fmadd.d, rne, CNAN, NV, SNAN, ONE, ONE)
    TEST_FP_RRR_D(fmadd.d, rne, CNAN, NV, ONE, ONE, SNAN)
    TEST_FP_RRR_D(fmadd.d, rne, CNAN, 0, ONE, ONE, QNAN_NEG)
    TEST_FP_RRR_D(fnmadd.d, rne, CNAN, 0, QNAN_PAYLOAD, ONE, ONE)
    TEST_FP_RRR_D(fmadd.d, rne, PINF, 0, PINF, ONE, MAX)
    /* No intermediate overflow: MAX*2 - MAX is exactly MAX. */
    TEST_FP_RRR_D(fmadd.d, rne, MAX, 0, MAX, TWO, NEG_MAX)
    TEST_FP_RRR_D(fmsub.d, rne, MAX, 0, MAX, TWO, MAX)
    /* Signs of exact zero results. */
    TEST_FP_RRR_D(fmadd.d, rne, PZERO, 0, PZERO, ONE, NZERO)
    TEST_FP_RRR_D(fmadd.d, rdn, NZERO, 0, PZERO, ONE, NZERO)
    TEST_FP_RRR_D(fmadd.d, rne, NZERO, 0, NZERO, ONE, NZERO)
    TEST_FP_RRR_D(fnmadd.d, rne, NZERO, 0, PZERO, ONE, PZERO)
    TEST_FP_RRR_D(fnmsub.d, rne, PZERO, 0, PZERO, ONE, PZERO)
    TEST_FP_RRR_D(fmsub.d, rne, PZERO, 0, ONE, ONE, ONE)
    TEST_FP_RRR_D(fmsub.d, rdn, NZERO, 0, ONE, ONE, ONE)
    /* A tiny product below half an ulp of the addend only sets NX. */
    TEST_FP_RRR_D(fmadd.d, rne, ONE, NX, MIN_SUB, MIN_SUB, ONE)
    TEST_FP_RRR_D(fmadd.d, rup, ONE_PLUS_ULP, NX, MIN_SUB, MIN_SUB, ONE)
    TEST_FP_RRR_D(fnmsub.d, rdn, ONE_MINUS_ULP, NX, MIN_SUB, MIN_SUB, ONE)

    /* ---- conversions to integers saturate: NaN and +inf give the
     * largest value, -inf and too negative values the smallest; only NV
     * is raised then (not NX) ---- */
    /* canonical NaN */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x7ff8000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x7ff8000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0x7ff8000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0xffffffffffffffff, NV, 0x7ff8000000000000)
    /* signalling NaN */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x7ff0000000000001)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x7ff0000000000001)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0x7ff0000000000001)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0xffffffffffffffff, NV, 0x7ff0000000000001)
    /* negative quiet NaN */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0xfff8000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0xfff8000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0xfff8000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0xffffffffffffffff, NV, 0xfff8000000000000)
    /* +inf */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x7ff0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x7ff0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0x7ff0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0xffffffffffffffff, NV, 0x7ff0000000000000)
    /* -inf */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0xffffffff80000000, NV, 0xfff0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, NV, 0xfff0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x8000000000000000, NV, 0xfff0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000000000000, NV, 0xfff0000000000000)
    /* -0 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x0000000000000000, 0, 0x8000000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, 0, 0x8000000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x0000000000000000, 0, 0x8000000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000000000000, 0, 0x8000000000000000)
    /* -1 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0xffffffffffffffff, 0, 0xbff0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, NV, 0xbff0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0xffffffffffffffff, 0, 0xbff0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000000000000, NV, 0xbff0000000000000)
    /* -0.75 (truncates to 0) */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x0000000000000000, NX, 0xbfe8000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, NX, 0xbfe8000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x0000000000000000, NX, 0xbfe8000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000000000000, NX, 0xbfe8000000000000)
    /* largest value below 2^31 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NX, 0x41dfffffffffffff)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x000000007fffffff, NX, 0x41dfffffffffffff)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x000000007fffffff, NX, 0x41dfffffffffffff)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x000000007fffffff, NX, 0x41dfffffffffffff)
    /* 2^31 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x41e0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffff80000000, 0, 0x41e0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x0000000080000000, 0, 0x41e0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000080000000, 0, 0x41e0000000000000)
    /* -2^31 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0xffffffff80000000, 0, 0xc1e0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, NV, 0xc1e0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0xffffffff80000000, 0, 0xc1e0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000000000000, NV, 0xc1e0000000000000)
    /* -2^31 less a bit */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0xffffffff80000000, NX, 0xc1e0000000000001)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, NV, 0xc1e0000000000001)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0xffffffff80000000, NX, 0xc1e0000000000001)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000000000000, NV, 0xc1e0000000000001)
    /* largest value below 2^32 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x41efffffffffffff)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NX, 0x41efffffffffffff)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x00000000ffffffff, NX, 0x41efffffffffffff)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x00000000ffffffff, NX, 0x41efffffffffffff)
    /* 2^32 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x41f0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x41f0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x0000000100000000, 0, 0x41f0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000100000000, 0, 0x41f0000000000000)
    /* 3e9 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x41e65a0bc0000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffb2d05e00, 0, 0x41e65a0bc0000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x00000000b2d05e00, 0, 0x41e65a0bc0000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x00000000b2d05e00, 0, 0x41e65a0bc0000000)
    /* 2^63 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x43e0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x43e0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0x43e0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x8000000000000000, 0, 0x43e0000000000000)
    /* -2^63 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0xffffffff80000000, NV, 0xc3e0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, NV, 0xc3e0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x8000000000000000, 0, 0xc3e0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0000000000000000, NV, 0xc3e0000000000000)
    /* largest value below 2^64 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x43efffffffffffff)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x43efffffffffffff)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0x43efffffffffffff)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0xfffffffffffff800, 0, 0x43efffffffffffff)
    /* 2^64 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x43f0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x43f0000000000000)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0x43f0000000000000)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0xffffffffffffffff, NV, 0x43f0000000000000)
    /* 1e30 */
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NV, 0x46293e5939a08cea)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0xffffffffffffffff, NV, 0x46293e5939a08cea)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x7fffffffffffffff, NV, 0x46293e5939a08cea)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0xffffffffffffffff, NV, 0x46293e5939a08cea)
    /* integer to FP: W sources use only the low 32 bits of the register */
    TEST_FCVT_D_X_EXACT(fcvt.d.w, 0xbff0000000000000, 0, 0x12345678ffffffff)
    TEST_FCVT_D_X_EXACT(fcvt.d.wu, 0x41efffffffe00000, 0, 0x12345678ffffffff)
    TEST_FCVT_D_X_EXACT(fcvt.d.w, 0xc1e0000000000000, 0, 0xedcba98780000000)
    TEST_FCVT_D_X_EXACT(fcvt.d.wu, 0x41e0000000000000, 0, 0x0000000080000000)
    TEST_FCVT_D_X(fcvt.d.l, rne, 0xbff0000000000000, 0, 0xffffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.lu, rne, 0x43f0000000000000, NX, 0xffffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.l, rne, 0x0000000000000000, 0, 0x0000000000000000)
    TEST_FCVT_D_X(fcvt.d.lu, rne, 0x0000000000000000, 0, 0x0000000000000000)
    TEST_FCVT_D_X(fcvt.d.l, rne, 0xc3e0000000000000, 0, 0x8000000000000000)
    TEST_FCVT_D_X(fcvt.d.lu, rne, 0x43e0000000000000, 0, 0x8000000000000000)
    TEST_FCVT_D_X_EXACT(fcvt.d.w, 0x401c000000000000, 0, 0x0000000000000007)
    TEST_FCVT_D_X(fcvt.d.l, rne, 0xc01c000000000000, 0, 0xfffffffffffffff9)

    /* ---- moves, loads and stores: raw bits, no canonicalisation, no flags ---- */
    SET_TEST(fmv.d.x/fmv.x.d signalling NaN)
    li a1, SNAN_NEG
    CLEAR_FLAGS
    fmv.d.x fa0, a1
    fmv.x.d a0, fa0
    CHECK_FLAGS(0)
    CHECK(a0, SNAN_NEG)
    SET_TEST(fld/fsd)
    la a1, fp_data
    CLEAR_FLAGS
    fld fa0, 0(a1)          /* a signalling NaN with a payload */
    fld fa1, 8(a1)
    fsd fa0, 24(a1)
    fsd fa1, 16(a1)
    ld a0, 24(a1)
    CHECK(a0, 0x7ff4000000000abc)
    ld a0, 16(a1)
    CHECK(a0, 0x8000000000000001)
    CHECK_FLAGS(0)
    SET_TEST(fld/fsd negative offset)
    la a1, fp_data + 32
    fld fa2, -32(a1)
    fsd fa2, -8(a1)
    ld a0, -8(a1)
    CHECK(a0, 0x7ff4000000000abc)

    /* ---- single to double: exact, except NaNs become canonical ---- */
    TEST_FCVT_D_S(ONE, 0, 0x3f800000)
    TEST_FCVT_D_S(0x3fb99999a0000000, 0, 0x3dcccccd)
    TEST_FCVT_D_S(0x36a0000000000000, 0, 0x00000001)    /* smallest single subnormal */
    TEST_FCVT_D_S(0xc7efffffe0000000, 0, 0xff7fffff)    /* -FLT_MAX */
    TEST_FCVT_D_S(NINF, 0, 0xff800000)
    TEST_FCVT_D_S(NZERO, 0, 0x80000000)
    TEST_FCVT_D_S(CNAN, 0, 0x7fc00123)
    TEST_FCVT_D_S(CNAN, 0, 0xffc00000)
    TEST_FCVT_D_S(CNAN, NV, 0x7f800001)
    /* double to single specials */
    TEST_FCVT_S_D(rne, 0x7fc00000, 0, QNAN_PAYLOAD)
    TEST_FCVT_S_D(rne, 0x7fc00000, NV, SNAN)
    TEST_FCVT_S_D(rne, 0x7fc00000, 0, QNAN_NEG)
    TEST_FCVT_S_D(rne, 0xff800000, 0, NINF)
    TEST_FCVT_S_D(rne, 0x80000000, 0, NZERO)
    TEST_FCVT_S_D(rne, 0x7f7fffff, 0, 0x47efffffe0000000)    /* FLT_MAX, exact */
    TEST_FCVT_S_D(rtz, 0x7f7fffff, OF|NX, MAX)
    TEST_FCVT_S_D(rne, 0x7f800000, OF|NX, MAX)
    TEST_FCVT_S_D(rne, 0x80000000, UF|NX, NEG_MIN_SUB)
    TEST_FCVT_S_D(rup, 0x00000001, UF|NX, MIN_SUB)

    /* ---- each inexact operation in all five static rounding modes.
     * frm is set to RUP first: a static mode must override it. ---- */
    SET_FRM(RUP)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_D(fadd.d, rne, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    TEST_FP_RR_D(fadd.d, rtz, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    TEST_FP_RR_D(fadd.d, rdn, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    TEST_FP_RR_D(fadd.d, rup, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    TEST_FP_RR_D(fadd.d, rmm, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_D(fadd.d, rne, 0xbff0000000000000, NX, 0xbff0000000000000, 0xbca0000000000000)
    TEST_FP_RR_D(fadd.d, rtz, 0xbff0000000000000, NX, 0xbff0000000000000, 0xbca0000000000000)
    TEST_FP_RR_D(fadd.d, rdn, 0xbff0000000000001, NX, 0xbff0000000000000, 0xbca0000000000000)
    TEST_FP_RR_D(fadd.d, rup, 0xbff0000000000000, NX, 0xbff0000000000000, 0xbca0000000000000)
    TEST_FP_RR_D(fadd.d, rmm, 0xbff0000000000001, NX, 0xbff0000000000000, 0xbca0000000000000)
    /* 1 + 3/4 ulp */
    TEST_FP_RR_D(fadd.d, rne, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3ca8000000000000)
    TEST_FP_RR_D(fadd.d, rtz, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca8000000000000)
    TEST_FP_RR_D(fadd.d, rdn, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca8000000000000)
    TEST_FP_RR_D(fadd.d, rup, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3ca8000000000000)
    TEST_FP_RR_D(fadd.d, rmm, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3ca8000000000000)
    /* 1 + 1/4 ulp */
    TEST_FP_RR_D(fadd.d, rne, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fadd.d, rtz, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fadd.d, rdn, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fadd.d, rup, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fadd.d, rmm, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3c90000000000000)
    /* 1 - 1/4 ulp(1) */
    TEST_FP_RR_D(fsub.d, rne, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fsub.d, rtz, 0x3fefffffffffffff, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fsub.d, rdn, 0x3fefffffffffffff, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fsub.d, rup, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3c90000000000000)
    TEST_FP_RR_D(fsub.d, rmm, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3c90000000000000)
    /* (1+ulp)^2 */
    TEST_FP_RR_D(fmul.d, rne, 0x3ff0000000000002, NX, 0x3ff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rtz, 0x3ff0000000000002, NX, 0x3ff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rdn, 0x3ff0000000000002, NX, 0x3ff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rup, 0x3ff0000000000003, NX, 0x3ff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rmm, 0x3ff0000000000002, NX, 0x3ff0000000000001, 0x3ff0000000000001)
    /* -(1+ulp)^2 */
    TEST_FP_RR_D(fmul.d, rne, 0xbff0000000000002, NX, 0xbff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rtz, 0xbff0000000000002, NX, 0xbff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rdn, 0xbff0000000000003, NX, 0xbff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rup, 0xbff0000000000002, NX, 0xbff0000000000001, 0x3ff0000000000001)
    TEST_FP_RR_D(fmul.d, rmm, 0xbff0000000000002, NX, 0xbff0000000000001, 0x3ff0000000000001)
    /* 1/3 */
    TEST_FP_RR_D(fdiv.d, rne, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rtz, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rdn, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rup, 0x3fd5555555555556, NX, 0x3ff0000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rmm, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    /* -2/3 */
    TEST_FP_RR_D(fdiv.d, rne, 0xbfe5555555555555, NX, 0xc000000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rtz, 0xbfe5555555555555, NX, 0xc000000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rdn, 0xbfe5555555555556, NX, 0xc000000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rup, 0xbfe5555555555555, NX, 0xc000000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rmm, 0xbfe5555555555555, NX, 0xc000000000000000, 0x4008000000000000)
    /* sqrt(2) */
    TEST_FP_R_D(fsqrt.d, rne, 0x3ff6a09e667f3bcd, NX, 0x4000000000000000)
    TEST_FP_R_D(fsqrt.d, rtz, 0x3ff6a09e667f3bcc, NX, 0x4000000000000000)
    TEST_FP_R_D(fsqrt.d, rdn, 0x3ff6a09e667f3bcc, NX, 0x4000000000000000)
    TEST_FP_R_D(fsqrt.d, rup, 0x3ff6a09e667f3bcd, NX, 0x4000000000000000)
    TEST_FP_R_D(fsqrt.d, rmm, 0x3ff6a09e667f3bcd, NX, 0x4000000000000000)
    /* sqrt(3) */
    TEST_FP_R_D(fsqrt.d, rne, 0x3ffbb67ae8584caa, NX, 0x4008000000000000)
    TEST_FP_R_D(fsqrt.d, rtz, 0x3ffbb67ae8584caa, NX, 0x4008000000000000)
    TEST_FP_R_D(fsqrt.d, rdn, 0x3ffbb67ae8584caa, NX, 0x4008000000000000)
    TEST_FP_R_D(fsqrt.d, rup, 0x3ffbb67ae8584cab, NX, 0x4008000000000000)
    TEST_FP_R_D(fsqrt.d, rmm, 0x3ffbb67ae8584caa, NX, 0x4008000000000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_D(fmadd.d, rne, 0x3cc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    TEST_FP_RRR_D(fmadd.d, rtz, 0x3cc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    TEST_FP_RRR_D(fmadd.d, rdn, 0x3cc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    TEST_FP_RRR_D(fmadd.d, rup, 0x3cc0000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    TEST_FP_RRR_D(fmadd.d, rmm, 0x3cc0000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    /* (1+ulp)(1-ulp) - 1 = -ulp^2, exact */
    TEST_FP_RRR_D(fmsub.d, rne, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, 0x3ff0000000000000)
    TEST_FP_RRR_D(fmsub.d, rtz, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, 0x3ff0000000000000)
    TEST_FP_RRR_D(fmsub.d, rdn, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, 0x3ff0000000000000)
    TEST_FP_RRR_D(fmsub.d, rup, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, 0x3ff0000000000000)
    TEST_FP_RRR_D(fmsub.d, rmm, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, 0x3ff0000000000000)
    /* -((1+ulp)^2) - 1 */
    TEST_FP_RRR_D(fnmadd.d, rne, 0xc000000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmadd.d, rtz, 0xc000000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmadd.d, rdn, 0xc000000000000002, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmadd.d, rup, 0xc000000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmadd.d, rmm, 0xc000000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    /* -((1+ulp)^2) + 1 */
    TEST_FP_RRR_D(fnmsub.d, rne, 0xbcc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmsub.d, rtz, 0xbcc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmsub.d, rdn, 0xbcc0000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmsub.d, rup, 0xbcc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    TEST_FP_RRR_D(fnmsub.d, rmm, 0xbcc0000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000000)
    /* MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, rne, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rtz, 0x7fefffffffffffff, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rdn, 0x7fefffffffffffff, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rup, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rmm, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, rne, 0xfff0000000000000, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rtz, 0xffefffffffffffff, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rdn, 0xfff0000000000000, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rup, 0xffefffffffffffff, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    TEST_FP_RR_D(fmul.d, rmm, 0xfff0000000000000, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    /* MAX + half an ulp of MAX: overflows only when rounding up */
    TEST_FP_RR_D(fadd.d, rne, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x7c9fffffffffffff)
    TEST_FP_RR_D(fadd.d, rtz, 0x7fefffffffffffff, NX, 0x7fefffffffffffff, 0x7c9fffffffffffff)
    TEST_FP_RR_D(fadd.d, rdn, 0x7fefffffffffffff, NX, 0x7fefffffffffffff, 0x7c9fffffffffffff)
    TEST_FP_RR_D(fadd.d, rup, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x7c9fffffffffffff)
    TEST_FP_RR_D(fadd.d, rmm, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x7c9fffffffffffff)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_D(fmul.d, rne, 0x0000000000000000, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rtz, 0x0000000000000000, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rdn, 0x0000000000000000, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rup, 0x0000000000000001, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rmm, 0x0000000000000001, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    /* -min subnormal / 2 */
    TEST_FP_RR_D(fmul.d, rne, 0x8000000000000000, UF|NX, 0x8000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rtz, 0x8000000000000000, UF|NX, 0x8000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rdn, 0x8000000000000001, UF|NX, 0x8000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rup, 0x8000000000000000, UF|NX, 0x8000000000000001, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rmm, 0x8000000000000001, UF|NX, 0x8000000000000001, 0x3fe0000000000000)
    /* 1.5 min subnormals: a tie */
    TEST_FP_RR_D(fmul.d, rne, 0x0000000000000002, UF|NX, 0x0000000000000003, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rtz, 0x0000000000000001, UF|NX, 0x0000000000000003, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rdn, 0x0000000000000001, UF|NX, 0x0000000000000003, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rup, 0x0000000000000002, UF|NX, 0x0000000000000003, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rmm, 0x0000000000000002, UF|NX, 0x0000000000000003, 0x3fe0000000000000)
    /* min normal / 3: inexact subnormal */
    TEST_FP_RR_D(fdiv.d, rne, 0x0005555555555555, UF|NX, 0x0010000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rtz, 0x0005555555555555, UF|NX, 0x0010000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rdn, 0x0005555555555555, UF|NX, 0x0010000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rup, 0x0005555555555556, UF|NX, 0x0010000000000000, 0x4008000000000000)
    TEST_FP_RR_D(fdiv.d, rmm, 0x0005555555555555, UF|NX, 0x0010000000000000, 0x4008000000000000)
    /* min normal / 2: exact subnormal, no flags */
    TEST_FP_RR_D(fmul.d, rne, 0x0008000000000000, 0, 0x0010000000000000, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rtz, 0x0008000000000000, 0, 0x0010000000000000, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rdn, 0x0008000000000000, 0, 0x0010000000000000, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rup, 0x0008000000000000, 0, 0x0010000000000000, 0x3fe0000000000000)
    TEST_FP_RR_D(fmul.d, rmm, 0x0008000000000000, 0, 0x0010000000000000, 0x3fe0000000000000)
    /* (1-2^-28)(1+2^-28) min normal: rounds up to min normal, not tiny after rounding */
    TEST_FP_RR_D(fmul.d, rne, 0x0010000000000000, NX, 0x3feffffffe000000, 0x0010000001000000)
    TEST_FP_RR_D(fmul.d, rtz, 0x000fffffffffffff, UF|NX, 0x3feffffffe000000, 0x0010000001000000)
    TEST_FP_RR_D(fmul.d, rdn, 0x000fffffffffffff, UF|NX, 0x3feffffffe000000, 0x0010000001000000)
    TEST_FP_RR_D(fmul.d, rup, 0x0010000000000000, NX, 0x3feffffffe000000, 0x0010000001000000)
    TEST_FP_RR_D(fmul.d, rmm, 0x0010000000000000, NX, 0x3feffffffe000000, 0x0010000001000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_D(fcvt.w.d, rne, 0x0000000000000002, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x0000000000000002, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rdn, 0x0000000000000002, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rup, 0x0000000000000003, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rmm, 0x0000000000000003, NX, 0x4004000000000000)
    /* -2.5 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, rne, 0xfffffffffffffffe, NX, 0xc004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0xfffffffffffffffe, NX, 0xc004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rdn, 0xfffffffffffffffd, NX, 0xc004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rup, 0xfffffffffffffffe, NX, 0xc004000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rmm, 0xfffffffffffffffd, NX, 0xc004000000000000)
    /* 0.5 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, rne, 0x0000000000000000, NX, 0x3fe0000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x0000000000000000, NX, 0x3fe0000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rdn, 0x0000000000000000, NX, 0x3fe0000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rup, 0x0000000000000001, NX, 0x3fe0000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rmm, 0x0000000000000001, NX, 0x3fe0000000000000)
    /* -0.75 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, rne, 0xffffffffffffffff, NX, 0xbfe8000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x0000000000000000, NX, 0xbfe8000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rdn, 0xffffffffffffffff, NX, 0xbfe8000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rup, 0x0000000000000000, NX, 0xbfe8000000000000)
    TEST_FCVT_X_D(fcvt.w.d, rmm, 0xffffffffffffffff, NX, 0xbfe8000000000000)
    /* 2.5 to uint32 */
    TEST_FCVT_X_D(fcvt.wu.d, rne, 0x0000000000000002, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000002, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rdn, 0x0000000000000002, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rup, 0x0000000000000003, NX, 0x4004000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rmm, 0x0000000000000003, NX, 0x4004000000000000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_D(fcvt.wu.d, rne, 0x0000000000000000, NX, 0xbfe0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rtz, 0x0000000000000000, NX, 0xbfe0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rdn, 0x0000000000000000, NV, 0xbfe0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rup, 0x0000000000000000, NX, 0xbfe0000000000000)
    TEST_FCVT_X_D(fcvt.wu.d, rmm, 0x0000000000000000, NV, 0xbfe0000000000000)
    /* 2^51 + 0.5 to int64: a tie */
    TEST_FCVT_X_D(fcvt.l.d, rne, 0x0008000000000000, NX, 0x4320000000000001)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0x0008000000000000, NX, 0x4320000000000001)
    TEST_FCVT_X_D(fcvt.l.d, rdn, 0x0008000000000000, NX, 0x4320000000000001)
    TEST_FCVT_X_D(fcvt.l.d, rup, 0x0008000000000001, NX, 0x4320000000000001)
    TEST_FCVT_X_D(fcvt.l.d, rmm, 0x0008000000000001, NX, 0x4320000000000001)
    /* -(2^51 + 1.5) to int64 */
    TEST_FCVT_X_D(fcvt.l.d, rne, 0xfff7fffffffffffe, NX, 0xc320000000000003)
    TEST_FCVT_X_D(fcvt.l.d, rtz, 0xfff7ffffffffffff, NX, 0xc320000000000003)
    TEST_FCVT_X_D(fcvt.l.d, rdn, 0xfff7fffffffffffe, NX, 0xc320000000000003)
    TEST_FCVT_X_D(fcvt.l.d, rup, 0xfff7ffffffffffff, NX, 0xc320000000000003)
    TEST_FCVT_X_D(fcvt.l.d, rmm, 0xfff7fffffffffffe, NX, 0xc320000000000003)
    /* 2^51 + 1.5 to uint64 */
    TEST_FCVT_X_D(fcvt.lu.d, rne, 0x0008000000000002, NX, 0x4320000000000003)
    TEST_FCVT_X_D(fcvt.lu.d, rtz, 0x0008000000000001, NX, 0x4320000000000003)
    TEST_FCVT_X_D(fcvt.lu.d, rdn, 0x0008000000000001, NX, 0x4320000000000003)
    TEST_FCVT_X_D(fcvt.lu.d, rup, 0x0008000000000002, NX, 0x4320000000000003)
    TEST_FCVT_X_D(fcvt.lu.d, rmm, 0x0008000000000002, NX, 0x4320000000000003)
    /* largest half-integer below 2^31 (or 3.5) */
    TEST_FCVT_X_D(fcvt.w.d, rne, 0x000000007fffffff, NV, 0x41dfffffffe00000)
    TEST_FCVT_X_D(fcvt.w.d, rtz, 0x000000007fffffff, NX, 0x41dfffffffe00000)
    TEST_FCVT_X_D(fcvt.w.d, rdn, 0x000000007fffffff, NX, 0x41dfffffffe00000)
    TEST_FCVT_X_D(fcvt.w.d, rup, 0x000000007fffffff, NV, 0x41dfffffffe00000)
    TEST_FCVT_X_D(fcvt.w.d, rmm, 0x000000007fffffff, NV, 0x41dfffffffe00000)
    /* 2^53+1 to double: a tie */
    TEST_FCVT_D_X(fcvt.d.l, rne, 0x4340000000000000, NX, 0x0020000000000001)
    TEST_FCVT_D_X(fcvt.d.l, rtz, 0x4340000000000000, NX, 0x0020000000000001)
    TEST_FCVT_D_X(fcvt.d.l, rdn, 0x4340000000000000, NX, 0x0020000000000001)
    TEST_FCVT_D_X(fcvt.d.l, rup, 0x4340000000000001, NX, 0x0020000000000001)
    TEST_FCVT_D_X(fcvt.d.l, rmm, 0x4340000000000001, NX, 0x0020000000000001)
    /* -(2^53+3) to double: a tie */
    TEST_FCVT_D_X(fcvt.d.l, rne, 0xc340000000000002, NX, 0xffdffffffffffffd)
    TEST_FCVT_D_X(fcvt.d.l, rtz, 0xc340000000000001, NX, 0xffdffffffffffffd)
    TEST_FCVT_D_X(fcvt.d.l, rdn, 0xc340000000000002, NX, 0xffdffffffffffffd)
    TEST_FCVT_D_X(fcvt.d.l, rup, 0xc340000000000001, NX, 0xffdffffffffffffd)
    TEST_FCVT_D_X(fcvt.d.l, rmm, 0xc340000000000002, NX, 0xffdffffffffffffd)
    /* 2^64-1 to double */
    TEST_FCVT_D_X(fcvt.d.lu, rne, 0x43f0000000000000, NX, 0xffffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.lu, rtz, 0x43efffffffffffff, NX, 0xffffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.lu, rdn, 0x43efffffffffffff, NX, 0xffffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.lu, rup, 0x43f0000000000000, NX, 0xffffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.lu, rmm, 0x43f0000000000000, NX, 0xffffffffffffffff)
    /* 2^63-1 to double */
    TEST_FCVT_D_X(fcvt.d.l, rne, 0x43e0000000000000, NX, 0x7fffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.l, rtz, 0x43dfffffffffffff, NX, 0x7fffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.l, rdn, 0x43dfffffffffffff, NX, 0x7fffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.l, rup, 0x43e0000000000000, NX, 0x7fffffffffffffff)
    TEST_FCVT_D_X(fcvt.d.l, rmm, 0x43e0000000000000, NX, 0x7fffffffffffffff)
    /* 1 + 2^-24 to single: a tie */
    TEST_FCVT_S_D(rne, 0x3f800000, NX, 0x3ff0000010000000)
    TEST_FCVT_S_D(rtz, 0x3f800000, NX, 0x3ff0000010000000)
    TEST_FCVT_S_D(rdn, 0x3f800000, NX, 0x3ff0000010000000)
    TEST_FCVT_S_D(rup, 0x3f800001, NX, 0x3ff0000010000000)
    TEST_FCVT_S_D(rmm, 0x3f800001, NX, 0x3ff0000010000000)
    /* -(1 + 3*2^-25) to single */
    TEST_FCVT_S_D(rne, 0xbf800001, NX, 0xbff0000018000000)
    TEST_FCVT_S_D(rtz, 0xbf800000, NX, 0xbff0000018000000)
    TEST_FCVT_S_D(rdn, 0xbf800001, NX, 0xbff0000018000000)
    TEST_FCVT_S_D(rup, 0xbf800000, NX, 0xbff0000018000000)
    TEST_FCVT_S_D(rmm, 0xbf800001, NX, 0xbff0000018000000)
    /* 0.1 to single */
    TEST_FCVT_S_D(rne, 0x3dcccccd, NX, 0x3fb999999999999a)
    TEST_FCVT_S_D(rtz, 0x3dcccccc, NX, 0x3fb999999999999a)
    TEST_FCVT_S_D(rdn, 0x3dcccccc, NX, 0x3fb999999999999a)
    TEST_FCVT_S_D(rup, 0x3dcccccd, NX, 0x3fb999999999999a)
    TEST_FCVT_S_D(rmm, 0x3dcccccd, NX, 0x3fb999999999999a)
    /* 2^128 to single: overflow */
    TEST_FCVT_S_D(rne, 0x7f800000, OF|NX, 0x47f0000000000000)
    TEST_FCVT_S_D(rtz, 0x7f7fffff, OF|NX, 0x47f0000000000000)
    TEST_FCVT_S_D(rdn, 0x7f7fffff, OF|NX, 0x47f0000000000000)
    TEST_FCVT_S_D(rup, 0x7f800000, OF|NX, 0x47f0000000000000)
    TEST_FCVT_S_D(rmm, 0x7f800000, OF|NX, 0x47f0000000000000)
    /* 2^-150 to single: half the smallest subnormal */
    TEST_FCVT_S_D(rne, 0x00000000, UF|NX, 0x3690000000000000)
    TEST_FCVT_S_D(rtz, 0x00000000, UF|NX, 0x3690000000000000)
    TEST_FCVT_S_D(rdn, 0x00000000, UF|NX, 0x3690000000000000)
    TEST_FCVT_S_D(rup, 0x00000001, UF|NX, 0x3690000000000000)
    TEST_FCVT_S_D(rmm, 0x00000001, UF|NX, 0x3690000000000000)
    /* -3*2^-151 to single */
    TEST_FCVT_S_D(rne, 0x80000001, UF|NX, 0xb698000000000000)
    TEST_FCVT_S_D(rtz, 0x80000000, UF|NX, 0xb698000000000000)
    TEST_FCVT_S_D(rdn, 0x80000001, UF|NX, 0xb698000000000000)
    TEST_FCVT_S_D(rup, 0x80000000, UF|NX, 0xb698000000000000)
    TEST_FCVT_S_D(rmm, 0x80000001, UF|NX, 0xb698000000000000)

    /* ---- the same operations with dyn, taking the mode from frm ---- */
    SET_FRM(RNE)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_D(fadd.d, dyn, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_D(fadd.d, dyn, 0xbff0000000000000, NX, 0xbff0000000000000, 0xbca0000000000000)
    /* 1/3 */
    TEST_FP_RR_D(fdiv.d, dyn, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    /* sqrt(2) */
    TEST_FP_R_D(fsqrt.d, dyn, 0x3ff6a09e667f3bcd, NX, 0x4000000000000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_D(fmadd.d, dyn, 0x3cc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    /* MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0xfff0000000000000, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_D(fmul.d, dyn, 0x0000000000000000, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0x0000000000000002, NX, 0x4004000000000000)
    /* -2.5 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0xfffffffffffffffe, NX, 0xc004000000000000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_D(fcvt.wu.d, dyn, 0x0000000000000000, NX, 0xbfe0000000000000)
    /* 2^53+1 to double: a tie */
    TEST_FCVT_D_X(fcvt.d.l, dyn, 0x4340000000000000, NX, 0x0020000000000001)
    /* 1 + 2^-24 to single: a tie */
    TEST_FCVT_S_D(dyn, 0x3f800000, NX, 0x3ff0000010000000)
    SET_FRM(RTZ)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_D(fadd.d, dyn, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_D(fadd.d, dyn, 0xbff0000000000000, NX, 0xbff0000000000000, 0xbca0000000000000)
    /* 1/3 */
    TEST_FP_RR_D(fdiv.d, dyn, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    /* sqrt(2) */
    TEST_FP_R_D(fsqrt.d, dyn, 0x3ff6a09e667f3bcc, NX, 0x4000000000000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_D(fmadd.d, dyn, 0x3cc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    /* MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0x7fefffffffffffff, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0xffefffffffffffff, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_D(fmul.d, dyn, 0x0000000000000000, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0x0000000000000002, NX, 0x4004000000000000)
    /* -2.5 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0xfffffffffffffffe, NX, 0xc004000000000000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_D(fcvt.wu.d, dyn, 0x0000000000000000, NX, 0xbfe0000000000000)
    /* 2^53+1 to double: a tie */
    TEST_FCVT_D_X(fcvt.d.l, dyn, 0x4340000000000000, NX, 0x0020000000000001)
    /* 1 + 2^-24 to single: a tie */
    TEST_FCVT_S_D(dyn, 0x3f800000, NX, 0x3ff0000010000000)
    SET_FRM(RDN)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_D(fadd.d, dyn, 0x3ff0000000000000, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_D(fadd.d, dyn, 0xbff0000000000001, NX, 0xbff0000000000000, 0xbca0000000000000)
    /* 1/3 */
    TEST_FP_RR_D(fdiv.d, dyn, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    /* sqrt(2) */
    TEST_FP_R_D(fsqrt.d, dyn, 0x3ff6a09e667f3bcc, NX, 0x4000000000000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_D(fmadd.d, dyn, 0x3cc0000000000000, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    /* MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0x7fefffffffffffff, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0xfff0000000000000, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_D(fmul.d, dyn, 0x0000000000000000, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0x0000000000000002, NX, 0x4004000000000000)
    /* -2.5 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0xfffffffffffffffd, NX, 0xc004000000000000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_D(fcvt.wu.d, dyn, 0x0000000000000000, NV, 0xbfe0000000000000)
    /* 2^53+1 to double: a tie */
    TEST_FCVT_D_X(fcvt.d.l, dyn, 0x4340000000000000, NX, 0x0020000000000001)
    /* 1 + 2^-24 to single: a tie */
    TEST_FCVT_S_D(dyn, 0x3f800000, NX, 0x3ff0000010000000)
    SET_FRM(RUP)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_D(fadd.d, dyn, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_D(fadd.d, dyn, 0xbff0000000000000, NX, 0xbff0000000000000, 0xbca0000000000000)
    /* 1/3 */
    TEST_FP_RR_D(fdiv.d, dyn, 0x3fd5555555555556, NX, 0x3ff0000000000000, 0x4008000000000000)
    /* sqrt(2) */
    TEST_FP_R_D(fsqrt.d, dyn, 0x3ff6a09e667f3bcd, NX, 0x4000000000000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_D(fmadd.d, dyn, 0x3cc0000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    /* MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0xffefffffffffffff, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_D(fmul.d, dyn, 0x0000000000000001, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0x0000000000000003, NX, 0x4004000000000000)
    /* -2.5 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0xfffffffffffffffe, NX, 0xc004000000000000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_D(fcvt.wu.d, dyn, 0x0000000000000000, NX, 0xbfe0000000000000)
    /* 2^53+1 to double: a tie */
    TEST_FCVT_D_X(fcvt.d.l, dyn, 0x4340000000000001, NX, 0x0020000000000001)
    /* 1 + 2^-24 to single: a tie */
    TEST_FCVT_S_D(dyn, 0x3f800001, NX, 0x3ff0000010000000)
    SET_FRM(RMM)
    /* 1 + half an ulp: a tie */
    TEST_FP_RR_D(fadd.d, dyn, 0x3ff0000000000001, NX, 0x3ff0000000000000, 0x3ca0000000000000)
    /* -1 - half an ulp: a negative tie */
    TEST_FP_RR_D(fadd.d, dyn, 0xbff0000000000001, NX, 0xbff0000000000000, 0xbca0000000000000)
    /* 1/3 */
    TEST_FP_RR_D(fdiv.d, dyn, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    /* sqrt(2) */
    TEST_FP_R_D(fsqrt.d, dyn, 0x3ff6a09e667f3bcd, NX, 0x4000000000000000)
    /* (1+ulp)^2 - 1, rounded once */
    TEST_FP_RRR_D(fmadd.d, dyn, 0x3cc0000000000001, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000)
    /* MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0x7ff0000000000000, OF|NX, 0x7fefffffffffffff, 0x4000000000000000)
    /* -MAX * 2: overflow */
    TEST_FP_RR_D(fmul.d, dyn, 0xfff0000000000000, OF|NX, 0xffefffffffffffff, 0x4000000000000000)
    /* min subnormal / 2: a tie between 0 and min subnormal */
    TEST_FP_RR_D(fmul.d, dyn, 0x0000000000000001, UF|NX, 0x0000000000000001, 0x3fe0000000000000)
    /* 2.5 to int32: a tie */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0x0000000000000003, NX, 0x4004000000000000)
    /* -2.5 to int32 */
    TEST_FCVT_X_D(fcvt.w.d, dyn, 0xfffffffffffffffd, NX, 0xc004000000000000)
    /* -0.5 to uint32: valid only if it rounds to zero */
    TEST_FCVT_X_D(fcvt.wu.d, dyn, 0x0000000000000000, NV, 0xbfe0000000000000)
    /* 2^53+1 to double: a tie */
    TEST_FCVT_D_X(fcvt.d.l, dyn, 0x4340000000000001, NX, 0x0020000000000001)
    /* 1 + 2^-24 to single: a tie */
    TEST_FCVT_S_D(dyn, 0x3f800001, NX, 0x3ff0000010000000)
    SET_FRM(RNE)

    TEST_PASS

    .data
    .balign 8
fp_data:
    .dword 0x7ff4000000000abc, 0x8000000000000001, 0, 0
