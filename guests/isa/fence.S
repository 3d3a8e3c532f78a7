/*
 * fence: the memory fences (all of which must simply execute in a single
 * thread) and Zifencei.  fence.i is checked the only way a Linux program can
 * use it: generate code into a writable and executable page, fence.i, run
 * it; then rewrite the same bytes, fence.i, and run the new code.  A
 * runner that caches translated code must notice the rewrite.  Also covers
 * the W^X pattern (write while RW, mprotect to RX, run) and a page unmapped
 * and mapped again with different code at the same address.
 */
#include "test.h"
TEST_FILE(fence)

#define SYS_mprotect 226
#define MAP_FIXED 0x10

/* Instruction encodings written into the code page. */
#define LI_A0(n)   (0x00000513 | ((n) << 20))      /* addi a0, zero, n */
#define ADDI_A0(n) (0x00050513 | ((n) << 20))      /* addi a0, a0, n */
#define RET        0x00008067                      /* jalr zero, 0(ra) */
#define C_LI_A0(n) (0x4501 | ((n) << 2))           /* c.li a0, n (n < 32) */
#define C_JR_RA    0x8082                          /* c.jr ra */

/* mmap(addr, 4096, prot, MAP_PRIVATE|MAP_ANONYMOUS|extra, -1, 0) -> s0 */
#define MMAP_PAGE(addr, prot, extra) \
    mv a0, addr; li a1, 4096; li a2, prot; \
    li a3, MAP_PRIVATE | MAP_ANONYMOUS | (extra); li a4, -1; li a5, 0; \
    li a7, SYS_mmap; ecall; mv s0, a0

/* Calls the code at s0; the result comes back in a0. */
#define CALL_PAGE li a0, 0; jalr ra, 0(s0)

    /* ---- fences: no visible effect in one thread ---- */
    TEST_CASE(fence, a0, 0x1234,
        la a1, fdata; li a2, 0x1234; sd a2, 0(a1); fence; ld a0, 0(a1))
    TEST_CASE(fence rw rw, a0, 0x2345,
        la a1, fdata; li a2, 0x2345; sd a2, 0(a1); fence rw, rw; ld a0, 0(a1))
    TEST_CASE(fence w r, a0, 0x3456,
        la a1, fdata; li a2, 0x3456; sd a2, 0(a1); fence w, r; ld a0, 0(a1))
    TEST_CASE(fence r rw, a0, 0x3456, la a1, fdata; fence r, rw; ld a0, 0(a1))
    TEST_CASE(fence w w, a0, 0x4567,
        la a1, fdata; li a2, 0x4567; sd a2, 0(a1); fence w, w; ld a0, 0(a1))
    TEST_CASE(fence iorw iorw, a0, 0x4567, fence iorw, iorw; la a1, fdata; ld a0, 0(a1))
    TEST_CASE(fence.tso, a0, 0x5678,
        la a1, fdata; li a2, 0x5678; sd a2, 0(a1); fence.tso; ld a0, 0(a1))
    /* pause (Zihintpause) is a fence hint with pred=w, succ=0; written as
     * its encoding since rv64gc assemblers need not know the mnemonic. */
    TEST_CASE(pause hint, a0, 0x5678, .word 0x0100000f; la a1, fdata; ld a0, 0(a1))
    TEST_CASE(fence.i, a0, 0x5678, fence.i; la a1, fdata; ld a0, 0(a1))

    /* ---- code written at run time ---- */
    SET_TEST(mmap rwx page)
    MMAP_PAGE(zero, PROT_READ | PROT_WRITE | PROT_EXEC, 0)
    li t0, -4096
    sltu a0, t0, s0             /* -4095..-1 are error returns */
    CHECK(a0, 0)

    SET_TEST(fence.i runs new code)
    li t0, LI_A0(1)
    sw t0, 0(s0)
    li t0, RET
    sw t0, 4(s0)
    fence.i
    CALL_PAGE
    CHECK(a0, 1)

    SET_TEST(fence.i after rewriting the same bytes)
    li t0, LI_A0(2)
    sw t0, 0(s0)
    fence.i
    CALL_PAGE
    CHECK(a0, 2)

    SET_TEST(fence.i after rewriting a later instruction)
    li t0, ADDI_A0(40)
    sw t0, 4(s0)
    li t0, RET
    sw t0, 8(s0)
    fence.i
    CALL_PAGE
    CHECK(a0, 42)

    SET_TEST(fence.i with compressed code)
    li t0, C_LI_A0(3) | (C_JR_RA << 16)
    sw t0, 0(s0)
    fence.i
    CALL_PAGE
    CHECK(a0, 3)

    /* Rewrite the code many times in a loop, running it after each: the
     * result must track every rewrite. */
    SET_TEST(fence.i in a loop)
    li t0, RET
    sw t0, 4(s0)
    li s1, 0                    /* sum of results */
    li s2, 1                    /* n */
1:  li t0, LI_A0(0)
    slli t1, s2, 20
    or t0, t0, t1               /* addi a0, zero, n */
    sw t0, 0(s0)
    fence.i
    CALL_PAGE
    add s1, s1, a0
    addi s2, s2, 1
    li t0, 101
    bne s2, t0, 1b
    CHECK(s1, 5050)

    /* W^X: write while read-write, then make it read-execute. */
    SET_TEST(mprotect rw to rx)
    mv a0, s0
    li a1, 4096
    li a2, PROT_READ | PROT_WRITE
    li a7, SYS_mprotect
    ecall
    CHECK(a0, 0)
    li t0, LI_A0(7)
    sw t0, 0(s0)
    li t0, RET
    sw t0, 4(s0)
    mv a0, s0
    li a1, 4096
    li a2, PROT_READ | PROT_EXEC
    li a7, SYS_mprotect
    ecall
    CHECK(a0, 0)
    fence.i
    CALL_PAGE
    CHECK(a0, 7)

    SET_TEST(mprotect rx to rw and back)
    mv a0, s0
    li a1, 4096
    li a2, PROT_READ | PROT_WRITE
    li a7, SYS_mprotect
    ecall
    li t0, LI_A0(8)
    sw t0, 0(s0)
    mv a0, s0
    li a1, 4096
    li a2, PROT_READ | PROT_EXEC
    li a7, SYS_mprotect
    ecall
    fence.i
    CALL_PAGE
    CHECK(a0, 8)

    /* Unmap the page, map a fresh one at the same address, write other
     * code there: nothing of the old page's code may survive. */
    SET_TEST(remap with new code)
    mv s3, s0
    mv a0, s0
    li a1, 4096
    li a7, SYS_munmap
    ecall
    CHECK(a0, 0)
    MMAP_PAGE(s3, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_FIXED)
    sub a0, s0, s3
    CHECK(a0, 0)
    li t0, LI_A0(9)
    sw t0, 0(s0)
    li t0, RET
    sw t0, 4(s0)
    fence.i
    CALL_PAGE
    CHECK(a0, 9)

    SET_TEST(munmap code page)
    mv a0, s0
    li a1, 4096
    li a7, SYS_munmap
    ecall
    CHECK(a0, 0)

    TEST_PASS

    .data
    .balign 8
fdata:
    .dword 0
