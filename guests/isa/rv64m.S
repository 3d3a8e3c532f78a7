/*
 * rv64m: multiply and divide, including the cases the specification
 * defines instead of trapping: division by zero (quotient all ones,
 * remainder = dividend) and signed overflow (MIN / -1 = MIN, remainder 0).
 */
#include "test.h"
TEST_FILE(rv64m)

#define MIN64 0x8000000000000000
#define MAX64 0x7fffffffffffffff

    TEST_RR(mul, 21, 3, 7)
    TEST_RR(mul, 1, -1, -1)
    TEST_RR(mul, -21, -3, 7)
    TEST_RR(mul, MIN64, MIN64, -1)          /* wraps */
    TEST_RR(mul, 0x2236d88fe5618cf0, 0x0123456789abcdef, 0xfedcba9876543210)
    TEST_RR(mul, 0, 0x100000000, 0x100000000)
    TEST_RR_SRC12_EQ_DEST(mul, 169, 13)
    TEST_RR_ZERODEST(mul, 3, 7)

    TEST_RR(mulh, 0, 3, 7)
    TEST_RR(mulh, -1, -3, 7)
    TEST_RR(mulh, 0, -1, -1)
    TEST_RR(mulh, 0x4000000000000000, MIN64, MIN64)
    TEST_RR(mulh, 0xc000000000000000, MIN64, MAX64)
    TEST_RR(mulh, 0xfffeb49923cc0953, 0x0123456789abcdef, 0xfedcba9876543210)
    TEST_RR(mulh, 0x14b66dc33f6ac, 0xfedcba9876543210, 0xfedcba9876543210)

    TEST_RR(mulhu, 0, 3, 7)
    TEST_RR(mulhu, 0xfffffffffffffffe, -1, -1)
    TEST_RR(mulhu, 0x4000000000000000, MIN64, MIN64)
    TEST_RR(mulhu, 0x121fa00ad77d742, 0x0123456789abcdef, 0xfedcba9876543210)
    TEST_RR(mulhu, 0xfdbac097c8dc5acc, 0xfedcba9876543210, 0xfedcba9876543210)

    /* mulhsu: rs1 signed, rs2 unsigned. */
    TEST_RR(mulhsu, 0, 3, 7)
    TEST_RR(mulhsu, -1, -1, -1)             /* -1 * (2^64-1) */
    TEST_RR(mulhsu, 0xfffeb49923cc0953, 0xfedcba9876543210, 0x0123456789abcdef)
    TEST_RR(mulhsu, 0x121fa00ad77d742, 0x0123456789abcdef, 0xfedcba9876543210)
    TEST_RR(mulhsu, 0xc000000000000000, MIN64, MIN64)

    TEST_RR(div, 3, 20, 6)
    TEST_RR(div, -3, -20, 6)                /* rounds towards zero */
    TEST_RR(div, -3, 20, -6)
    TEST_RR(div, 3, -20, -6)
    TEST_RR(div, -1, 20, 0)                 /* by zero: all ones */
    TEST_RR(div, -1, -20, 0)
    TEST_RR(div, MIN64, MIN64, -1)          /* overflow */
    TEST_RR(div, MIN64, MIN64, 1)
    TEST_RR_SRC12_EQ_DEST(div, 1, 13)

    TEST_RR(divu, 3, 20, 6)
    TEST_RR(divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
    TEST_RR(divu, 0, 20, -6)
    TEST_RR(divu, -1, 20, 0)                /* by zero: 2^64-1 */
    TEST_RR(divu, 0, MIN64, -1)
    TEST_RR(divu, 1, -1, -1)

    TEST_RR(rem, 2, 20, 6)
    TEST_RR(rem, -2, -20, 6)                /* sign of the dividend */
    TEST_RR(rem, 2, 20, -6)
    TEST_RR(rem, -2, -20, -6)
    TEST_RR(rem, 20, 20, 0)                 /* by zero: the dividend */
    TEST_RR(rem, -20, -20, 0)
    TEST_RR(rem, 0, MIN64, -1)              /* overflow */
    TEST_RR(rem, 0, MIN64, 1)

    TEST_RR(remu, 2, 20, 6)
    TEST_RR(remu, 2, -20, 6)                /* (2^64-20) mod 6 */
    TEST_RR(remu, 20, 20, -6)
    TEST_RR(remu, 20, 20, 0)
    TEST_RR(remu, -20, -20, 0)
    TEST_RR(remu, MIN64, MIN64, -1)

    /* W forms use the low 32 bits of their operands and sign-extend. */
    TEST_RR(mulw, 21, 3, 7)
    TEST_RR(mulw, 0xffffffffe242d208, 0xdeadbeef12345678, 0x1234567809abcdef)
    TEST_RR(mulw, 0xffffffff80000000, 0x40000000, 2)
    TEST_RR(mulw, 0, 0x100000000, 5)
    TEST_RR(mulw, 1, 0xffffffff, 0xffffffff)

    TEST_RR(divw, 3, 20, 6)
    TEST_RR(divw, -3, -20, 6)
    TEST_RR(divw, -3, 0x12345678ffffffec, 6)   /* low word is -20 */
    TEST_RR(divw, -1, 20, 0)
    TEST_RR(divw, -1, 20, 0x100000000)      /* low word of rs2 is 0 */
    TEST_RR(divw, 0xffffffff80000000, 0x80000000, -1)   /* overflow */
    TEST_RR(divw, 0xffffffff80000000, 0x80000000, 1)

    TEST_RR(divuw, 3, 20, 6)
    TEST_RR(divuw, 0x2aaaaaa7, -20, 6)
    TEST_RR(divuw, -1, 20, 0)               /* 0xffffffff, sign-extended */
    TEST_RR(divuw, -1, 0xffffffff, 1)
    TEST_RR(divuw, 0xffffffff80000000, 0x80000000, 1)
    TEST_RR(divuw, 0, 0x80000000, -1)

    TEST_RR(remw, 2, 20, 6)
    TEST_RR(remw, -2, -20, 6)
    TEST_RR(remw, 20, 20, 0)
    TEST_RR(remw, 0xffffffff80000000, 0x80000000, 0)    /* dividend, sign-extended */
    TEST_RR(remw, 0, 0x80000000, -1)        /* overflow */
    TEST_RR(remw, -2, 0x00000000ffffffec, 0x0000000100000006)

    TEST_RR(remuw, 2, 20, 6)
    TEST_RR(remuw, 2, -20, 6)               /* (2^32-20) mod 6 */
    TEST_RR(remuw, 20, 20, 0)
    TEST_RR(remuw, 0xffffffff80000000, 0x80000000, 0)
    TEST_RR(remuw, -1, 0xffffffff, 0)
    TEST_RR(remuw, 0x7fffffff, 0x7fffffff, 0xffffffff)
    TEST_RR_ZERODEST(divw, 20, 6)

    TEST_PASS
