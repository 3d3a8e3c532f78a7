/*
 * test.h: framework for faultline's ISA tests.
 *
 * Each isa/NAME.S includes this header, names itself with TEST_FILE(NAME),
 * and then runs straight-line checks built from the macros below, ending
 * with TEST_PASS.  There is no libc: output and exit go through ecall
 * (write = 64, exit = 93).  On success a test prints
 *     PASS NAME (N checks)
 * and exits 0.  The first failing check prints
 *     FAIL NAME #N name: got 0x..., expected 0x...
 * (or "fflags got ..." when the accrued FP flags are wrong) and exits 1.
 *
 * Register use: s10 holds the number of the current check and s11 its name;
 * the check macros clobber t0, t4, t5 and t6 (and a0-a2 for the operand
 * macros).  Test code must leave s10, s11, gp, tp and sp alone.
 *
 * Expected values are written from the RISC-V specification, not from what
 * some implementation returns.
 */
#ifndef TEST_H
#define TEST_H

#define SYS_write   64
#define SYS_exit    93
#define SYS_munmap  215
#define SYS_mmap    222

#define PROT_READ   1
#define PROT_WRITE  2
#define PROT_EXEC   4
#define MAP_PRIVATE   0x02
#define MAP_ANONYMOUS 0x20

#define TESTNUM  s10
#define TESTNAME s11

/* fflags bits: invalid, divide by zero, overflow, underflow, inexact. */
#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01

/* frm encodings (the same numbers as the static rm field). */
#define RNE 0
#define RTZ 1
#define RDN 2
#define RUP 3
#define RMM 4

/* Names the test file in its PASS/FAIL lines, and in the symbol table
 * (otherwise the linker records the compiler's random temporary object
 * name there, and the binary would differ from build to build). */
#define TEST_FILE(name) \
    .file #name; \
    .pushsection .rodata; test_file_name: .asciz #name; .popsection

/* Starts a new check called `name`; the name may be any tokens without a
 * comma and is stringified. */
#define SET_TEST(name) \
    .pushsection .rodata; 8880: .asciz #name; .popsection; \
    la TESTNAME, 8880b; \
    addi TESTNUM, TESTNUM, 1

/* Fails the current check unless reg == expected (64-bit compare). */
#define CHECK(reg, expected) \
    mv t5, reg; li t6, expected; \
    beq t5, t6, 8881f; j test_fail; 8881:

/* As CHECK for a 32-bit result: expected is sign-extended from bit 31, as
 * RV64 does with every W-sized result. */
#define CHECK_W(reg, expected) \
    mv t5, reg; li t6, expected; addiw t6, t6, 0; \
    beq t5, t6, 8882f; j test_fail; 8882:

/* Fails unless the accrued FP flags equal `flags`. */
#define CHECK_FLAGS(flags) \
    frflags t5; li t6, flags; \
    beq t5, t6, 8883f; j test_fail_flags; 8883:

/* Generic check: run `code` (statements separated by ';'), then compare. */
#define TEST_CASE(name, reg, expected, ...) \
    SET_TEST(name); __VA_ARGS__; CHECK(reg, expected)

#define TEST_CASE_W(name, reg, expected, ...) \
    SET_TEST(name); __VA_ARGS__; CHECK_W(reg, expected)

/* Integer operand macros: the check is named after the instruction. */
#define TEST_RR(inst, result, a, b) \
    TEST_CASE(inst, a0, result, li a1, a; li a2, b; inst a0, a1, a2)
#define TEST_IMM(inst, result, a, imm) \
    TEST_CASE(inst, a0, result, li a1, a; inst a0, a1, imm)
/* Destination equal to a source: the result must not be computed from a
 * half-written register. */
#define TEST_RR_SRC1_EQ_DEST(inst, result, a, b) \
    TEST_CASE(inst rd=rs1, a1, result, li a1, a; li a2, b; inst a1, a1, a2)
#define TEST_RR_SRC2_EQ_DEST(inst, result, a, b) \
    TEST_CASE(inst rd=rs2, a2, result, li a1, a; li a2, b; inst a2, a1, a2)
#define TEST_RR_SRC12_EQ_DEST(inst, result, a) \
    TEST_CASE(inst rd=rs1=rs2, a1, result, li a1, a; inst a1, a1, a1)
/* Writes to x0 are discarded. */
#define TEST_RR_ZERODEST(inst, a, b) \
    TEST_CASE(inst rd=x0, x0, 0, li a1, a; li a2, b; inst x0, a1, a2)

/* ---- floating point -------------------------------------------------
 * Operands and results are given as bit patterns.  Single-precision
 * operands are loaded with fmv.w.x, which NaN-boxes them; single results
 * are checked as the full 64-bit register, so the boxing (upper 32 bits all
 * ones) is checked with every result.  fflags is cleared before each
 * operation and compared exactly afterwards. */
#define LOAD_D(freg, bits) li t0, bits; fmv.d.x freg, t0
#define LOAD_S(freg, bits) li t0, bits; fmv.w.x freg, t0
#define CHECK_D(freg, bits) fmv.x.d t4, freg; CHECK(t4, bits)
#define CHECK_S(freg, bits) \
    fmv.x.d t4, freg; CHECK(t4, 0xffffffff00000000 | ((bits) & 0xffffffff))
#define CLEAR_FLAGS csrwi fflags, 0

/* fd = op(fa, fb) with rounding mode rm (a static mode or dyn). */
#define TEST_FP_RR_D(inst, rm, result, flags, a, b) \
    SET_TEST(inst rm); LOAD_D(fa1, a); LOAD_D(fa2, b); CLEAR_FLAGS; \
    inst fa0, fa1, fa2, rm; CHECK_FLAGS(flags); CHECK_D(fa0, result)
#define TEST_FP_RR_S(inst, rm, result, flags, a, b) \
    SET_TEST(inst rm); LOAD_S(fa1, a); LOAD_S(fa2, b); CLEAR_FLAGS; \
    inst fa0, fa1, fa2, rm; CHECK_FLAGS(flags); CHECK_S(fa0, result)

/* Operations without a rounding mode (sign injection, min/max). */
#define TEST_FP_RR_NORM_D(inst, result, flags, a, b) \
    SET_TEST(inst); LOAD_D(fa1, a); LOAD_D(fa2, b); CLEAR_FLAGS; \
    inst fa0, fa1, fa2; CHECK_FLAGS(flags); CHECK_D(fa0, result)
#define TEST_FP_RR_NORM_S(inst, result, flags, a, b) \
    SET_TEST(inst); LOAD_S(fa1, a); LOAD_S(fa2, b); CLEAR_FLAGS; \
    inst fa0, fa1, fa2; CHECK_FLAGS(flags); CHECK_S(fa0, result)

/* fd = op(fa, fb, fc) for the fused multiply-adds. */
#define TEST_FP_RRR_D(inst, rm, result, flags, a, b, c) \
    SET_TEST(inst rm); LOAD_D(fa1, a); LOAD_D(fa2, b); LOAD_D(fa3, c); \
    CLEAR_FLAGS; inst fa0, fa1, fa2, fa3, rm; \
    CHECK_FLAGS(flags); CHECK_D(fa0, result)
#define TEST_FP_RRR_S(inst, rm, result, flags, a, b, c) \
    SET_TEST(inst rm); LOAD_S(fa1, a); LOAD_S(fa2, b); LOAD_S(fa3, c); \
    CLEAR_FLAGS; inst fa0, fa1, fa2, fa3, rm; \
    CHECK_FLAGS(flags); CHECK_S(fa0, result)

/* fd = op(fa) (square root, FP-to-FP conversion). */
#define TEST_FP_R_D(inst, rm, result, flags, a) \
    SET_TEST(inst rm); LOAD_D(fa1, a); CLEAR_FLAGS; \
    inst fa0, fa1, rm; CHECK_FLAGS(flags); CHECK_D(fa0, result)
#define TEST_FP_R_S(inst, rm, result, flags, a) \
    SET_TEST(inst rm); LOAD_S(fa1, a); CLEAR_FLAGS; \
    inst fa0, fa1, rm; CHECK_FLAGS(flags); CHECK_S(fa0, result)

/* FP-to-FP conversions between the two formats. */
#define TEST_FCVT_S_D(rm, result, flags, a) \
    SET_TEST(fcvt.s.d rm); LOAD_D(fa1, a); CLEAR_FLAGS; \
    fcvt.s.d fa0, fa1, rm; CHECK_FLAGS(flags); CHECK_S(fa0, result)
#define TEST_FCVT_D_S(result, flags, a) \
    SET_TEST(fcvt.d.s); LOAD_S(fa1, a); CLEAR_FLAGS; \
    fcvt.d.s fa0, fa1; CHECK_FLAGS(flags); CHECK_D(fa0, result)

/* x = op(fa, fb) (comparisons), x = op(fa) (fclass): integer results. */
#define TEST_FP_CMP_D(inst, result, flags, a, b) \
    SET_TEST(inst); LOAD_D(fa1, a); LOAD_D(fa2, b); CLEAR_FLAGS; \
    inst a0, fa1, fa2; CHECK_FLAGS(flags); CHECK(a0, result)
#define TEST_FP_CMP_S(inst, result, flags, a, b) \
    SET_TEST(inst); LOAD_S(fa1, a); LOAD_S(fa2, b); CLEAR_FLAGS; \
    inst a0, fa1, fa2; CHECK_FLAGS(flags); CHECK(a0, result)
#define TEST_FCLASS_D(result, a) \
    SET_TEST(fclass.d); LOAD_D(fa1, a); CLEAR_FLAGS; \
    fclass.d a0, fa1; CHECK_FLAGS(0); CHECK(a0, result)
#define TEST_FCLASS_S(result, a) \
    SET_TEST(fclass.s); LOAD_S(fa1, a); CLEAR_FLAGS; \
    fclass.s a0, fa1; CHECK_FLAGS(0); CHECK(a0, result)

/* x = fcvt.{w,wu,l,lu}.{s,d}(fa): result is the full 64-bit register
 * (W forms sign-extend their 32-bit result). */
#define TEST_FCVT_X_D(inst, rm, result, flags, a) \
    SET_TEST(inst rm); LOAD_D(fa1, a); CLEAR_FLAGS; \
    inst a0, fa1, rm; CHECK_FLAGS(flags); CHECK(a0, result)
#define TEST_FCVT_X_S(inst, rm, result, flags, a) \
    SET_TEST(inst rm); LOAD_S(fa1, a); CLEAR_FLAGS; \
    inst a0, fa1, rm; CHECK_FLAGS(flags); CHECK(a0, result)

/* fd = fcvt.{s,d}.{w,wu,l,lu}(x). */
#define TEST_FCVT_D_X(inst, rm, result, flags, a) \
    SET_TEST(inst rm); li a1, a; CLEAR_FLAGS; \
    inst fa0, a1, rm; CHECK_FLAGS(flags); CHECK_D(fa0, result)
#define TEST_FCVT_S_X(inst, rm, result, flags, a) \
    SET_TEST(inst rm); li a1, a; CLEAR_FLAGS; \
    inst fa0, a1, rm; CHECK_FLAGS(flags); CHECK_S(fa0, result)

/* fcvt.d.w and fcvt.d.wu are always exact and take no rounding mode. */
#define TEST_FCVT_D_X_EXACT(inst, result, flags, a) \
    SET_TEST(inst); li a1, a; CLEAR_FLAGS; \
    inst fa0, a1; CHECK_FLAGS(flags); CHECK_D(fa0, result)

/* Dynamic rounding: frm is set by the test; dyn reads it. */
#define SET_FRM(mode) fsrmi mode

/* Ends the test file: every check passed. */
#define TEST_PASS j test_pass

    .section .note.GNU-stack, "", @progbits
    /* Static executables: `la` is a plain pc-relative address, no GOT.
     * No linker relaxation: code stays exactly as written, so alignment
     * directives hold and label differences are assembly-time constants. */
    .option nopic
    .option norelax

    .pushsection .rodata
str_fail:     .asciz "FAIL "
str_pass:     .asciz "PASS "
str_hash:     .asciz " #"
str_space:    .asciz " "
str_got:      .asciz ": got "
str_flags:    .asciz ": fflags got "
str_expected: .asciz ", expected "
str_checks_a: .asciz " ("
str_checks_b: .asciz " checks)\n"
str_nl:       .asciz "\n"
str_none:     .asciz "(start)"
    .popsection

    .text
/* put_str: write(1, a0, strlen(a0)).  Clobbers a0-a2, a7, t0. */
put_str:
    mv a1, a0
    mv t0, a0
1:  lbu a2, 0(t0)
    beqz a2, 2f
    addi t0, t0, 1
    j 1b
2:  sub a2, t0, a1
    li a0, 1
    li a7, SYS_write
    ecall
    ret

/* put_hex: print a0 as "0x" and 16 hex digits.  Clobbers a0-a2, a7,
 * t0-t3. */
put_hex:
    addi sp, sp, -32
    sd ra, 24(sp)
    li t0, '0'
    sb t0, 0(sp)
    li t0, 'x'
    sb t0, 1(sp)
    sb zero, 18(sp)
    addi t2, sp, 17         /* last digit */
    addi t3, sp, 2          /* first digit */
    mv t1, a0
1:  andi t0, t1, 15
    addi t0, t0, '0'
    li a1, '9'
    ble t0, a1, 2f
    addi t0, t0, 'a' - '0' - 10
2:  sb t0, 0(t2)
    srli t1, t1, 4
    addi t2, t2, -1
    bgeu t2, t3, 1b
    mv a0, sp
    call put_str
    ld ra, 24(sp)
    addi sp, sp, 32
    ret

/* put_dec: print a0 as an unsigned decimal.  Clobbers a0-a2, a7, t0-t3. */
put_dec:
    addi sp, sp, -48
    sd ra, 40(sp)
    sb zero, 31(sp)
    addi t2, sp, 31
    mv t1, a0
    li t3, 10
1:  remu t0, t1, t3
    addi t0, t0, '0'
    addi t2, t2, -1
    sb t0, 0(t2)
    divu t1, t1, t3
    bnez t1, 1b
    mv a0, t2
    call put_str
    ld ra, 40(sp)
    addi sp, sp, 48
    ret

/* Reached with t5 = value found, t6 = value expected. */
test_fail_flags:
    la s3, str_flags
    j 1f
test_fail:
    la s3, str_got
1:  mv s0, t5
    mv s1, t6
    la a0, str_fail
    call put_str
    la a0, test_file_name
    call put_str
    la a0, str_hash
    call put_str
    mv a0, TESTNUM
    call put_dec
    la a0, str_space
    call put_str
    mv a0, TESTNAME
    call put_str
    mv a0, s3
    call put_str
    mv a0, s0
    call put_hex
    la a0, str_expected
    call put_str
    mv a0, s1
    call put_hex
    la a0, str_nl
    call put_str
    li a0, 1
    li a7, SYS_exit
    ecall

test_pass:
    la a0, str_pass
    call put_str
    la a0, test_file_name
    call put_str
    la a0, str_checks_a
    call put_str
    mv a0, TESTNUM
    call put_dec
    la a0, str_checks_b
    call put_str
    li a0, 0
    li a7, SYS_exit
    ecall

/* Entry point: the including file's checks follow directly.  They are
 * assembled without the C extension, so that every instruction a test
 * names is checked in its 32-bit encoding (the assembler would otherwise
 * silently compress e.g. `add a1, a1, a2` or `ebreak`); rv64c.S turns it
 * back on. */
    .option norvc
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    li TESTNUM, 0
    la TESTNAME, str_none

#endif
