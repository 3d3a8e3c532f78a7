/*
 * rv64i: every RV64I base instruction (ecall is covered by the framework
 * itself and by the register-preservation check below; ebreak needs a
 * signal handler and lives in trap.S; fence in fence.S).
 */
#include "test.h"
TEST_FILE(rv64i)

/* Branch checks: a taken branch must go to its target (forwards and
 * backwards), an untaken one must fall through. */
#define TEST_BR_TAKEN(inst, a, b) \
    TEST_CASE(inst taken, a0, 3, \
        li a1, a; li a2, b; li a0, 0; \
        inst a1, a2, 8884f; j 8887f; \
        8885: addi a0, a0, 2; j 8887f; \
        8884: addi a0, a0, 1; inst a1, a2, 8885b; 8887:)
#define TEST_BR_NOT_TAKEN(inst, a, b) \
    TEST_CASE(inst not taken, a0, 1, \
        li a1, a; li a2, b; li a0, 0; \
        inst a1, a2, 8884f; addi a0, a0, 1; 8884:)

    /* ---- lui / auipc ---- */
    TEST_CASE(lui, a0, 0x12345000, lui a0, 0x12345)
    TEST_CASE(lui sign-extends, a0, 0xffffffff80000000, lui a0, 0x80000)
    TEST_CASE(lui all ones, a0, 0xfffffffffffff000, lui a0, 0xfffff)
    TEST_CASE(lui zero, a0, 0, li a0, -1; lui a0, 0)
    TEST_CASE(auipc 0, a0, 0, 1: auipc a0, 0; la a1, 1b; sub a0, a0, a1)
    TEST_CASE(auipc +page, a0, 0x1000, 1: auipc a0, 1; la a1, 1b; sub a0, a0, a1)
    TEST_CASE(auipc negative, a0, -0x80000000,
        1: auipc a0, 0x80000; la a1, 1b; sub a0, a0, a1)

    /* ---- jal / jalr ---- */
    TEST_CASE(jal link, a0, 0,
        jal a0, 1f; 2: nop; 1: la a1, 2b; sub a0, a0, a1)
    TEST_CASE(jal backward, a0, 2,
        li a0, 0; j 2f; 1: addi a0, a0, 1; j 3f; 2: addi a0, a0, 1; jal x0, 1b; 3:)
    TEST_CASE(jal x0 no link, x0, 0, jal x0, 1f; 1:)
    TEST_CASE(jalr, a0, 0,
        la a2, 1f; jalr a0, 0(a2); 2: nop; 1: la a1, 2b; sub a0, a0, a1)
    TEST_CASE(jalr offset, a3, 7,
        li a3, 0; la a2, 1f - 8; jalr a0, 8(a2); li a3, 1; 1: addi a3, a3, 7)
    TEST_CASE(jalr negative offset, a3, 5,
        li a3, 0; la a2, 1f + 16; jalr a0, -16(a2); li a3, 1; 1: addi a3, a3, 5)
    /* The target's bit 0 is cleared. */
    TEST_CASE(jalr clears bit 0, a3, 9,
        li a3, 0; la a2, 1f + 1; jalr a0, 0(a2); li a3, 1; 1: addi a3, a3, 9)
    /* rd == rs1: the target comes from the old value. */
    TEST_CASE(jalr rd=rs1, a1, 0,
        la a0, 1f; jalr a0, 0(a0); 2: nop; 1: la a1, 2b; sub a1, a0, a1)

    /* ---- branches ---- */
    TEST_BR_TAKEN(beq, 5, 5)
    TEST_BR_TAKEN(beq, -1, -1)
    TEST_BR_NOT_TAKEN(beq, 5, 6)
    TEST_BR_NOT_TAKEN(beq, 0x100000000, 0)
    TEST_BR_TAKEN(bne, 5, 6)
    TEST_BR_TAKEN(bne, 0x100000000, 0)
    TEST_BR_NOT_TAKEN(bne, 7, 7)
    TEST_BR_TAKEN(blt, -1, 0)
    TEST_BR_TAKEN(blt, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_BR_NOT_TAKEN(blt, 0, -1)
    TEST_BR_NOT_TAKEN(blt, 3, 3)
    TEST_BR_TAKEN(bge, 0, -1)
    TEST_BR_TAKEN(bge, 3, 3)
    TEST_BR_NOT_TAKEN(bge, -1, 0)
    TEST_BR_NOT_TAKEN(bge, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_BR_TAKEN(bltu, 0, -1)
    TEST_BR_TAKEN(bltu, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_BR_NOT_TAKEN(bltu, -1, 0)
    TEST_BR_NOT_TAKEN(bltu, 3, 3)
    TEST_BR_TAKEN(bgeu, -1, 0)
    TEST_BR_TAKEN(bgeu, 3, 3)
    TEST_BR_NOT_TAKEN(bgeu, 0, -1)
    TEST_BR_NOT_TAKEN(bgeu, 1, 2)

    /* ---- loads ---- */
    TEST_CASE(lb, a0, 0xffffffffffffff81, la a1, ldata; lb a0, 0(a1))
    TEST_CASE(lb positive, a0, 0x7f, la a1, ldata; lb a0, 1(a1))
    TEST_CASE(lbu, a0, 0x81, la a1, ldata; lbu a0, 0(a1))
    TEST_CASE(lh, a0, 0xffffffffffff8281, la a1, ldata + 6; lh a0, -2(a1))
    TEST_CASE(lh positive, a0, 0x7283, la a1, ldata; lh a0, 2(a1))
    TEST_CASE(lhu, a0, 0x8281, la a1, ldata; lhu a0, 4(a1))
    TEST_CASE(lw, a0, 0xffffffff84838281, la a1, ldata; lw a0, 4(a1))
    TEST_CASE(lw positive, a0, 0x72837f81, la a1, ldata; lw a0, 0(a1))
    TEST_CASE(lwu, a0, 0x84838281, la a1, ldata; lwu a0, 4(a1))
    TEST_CASE(ld, a0, 0x8483828172837f81, la a1, ldata; ld a0, 0(a1))
    TEST_CASE(ld offset, a0, 0x0123456789abcdef, la a1, ldata; ld a0, 8(a1))
    TEST_CASE(ld negative offset, a0, 0x0123456789abcdef,
        la a1, ldata + 2048; ld a0, -2040(a1))
    /* A load into its own base register. */
    TEST_CASE(ld rd=rs1, a1, 0x0123456789abcdef, la a1, ldata; ld a1, 8(a1))
    /* Misaligned accesses work for user programs on Linux (the kernel
     * emulates them where the hardware does not). */
    TEST_CASE(ld misaligned, a0, 0xef8483828172837f, la a1, ldata; ld a0, 1(a1))
    TEST_CASE(lw misaligned, a0, 0xffffffff83828172, la a1, ldata; lw a0, 3(a1))
    TEST_CASE(lhu misaligned, a0, 0x837f, la a1, ldata; lhu a0, 1(a1))
    TEST_CASE(ld to x0, x0, 0, la a1, ldata; ld x0, 0(a1))

    /* ---- stores ---- */
    TEST_CASE(sb, a0, 0x55555555555555aa,
        la a1, sdata; li a2, 0x5555555555555555; sd a2, 0(a1);
        li a3, 0x12aa; sb a3, 0(a1); ld a0, 0(a1))
    TEST_CASE(sb offset, a0, 0x55aa555555555555,
        la a1, sdata; li a2, 0x5555555555555555; sd a2, 0(a1);
        li a3, 0xaa; sb a3, 6(a1); ld a0, 0(a1))
    TEST_CASE(sh, a0, 0x555555555555beef,
        la a1, sdata; li a2, 0x5555555555555555; sd a2, 0(a1);
        li a3, 0x1234beef; sh a3, 0(a1); ld a0, 0(a1))
    TEST_CASE(sw, a0, 0x55555555deadbeef,
        la a1, sdata; li a2, 0x5555555555555555; sd a2, 0(a1);
        li a3, 0x12345678deadbeef; sw a3, 0(a1); ld a0, 0(a1))
    TEST_CASE(sw negative offset, a0, 0xdeadbeef55555555,
        la a1, sdata + 8; li a2, 0x5555555555555555; sd a2, -8(a1);
        li a3, 0xdeadbeef; sw a3, -4(a1); ld a0, -8(a1))
    TEST_CASE(sd, a0, 0x0123456789abcdef,
        la a1, sdata; li a2, 0x0123456789abcdef; sd a2, 8(a1); ld a0, 8(a1))
    TEST_CASE(sd misaligned, a0, 0x23456789abcdef55,
        la a1, sdata; li a2, 0x5555555555555555; sd a2, 0(a1); sd a2, 8(a1);
        li a3, 0x0123456789abcdef; sd a3, 1(a1); ld a0, 0(a1))
    TEST_CASE(sw misaligned, a0, 0x5555deadbeef5555,
        la a1, sdata; li a2, 0x5555555555555555; sd a2, 0(a1);
        li a3, 0xdeadbeef; sw a3, 2(a1); ld a0, 0(a1))

    /* ---- register-immediate ---- */
    TEST_IMM(addi, 3, 1, 2)
    TEST_IMM(addi, 0, 1, -1)
    TEST_IMM(addi, 0x80000000000007fe, 0x7fffffffffffffff, 0x7ff)
    TEST_IMM(addi, 0x7ffffffffffff800, 0x8000000000000000, -0x800)
    TEST_IMM(addi, -0x800, 0, -0x800)
    TEST_CASE(addi x0 source, a0, 42, addi a0, x0, 42)
    TEST_CASE(addi x0 dest, x0, 0, addi x0, x0, 42)
    TEST_IMM(slti, 1, -1, 0)
    TEST_IMM(slti, 0, 0, -1)
    TEST_IMM(slti, 0, 5, 5)
    TEST_IMM(slti, 1, 0x8000000000000000, -0x800)
    TEST_IMM(sltiu, 1, 0, -1)      /* -1 becomes 0xffff...ffff */
    TEST_IMM(sltiu, 0, -1, 1)
    TEST_IMM(sltiu, 1, 0, 1)       /* seqz */
    TEST_IMM(sltiu, 0, 5, 5)
    TEST_IMM(xori, 0xfffffffffffff0f0, 0x0f0f, -1)    /* not */
    TEST_IMM(xori, 0x00ff00ff00ff0fff, 0x00ff00ff00ff0f00, 0x0ff)
    TEST_IMM(xori, 0xff00ff00ff00f00f, 0x00ff00ff00ff0f00, -0xf1)
    TEST_IMM(ori, 0xffffffffffffff0f, 0x0f0f, -0xf1)
    TEST_IMM(ori, 0x123456780000070f, 0x123456780000000f, 0x700)
    TEST_IMM(andi, 0x700, 0xff00ff00, 0x70f)
    TEST_IMM(andi, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0f, -0x10)
    TEST_IMM(andi, 0, 0xffffffffffffffff, 0)
    TEST_IMM(slli, 2, 1, 1)
    TEST_IMM(slli, 0x8000000000000000, 1, 63)
    TEST_IMM(slli, 0x100000000, 1, 32)
    TEST_IMM(slli, 0x2468ace013579bde, 0x1234567009abcdef, 1)
    TEST_IMM(srli, 0x4000000000000000, 0x8000000000000000, 1)
    TEST_IMM(srli, 1, 0x8000000000000000, 63)
    TEST_IMM(srli, 0xffffffff, 0xffffffffffffffff, 32)
    TEST_IMM(srli, 0xffffffffffffffff, 0xffffffffffffffff, 0)
    TEST_IMM(srai, 0xc000000000000000, 0x8000000000000000, 1)
    TEST_IMM(srai, -1, 0x8000000000000000, 63)
    TEST_IMM(srai, 0x3fffffffffffffff, 0x7fffffffffffffff, 1)
    TEST_IMM(srai, 0xffffffff80000000, 0x8000000000000000, 32)

    /* ---- register-register ---- */
    TEST_RR(add, 3, 1, 2)
    TEST_RR(add, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RR(add, 0, -1, 1)
    TEST_RR(add, 0x100000000, 0xffffffff, 1)
    TEST_RR_SRC1_EQ_DEST(add, 24, 13, 11)
    TEST_RR_SRC2_EQ_DEST(add, 25, 14, 11)
    TEST_RR_SRC12_EQ_DEST(add, 26, 13)
    TEST_RR_ZERODEST(add, 1, 2)
    TEST_RR(sub, -1, 1, 2)
    TEST_RR(sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
    TEST_RR(sub, 0, 0x123456789, 0x123456789)
    TEST_RR_SRC12_EQ_DEST(sub, 0, 13)
    TEST_RR(sll, 0x80, 1, 7)
    TEST_RR(sll, 0x8000000000000000, 1, 63)
    TEST_RR(sll, 2, 1, 65)                  /* only rs2[5:0] counts */
    TEST_RR(sll, 0x1234, 0x1234, 0xffffffffffffffc0)
    TEST_RR(slt, 1, -2, -1)
    TEST_RR(slt, 0, -1, -2)
    TEST_RR(slt, 1, 0x8000000000000000, 0)
    TEST_RR(slt, 0, 7, 7)
    TEST_RR(sltu, 0, -2, 1)
    TEST_RR(sltu, 1, 1, -2)
    TEST_RR(sltu, 1, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RR(sltu, 1, 0, 3)                  /* snez when rs1 = x0 */
    TEST_RR(xor, 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0)
    TEST_RR(xor, 0, 0x123456789, 0x123456789)
    TEST_RR(srl, 0x0080000000000000, 0x8000000000000000, 8)
    TEST_RR(srl, 1, 0x8000000000000000, 63)
    TEST_RR(srl, 0x4000000000000000, 0x8000000000000000, 0x41)
    TEST_RR(sra, 0xff80000000000000, 0x8000000000000000, 8)
    TEST_RR(sra, -1, 0x8000000000000000, 63)
    TEST_RR(sra, 0xc000000000000000, 0x8000000000000000, 0x7c1)
    TEST_RR(sra, 0x0123456789abcdef, 0x0123456789abcdef, 0)
    TEST_RR(or, 0xff0fff0fff0fff0f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RR(or, 0xffffffffffffffff, 0xaaaaaaaaaaaaaaaa, 0x5555555555555555)
    TEST_RR(and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RR(and, 0, 0xaaaaaaaaaaaaaaaa, 0x5555555555555555)

    /* ---- 32-bit (W) operations: results sign-extended from bit 31 ---- */
    TEST_IMM(addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_IMM(addiw, 0x7fffffff, 0xffffffff80000000, -1)
    TEST_IMM(addiw, 0xffffffffffffffff, 0x12345678ffffffff, 0)  /* sext.w */
    TEST_IMM(addiw, 0x5, 0xffffffff00000004, 1)
    TEST_IMM(slliw, 0xffffffff80000000, 1, 31)
    TEST_IMM(slliw, 0x2, 0xffffffff00000001, 1)
    TEST_IMM(slliw, 0x7ffffffe, 0x123456783fffffff, 1)
    TEST_IMM(srliw, 0x40000000, 0xffffffff80000000, 1)
    TEST_IMM(srliw, 0xffffffff80000000, 0x0000000080000000, 0)
    TEST_IMM(srliw, 1, 0x12345678ffffffff, 31)
    TEST_IMM(sraiw, 0xffffffffc0000000, 0x0000000080000000, 1)
    TEST_IMM(sraiw, -1, 0x0000000080000000, 31)
    TEST_IMM(sraiw, 0x3fffffff, 0xffffffff7fffffff, 1)
    TEST_RR(addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR(addw, 0, 0xffffffffffffffff, 0x100000001)
    TEST_RR(addw, 0x12345678, 0xabcdef0012345678, 0x1234567800000000)
    TEST_RR(subw, 0x7fffffff, 0x80000000, 1)
    TEST_RR(subw, -1, 0x100000000, 1)
    TEST_RR(sllw, 0xffffffff80000000, 1, 31)
    TEST_RR(sllw, 2, 1, 33)                 /* only rs2[4:0] counts */
    TEST_RR(sllw, 0, 0x100000000, 0)
    TEST_RR(srlw, 0x00000001, 0xffffffff80000000, 31)
    TEST_RR(srlw, 0xffffffff80000000, 0x80000000, 32)
    TEST_RR(srlw, 0x7fffffff, 0xffffffffffffffff, 1)
    TEST_RR(sraw, 0xffffffffc0000000, 0x80000000, 1)
    TEST_RR(sraw, -1, 0x80000000, 63)       /* 63 & 31 = 31 */
    TEST_RR(sraw, 0x12345678, 0xffffffff12345678, 0)
    TEST_RR_ZERODEST(addw, 1, 2)

    /* ---- ecall preserves every register but a0 ---- */
    SET_TEST(ecall preserves registers)
    li a1, 0x1111; li a2, 0; li a3, 0x3333; li a4, 0x4444; li a5, 0x5555
    li a6, 0x6666; li t0, 0x7070; li t1, 0x7171; li t2, 0x7272; li t3, 0x7373
    li s0, 0x8080; li s1, 0x8181; li s2, 0x8282; li s9, 0x8989
    li a0, 1
    li a7, SYS_write            /* write(1, 0x1111, 0): writes nothing */
    ecall
    CHECK(a0, 0)
    CHECK(a1, 0x1111)
    CHECK(a2, 0)
    CHECK(a3, 0x3333)
    CHECK(a4, 0x4444)
    CHECK(a5, 0x5555)
    CHECK(a6, 0x6666)
    CHECK(a7, SYS_write)
    CHECK(t0, 0x7070)
    CHECK(t1, 0x7171)
    CHECK(t2, 0x7272)
    CHECK(t3, 0x7373)
    CHECK(s0, 0x8080)
    CHECK(s1, 0x8181)
    CHECK(s2, 0x8282)
    CHECK(s9, 0x8989)
    /* An unknown system call returns -ENOSYS (38). */
    TEST_CASE(ecall ENOSYS, a0, -38, li a7, 4095; ecall)

    /* ---- x0 is hard-wired to zero ---- */
    TEST_CASE(x0 stays zero, a0, 0, li x0, 5; lui x0, 0x12345; mv a0, x0)

    TEST_PASS

    .data
    .balign 8
ldata:
    .byte 0x81, 0x7f, 0x83, 0x72, 0x81, 0x82, 0x83, 0x84
    .dword 0x0123456789abcdef
    .balign 8
sdata:
    .dword 0, 0, 0
