/*
 * rv64c: every RV64C compressed instruction, written explicitly with its
 * c. mnemonic (c.ebreak is in trap.S).  C16(...) wraps each one and fails
 * the build if the assembler did not emit a 16-bit encoding.  Also checks
 * the things compressed code does to an instruction stream: c.jalr links
 * pc+2, 32-bit instructions at addresses that are 2 mod 4, and a 32-bit
 * instruction straddling a page boundary.
 *
 * Registers x8-x15 (s0, s1, a0-a5) are the only ones the CIW/CL/CS/CA/CB
 * formats can name.
 */
#include "test.h"
TEST_FILE(rv64c)

    .option rvc     /* test.h assembles checks uncompressed by default */

#define C16(...) \
    8870: __VA_ARGS__; 8871: \
    .if (8871b - 8870b) != 2; .error "not a 16-bit instruction"; .endif

/* Branches are variable-size fragments to the assembler, so their length is
 * checked at run time instead: C16B marks the instruction and
 * CHECK_C16B (right after it) fails unless it was 2 bytes long. */
#define C16B(...) 8872: __VA_ARGS__; 8873:
#define CHECK_C16B \
    la t0, 8872b; la t1, 8873b; sub t0, t1, t0; CHECK(t0, 2)

    /* A private stack frame for the sp-relative forms. */
    addi sp, sp, -128

    /* ---- constants and immediates ---- */
    TEST_CASE(c.li, a0, -32, C16(c.li a0, -32))
    TEST_CASE(c.li, a5, 31, C16(c.li a5, 31))
    TEST_CASE(c.li high register, t4, 7, C16(c.li t4, 7))
    TEST_CASE(c.lui, a0, 0x1f000, C16(c.lui a0, 0x1f))
    TEST_CASE(c.lui negative, a0, 0xfffffffffffe0000, C16(c.lui a0, 0xfffe0))
    TEST_CASE(c.lui all ones, s1, 0xfffffffffffff000, C16(c.lui s1, 0xfffff))
    TEST_CASE(c.addi, a0, 0, li a0, 32; C16(c.addi a0, -32))
    TEST_CASE(c.addi, a2, 0x100000030, li a2, 0x100000011; C16(c.addi a2, 31))
    TEST_CASE(c.addiw, a0, 0xffffffff80000000, li a0, 0x7fffffff; C16(c.addiw a0, 1))
    TEST_CASE(c.addiw sext.w, a3, 0xffffffff87654321, li a3, 0x1234567887654321; C16(c.addiw a3, 0))
    TEST_CASE(c.addi16sp, a0, -64,
        mv a1, sp; C16(c.addi16sp sp, -64); sub a0, sp, a1; C16(c.addi16sp sp, 64))
    TEST_CASE(c.addi16sp positive, a0, 496,
        mv a1, sp; C16(c.addi16sp sp, 496); sub a0, sp, a1; addi sp, sp, -496)
    TEST_CASE(c.addi4spn, a0, 16, C16(c.addi4spn a0, sp, 16); sub a0, a0, sp)
    TEST_CASE(c.addi4spn max, s1, 1020, C16(c.addi4spn s1, sp, 1020); sub s1, s1, sp)

    /* ---- shifts and logic ---- */
    TEST_CASE(c.slli, a0, 0x8000000000000000, li a0, 1; C16(c.slli a0, 63))
    TEST_CASE(c.slli high register, t3, 0x120, li t3, 0x12; C16(c.slli t3, 4))
    TEST_CASE(c.srli, s0, 1, li s0, 0x8000000000000000; C16(c.srli s0, 63))
    TEST_CASE(c.srli 32, a5, 0xffffffff, li a5, -1; C16(c.srli a5, 32))
    TEST_CASE(c.srai, s0, -1, li s0, 0x8000000000000000; C16(c.srai s0, 63))
    TEST_CASE(c.srai small, a4, 0xf800000000000000, li a4, 0x8000000000000000; C16(c.srai a4, 4))
    TEST_CASE(c.andi, a0, 0x14, li a0, 0x1234; C16(c.andi a0, 31))
    TEST_CASE(c.andi negative, a1, 0x1220, li a1, 0x1234; C16(c.andi a1, -32))
    TEST_CASE(c.mv, a0, 0x123456789, li a1, 0x123456789; C16(c.mv a0, a1))
    TEST_CASE(c.mv high registers, t4, 0x55, li s7, 0x55; C16(c.mv t4, s7))
    TEST_CASE(c.add, a0, 0x100000002, li a0, 0xffffffff; li a1, 3; C16(c.add a0, a1))
    TEST_CASE(c.add high registers, s9, 30, li s9, 10; li s8, 20; C16(c.add s9, s8))
    TEST_CASE(c.sub, s0, -1, li s0, 1; li s1, 2; C16(c.sub s0, s1))
    TEST_CASE(c.xor, a2, 0xff00, li a2, 0xf0f0; li a3, 0x0ff0; C16(c.xor a2, a3))
    TEST_CASE(c.or, a4, 0xfff0, li a4, 0xf0f0; li a5, 0x0ff0; C16(c.or a4, a5))
    TEST_CASE(c.and, a0, 0x00f0, li a0, 0xf0f0; li a1, 0x0ff0; C16(c.and a0, a1))
    TEST_CASE(c.subw, a0, 0x7fffffff, li a0, 0x80000000; li a1, 1; C16(c.subw a0, a1))
    TEST_CASE(c.subw sign-extends, s1, 0xffffffffffffffff, li s1, 0x100000000; li s0, 1; C16(c.subw s1, s0))
    TEST_CASE(c.addw, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, 1; C16(c.addw a0, a1))
    TEST_CASE(c.nop, a0, 5, li a0, 5; C16(c.nop))

    /* ---- loads and stores ---- */
    TEST_CASE(c.lw, a0, 0xffffffff84838281, la s0, cdata; C16(c.lw a0, 4(s0)))
    TEST_CASE(c.lw, a1, 0x72837f81, la s0, cdata; C16(c.lw a1, 0(s0)))
    TEST_CASE(c.ld, a2, 0x0123456789abcdef, la s1, cdata; C16(c.ld a2, 8(s1)))
    TEST_CASE(c.ld rd=rs1, a3, 0x8483828172837f81, la a3, cdata; C16(c.ld a3, 0(a3)))
    TEST_CASE(c.sw, a0, 0x1111111155555555,
        la s0, cscratch; li a1, 0x1111111111111111; sd a1, 0(s0);
        li a2, 0x0000000055555555; C16(c.sw a2, 0(s0)); ld a0, 0(s0))
    TEST_CASE(c.sw offset, a0, 0x55555555deadbeef,
        la s0, cscratch; li a1, 0x5555555555555555; sd a1, 120(s0);
        li a2, 0xdeadbeef; C16(c.sw a2, 120(s0)); ld a0, 120(s0))
    TEST_CASE(c.sd, a0, 0x0123456789abcdef,
        la s0, cscratch; li a1, 0x0123456789abcdef; C16(c.sd a1, 248(s0)); ld a0, 248(s0))
    SET_TEST(c.fld/c.fsd)
    la s0, cdata
    la s1, cscratch
    C16(c.fld fa0, 16(s0))
    C16(c.fsd fa0, 16(s1))
    ld a0, 16(s1)
    CHECK(a0, 0x400921fb54442d18)
    fmv.x.d a0, fa0
    CHECK(a0, 0x400921fb54442d18)

    /* sp-relative forms */
    SET_TEST(c.sdsp/c.ldsp)
    li a0, 0x0123456789abcdef
    C16(c.sdsp a0, 504(sp))
    addi sp, sp, 504 - 8        /* read it back through another path */
    ld a1, 8(sp)
    addi sp, sp, -(504 - 8)
    CHECK(a1, 0x0123456789abcdef)
    C16(c.ldsp a2, 504(sp))
    CHECK(a2, 0x0123456789abcdef)
    SET_TEST(c.swsp/c.lwsp)
    li a0, 0x80000001
    C16(c.swsp a0, 252(sp))
    C16(c.lwsp a3, 252(sp))
    CHECK(a3, 0xffffffff80000001)
    C16(c.swsp a0, 0(sp))
    lwu a3, 0(sp)
    CHECK(a3, 0x80000001)
    SET_TEST(c.fsdsp/c.fldsp)
    LOAD_D(fa1, 0xc00921fb54442d18)
    C16(c.fsdsp fa1, 96(sp))
    C16(c.fldsp fa2, 96(sp))
    fmv.x.d a0, fa2
    CHECK(a0, 0xc00921fb54442d18)
    ld a0, 96(sp)
    CHECK(a0, 0xc00921fb54442d18)

    /* ---- control transfer ---- */
    TEST_CASE(c.j forward, a0, 1,
        li a0, 1; C16B(c.j 1f); li a0, 2; 1:)
    CHECK_C16B
    TEST_CASE(c.j backward, a0, 3,
        li a0, 0; j 2f; 1: addi a0, a0, 1; j 3f; 2: addi a0, a0, 2; C16B(c.j 1b); 3:)
    CHECK_C16B
    TEST_CASE(c.beqz taken, a0, 1,
        li a0, 1; li s0, 0; C16B(c.beqz s0, 1f); li a0, 2; 1:)
    CHECK_C16B
    TEST_CASE(c.beqz not taken, a0, 2,
        li a0, 1; li s0, 0x100000000; C16B(c.beqz s0, 1f); li a0, 2; 1:)
    CHECK_C16B
    TEST_CASE(c.bnez taken, a0, 1,
        li a0, 1; li a5, -1; C16B(c.bnez a5, 1f); li a0, 2; 1:)
    CHECK_C16B
    TEST_CASE(c.bnez not taken, a0, 2,
        li a0, 1; li a5, 0; C16B(c.bnez a5, 1f); li a0, 2; 1:)
    CHECK_C16B
    TEST_CASE(c.bnez backward, a0, 10,
        li a0, 0; li a1, 10; 1: addi a0, a0, 1; addi a1, a1, -1; C16B(c.bnez a1, 1b))
    CHECK_C16B
    TEST_CASE(c.jr, a0, 1,
        li a0, 1; la a1, 1f; C16(c.jr a1); li a0, 2; 1:)
    /* c.jalr links to the next instruction, 2 bytes on. */
    SET_TEST(c.jalr links pc+2)
    la a1, 2f
    C16(c.jalr a1)
1:  j 3f
2:  la a2, 1b
    sub a0, ra, a2
    CHECK(a0, 0)
    jr ra
3:
    /* A 32-bit instruction at an address that is 2 mod 4, and a jump to
     * such an address. */
    SET_TEST(32-bit instruction at 2 mod 4)
    .balign 4
    C16(c.nop)
4:  li a0, 0x12345              /* lui + addiw, at 2 mod 4 */
    la a1, 4b
    andi a1, a1, 3
    CHECK(a1, 2)
    CHECK(a0, 0x12345)
    SET_TEST(jump to 2 mod 4)
    li a0, 0
    la a1, 5f
    jalr ra, 0(a1)
    j 6f
    .balign 4
    C16(c.nop)
5:  addi a0, a0, 7
    ret
6:  CHECK(a0, 7)

    /* A 32-bit instruction whose two halves lie in different pages: the
     * instruction fetch must read across the boundary. */
    SET_TEST(instruction across a page boundary)
    li a0, 0
    j 8f
    .balign 4096
    .skip 4096 - 4
7:  C16(c.li a0, 1)
    addi a0, a0, 41             /* bytes 4094..4097 of this page pair */
    j 9f
8:  j 7b
9:  CHECK(a0, 42)
    la a1, 7b + 2
    li a2, 4095
    and a1, a1, a2
    CHECK(a1, 4094)

    addi sp, sp, 128
    TEST_PASS

    .data
    .balign 8
cdata:
    .byte 0x81, 0x7f, 0x83, 0x72, 0x81, 0x82, 0x83, 0x84
    .dword 0x0123456789abcdef
    .dword 0x400921fb54442d18
    .balign 8
cscratch:
    .skip 256
