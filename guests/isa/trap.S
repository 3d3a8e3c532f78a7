/*
 * trap: instructions whose architectural effect is a trap, as a Linux
 * program sees them: a signal with the right number, si_code and si_addr,
 * delivered to a handler whose ucontext holds the faulting pc; when the
 * handler advances that pc and returns, execution resumes after the
 * instruction with every integer and FP register and fcsr as before.
 * Covers ebreak and c.ebreak (SIGTRAP), illegal instructions (SIGILL), and
 * loads/stores to unmapped or read-only memory (SIGSEGV).
 */
#include "test.h"
TEST_FILE(trap)

#define SYS_rt_sigaction 134
#define SIGILL   4
#define SIGTRAP  5
#define SIGSEGV  11
#define SA_SIGINFO 4
#define TRAP_BRKPT 1
#define ILL_ILLOPC 1
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define UC_PC 176       /* offsetof(ucontext_t, uc_mcontext.__gregs[0]) */

/* Runs `insn` (which must trap), then checks the handler saw exactly one
 * signal `sig` with `code`, pc at the instruction and si_addr = `addr`
 * (an expression; TRAP_PC means the instruction's own address). */
#define TRAP_PC 8890b
#define EXPECT_TRAP(name, sig, code, addr, ...) \
    SET_TEST(name); la t0, trap_count; sd zero, 0(t0); \
    8890: __VA_ARGS__; \
    la t0, trap_count; ld a0, 0(t0); CHECK(a0, 1); \
    ld a0, 8(t0); CHECK(a0, sig); \
    ld a0, 16(t0); CHECK(a0, code); \
    ld a0, 24(t0); la a1, 8890b; sub a0, a0, a1; CHECK(a0, 0); \
    ld a0, 32(t0); la a1, addr; sub a0, a0, a1; CHECK(a0, 0)

    /* ---- install the handler for SIGTRAP, SIGILL and SIGSEGV ---- */
    SET_TEST(rt_sigaction)
    li a0, SIGTRAP
    la a1, sigact
    li a2, 0
    li a3, 8
    li a7, SYS_rt_sigaction
    ecall
    CHECK(a0, 0)
    li a0, SIGILL
    la a1, sigact
    li a2, 0
    li a3, 8
    li a7, SYS_rt_sigaction
    ecall
    CHECK(a0, 0)
    li a0, SIGSEGV
    la a1, sigact
    li a2, 0
    li a3, 8
    li a7, SYS_rt_sigaction
    ecall
    CHECK(a0, 0)

    /* ---- breakpoints ---- */
    EXPECT_TRAP(ebreak, SIGTRAP, TRAP_BRKPT, TRAP_PC, ebreak)
    .option rvc
    EXPECT_TRAP(c.ebreak, SIGTRAP, TRAP_BRKPT, TRAP_PC, c.ebreak)
    TEST_CASE(c.ebreak is 16 bits, a0, 2,
        j 2f; 1: c.ebreak; 3: ; 2: la a0, 1b; la a1, 3b; sub a0, a1, a0)
    EXPECT_TRAP(ebreak at 2 mod 4, SIGTRAP, TRAP_BRKPT, TRAP_PC,
        .balign 4; c.nop; .option norvc; 8890: ebreak)
    TEST_CASE(ebreak is 32 bits, a0, 4,
        j 2f; 1: ebreak; 3: ; 2: la a0, 1b; la a1, 3b; sub a0, a1, a0)
    .option norvc

    /* ---- illegal instructions ---- */
    EXPECT_TRAP(all-zero instruction, SIGILL, ILL_ILLOPC, TRAP_PC, .half 0)
    EXPECT_TRAP(unimp, SIGILL, ILL_ILLOPC, TRAP_PC, unimp)
    EXPECT_TRAP(machine CSR, SIGILL, ILL_ILLOPC, TRAP_PC, csrr a0, mstatus)
    EXPECT_TRAP(supervisor CSR, SIGILL, ILL_ILLOPC, TRAP_PC, csrr a0, sstatus)
    EXPECT_TRAP(write to cycle, SIGILL, ILL_ILLOPC, TRAP_PC, csrw cycle, a0)
    EXPECT_TRAP(custom-0 opcode, SIGILL, ILL_ILLOPC, TRAP_PC, .word 0x0000000b)
    EXPECT_TRAP(mret, SIGILL, ILL_ILLOPC, TRAP_PC, mret)
    /* A dyn rounding mode with a reserved value in frm is illegal. */
    SET_TEST(set frm to 5)
    fsrmi 5
    EXPECT_TRAP(dyn with frm=5, SIGILL, ILL_ILLOPC, TRAP_PC, fadd.d fa0, fa1, fa2, dyn)
    fsrmi 7
    EXPECT_TRAP(dyn with frm=7, SIGILL, ILL_ILLOPC, TRAP_PC, fmul.s fa0, fa1, fa2, dyn)
    /* A static mode does not look at frm. */
    TEST_CASE(static rm with frm=7, a0, 0, LOAD_D(fa1, 0x3ff0000000000000); fadd.d fa0, fa1, fa1, rne; la t0, trap_count; ld a0, 0(t0); addi a0, a0, -1)
    /* The reserved static modes 5 and 6 are illegal too. */
    EXPECT_TRAP(static rm=5, SIGILL, ILL_ILLOPC, TRAP_PC, .word 0x02b5d553)  /* fadd.d fa0, fa1, fa1, rm=5 */
    EXPECT_TRAP(static rm=6, SIGILL, ILL_ILLOPC, TRAP_PC, .word 0x02b5e553)  /* fadd.d fa0, fa1, fa1, rm=6 */
    fsrmi RNE

    /* ---- memory faults: si_addr is the data address ---- */
    EXPECT_TRAP(load from NULL, SIGSEGV, SEGV_MAPERR, 0, ld a0, 0(zero))
    EXPECT_TRAP(load from unmapped page, SIGSEGV, SEGV_MAPERR, 0xff8, li a1, 0xff8; 8890: ld a0, 0(a1))
    EXPECT_TRAP(store to read-only data, SIGSEGV, SEGV_ACCERR, ro_word, la a1, ro_word; 8890: sd zero, 0(a1))
    EXPECT_TRAP(store to code, SIGSEGV, SEGV_ACCERR, _start, la a1, _start; 8890: sw zero, 0(a1))
    EXPECT_TRAP(amo to read-only data, SIGSEGV, SEGV_ACCERR, ro_word, la a1, ro_word; li a2, 0; 8890: amoadd.w a0, a2, (a1))
    EXPECT_TRAP(sc to read-only data, SIGSEGV, SEGV_ACCERR, ro_word, la a1, ro_word; lr.d a0, (a1); 8890: sc.d a0, a2, (a1))

    /* ---- all state survives a signal ---- */
    SET_TEST(registers preserved across a signal)
    li t0, 0x3ff8000000000000
    fmv.d.x fs0, t0
    fmv.d.x fa7, t0
    fscsr a0, zero
    li a0, (RMM << 5) | NX | OF
    fscsr a0
    li a0, 0xa0; li a1, 0xa1; li a2, 0xa2; li a3, 0xa3; li a4, 0xa4
    li a5, 0xa5; li a6, 0xa6; li a7, 0xa7; li t0, 0x70; li t1, 0x71
    li t2, 0x72; li t3, 0x73; li t4, 0x74; li s0, 0x80; li s1, 0x81
    li s9, 0x89; li ra, 0x1234
    ebreak
    CHECK(ra, 0x1234)
    CHECK(a0, 0xa0)
    CHECK(a1, 0xa1)
    CHECK(a2, 0xa2)
    CHECK(a3, 0xa3)
    CHECK(a4, 0xa4)
    CHECK(a5, 0xa5)
    CHECK(a6, 0xa6)
    CHECK(a7, 0xa7)
    CHECK(t0, 0x70)
    CHECK(t1, 0x71)
    CHECK(t2, 0x72)
    CHECK(t3, 0x73)
    CHECK(t4, 0x74)
    CHECK(s0, 0x80)
    CHECK(s1, 0x81)
    CHECK(s9, 0x89)
    frcsr a0
    CHECK(a0, (RMM << 5) | NX | OF)
    fmv.x.d a0, fs0
    CHECK(a0, 0x3ff8000000000000)
    fmv.x.d a0, fa7
    CHECK(a0, 0x3ff8000000000000)
    fscsr zero

    TEST_PASS

/* The handler: a0 = signal, a1 = siginfo, a2 = ucontext.  It records what
 * it saw, clobbers registers the interrupted code relies on (the kernel
 * must restore them), and moves the saved pc past the trapping instruction
 * (2 or 4 bytes, from its low bits). */
handler:
    la t0, trap_count
    ld t1, 0(t0)
    addi t1, t1, 1
    sd t1, 0(t0)
    sd a0, 8(t0)
    lw t1, 8(a1)                /* si_code */
    sd t1, 16(t0)
    ld t1, UC_PC(a2)
    sd t1, 24(t0)
    ld t2, 16(a1)               /* si_addr */
    sd t2, 32(t0)
    lhu t2, 0(t1)
    andi t2, t2, 3
    li t3, 3
    li t4, 2
    bne t2, t3, 1f
    li t4, 4
1:  add t1, t1, t4
    sd t1, UC_PC(a2)
    /* Scribble over state that must come back from the signal frame. */
    li a3, -1
    li a4, -1
    li s0, -1
    li s1, -1
    fmv.d.x fs0, zero
    fmv.d.x fa7, zero
    fsrmi RTZ
    fsflagsi 0
    ret

    .section .rodata
    .balign 8
ro_word:
    .dword 0

    .data
    .balign 8
sigact:
    .dword handler              /* sa_handler */
    .dword SA_SIGINFO           /* sa_flags */
    .dword 0                    /* sa_mask */
trap_count:
    .dword 0                    /* 0: number of signals */
    .dword 0                    /* 8: signal number */
    .dword 0                    /* 16: si_code */
    .dword 0                    /* 24: pc in the ucontext */
    .dword 0                    /* 32: si_addr */
