//! The decoder and the compressed-instruction expander against the toolchain's
//! encodings, spec corner cases, and properties over all inputs.

use super::compressed_table::COMPRESSED;
use super::decode_table::DECODED;
use crate::cpu::{decode, expand_compressed, Insn, Op};
use proptest::prelude::*;

#[test]
fn decodes_toolchain_encodings() {
    for &(raw, op, rd, rs1, rs2, rs3, rm, imm) in DECODED {
        let want = Insn {
            imm,
            op,
            rd,
            rs1,
            rs2,
            rs3,
            rm,
            len: 4,
        };
        assert_eq!(decode(raw), want, "{raw:#010x}");
    }
}

#[test]
fn ground_truth_covers_every_operation() {
    let mut seen: Vec<Op> = DECODED.iter().map(|e| e.1).collect();
    seen.sort_by_key(|&op| op as u8);
    seen.dedup();
    assert_eq!(seen.len(), Op::FmvDX as usize + 1);
}

#[test]
fn expands_toolchain_encodings() {
    for &(c, expansion) in COMPRESSED {
        let want = (expansion != 0).then_some(expansion);
        assert_eq!(expand_compressed(c), want, "{c:#06x}");
    }
}

#[test]
fn reserved_compressed_encodings_do_not_expand() {
    for (c, what) in [
        (0x0000, "all-zero parcel"),
        (0x0004, "c.addi4spn, nzuimm = 0"),
        (0x8000, "quadrant 0, funct3 = 4"),
        (0x2001, "c.addiw x0"),
        (0x6101, "c.addi16sp 0"),
        (0x6081, "c.lui ra, 0"),
        (0x6001, "c.lui x0, 0"),
        (0x9c41, "reserved after c.addw"),
        (0x9c61, "reserved after c.addw"),
        (0x4002, "c.lwsp x0"),
        (0x6002, "c.ldsp x0"),
        (0x8002, "c.jr x0"),
        (0x0003, "a 32-bit parcel"),
    ] {
        assert_eq!(expand_compressed(c), None, "{what}");
    }
}

#[test]
fn compressed_hints_expand() {
    for (c, want, what) in [
        (0x0001, 0x0000_0013, "c.nop"),
        (0x0005, 0x0010_0013, "c.nop with an immediate"),
        (0x0081, 0x0000_8093, "c.addi ra, 0"),
        (0x4001, 0x0000_0013, "c.li x0, 0"),
        (0x6005, 0x0000_1037, "c.lui x0, 1"),
        (0x8006, 0x0010_0033, "c.mv x0, ra"),
        (0x9006, 0x0010_0033, "c.add x0, ra"),
        (0x0002, 0x0000_1013, "c.slli64 x0"),
        (0x8001, 0x0004_5413, "c.srli64 s0"),
        (0x8401, 0x4004_5413, "c.srai64 s0"),
    ] {
        assert_eq!(expand_compressed(c), Some(want), "{what}");
    }
}

#[test]
fn compressed_immediates_sign_extend() {
    let imm = |c| decode(expand_compressed(c).unwrap()).imm;
    assert_eq!(imm(0x1001), -32, "c.nop -32 (c.addi x0)");
    assert_eq!(imm(0x107d), -1, "c.addi -1");
    assert_eq!(imm(0x7101), -512, "c.addi16sp -512");
    assert_eq!(imm(0x617d), 496, "c.addi16sp 496");
    assert_eq!(imm(0x7081), -0x20000, "c.lui ra, 0xfffe0");
    assert_eq!(imm(0x70fd), -0x1000, "c.lui ra, 0xfffff");
    assert_eq!(imm(0xb001), -2048, "c.j -2048");
    assert_eq!(imm(0xaffd), 2046, "c.j 2046");
    assert_eq!(imm(0xd001), -256, "c.beqz -256");
    assert_eq!(imm(0xcc7d), 254, "c.beqz 254");
    assert_eq!(imm(0x1fe0), 1020, "c.addi4spn 1020");
    assert_eq!(imm(0x7ffc), 248, "c.ld 248");
}

#[test]
fn privileged_and_unknown_system_instructions_are_illegal() {
    for raw in [
        0x1020_0073u32, // sret
        0x3020_0073,    // mret
        0x1200_0073,    // sfence.vma
        0x0020_0073,    // uret
        0x7b20_0073,    // dret
        0x0000_4073,    // funct3 = 4
    ] {
        assert_eq!(decode(raw).op, Op::Illegal, "{raw:#x}");
    }
    assert_eq!(decode(0x1050_0073).op, Op::Nop, "wfi");
    assert_eq!(decode(0x0100_000f).op, Op::Fence, "pause");
    assert_eq!(decode(0x8330_000f).op, Op::Fence, "fence.tso");
}

#[test]
fn csr_access_rules() {
    let csr = |funct3: u32, rd: u32, rs1: u32, number: u32| {
        decode(number << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | 0x73).op
    };
    // Counters: readable, never writable.
    for number in [0xc00, 0xc01, 0xc02] {
        assert_eq!(csr(2, 10, 0, number), Op::Csrrs, "csrr {number:#x}");
        assert_eq!(csr(3, 10, 0, number), Op::Csrrc);
        assert_eq!(csr(6, 10, 0, number), Op::Csrrsi);
        assert_eq!(csr(7, 10, 0, number), Op::Csrrci);
        assert_eq!(csr(1, 0, 10, number), Op::Illegal, "csrw {number:#x}");
        assert_eq!(
            csr(1, 10, 0, number),
            Op::Illegal,
            "csrrw with x0 still writes"
        );
        assert_eq!(csr(5, 10, 0, number), Op::Illegal, "csrrwi still writes");
        assert_eq!(csr(2, 10, 11, number), Op::Illegal, "csrrs with a source");
        assert_eq!(csr(6, 10, 1, number), Op::Illegal, "csrrsi with zimm");
    }
    for number in [1, 2, 3] {
        for funct3 in [1, 2, 3, 5, 6, 7] {
            assert_ne!(csr(funct3, 10, 11, number), Op::Illegal);
        }
    }
    for number in [0x000, 0x004, 0x100, 0x300, 0xc03, 0xc1f, 0xc80, 0xf14] {
        assert_eq!(csr(2, 10, 0, number), Op::Illegal, "csr {number:#x}");
    }
}

#[test]
fn floating_point_rounding_modes() {
    // fadd.s fa0, fa1, fa2 with each rounding-mode field.
    for rm in 0..8 {
        let insn = decode(0x00c5_8553 | rm << 12);
        if rm == 5 || rm == 6 {
            assert_eq!(insn.op, Op::Illegal, "rm {rm}");
        } else {
            assert_eq!((insn.op, insn.rm), (Op::FaddS, u8::try_from(rm).unwrap()));
        }
    }
    // Half and quad formats are not implemented.
    assert_eq!(decode(0x04c5_8553).op, Op::Illegal, "fadd.h");
    assert_eq!(decode(0x06c5_8553).op, Op::Illegal, "fadd.q");
    // Sign injection has no rounding mode: its funct3 selects the operation.
    assert_eq!(decode(0x20c5_8553).op, Op::FsgnjS);
    assert_eq!(decode(0x20c5_b553).op, Op::Illegal);
}

#[test]
fn non_32_bit_parcels_are_illegal() {
    for raw in [
        0x0000_0000,
        0x0000_4501,
        0x0000_001f,
        0x0000_003f,
        0x0000_007f,
    ] {
        assert_eq!(decode(raw).op, Op::Illegal, "{raw:#x}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn every_expansion_decodes(c: u16) {
        if let Some(raw) = expand_compressed(c) {
            prop_assert_eq!(raw & 3, 3);
            let insn = decode(raw);
            prop_assert_ne!(insn.op, Op::Illegal, "{:#06x} -> {:#010x}", c, raw);
            prop_assert_eq!(expand_compressed(c), Some(raw));
            prop_assert_eq!(decode(raw), insn);
        } else {
            prop_assert!(c & 3 == 3 || !COMPRESSED.iter().any(|&(k, e)| k == c && e != 0));
        }
    }

    #[test]
    fn decode_is_total(raw: u32) {
        let insn = decode(raw);
        prop_assert_eq!(insn.len, 4);
        prop_assert!(insn.rd < 32 && insn.rs1 < 32 && insn.rs2 < 32 && insn.rs3 < 32);
        prop_assert!(insn.rm < 8);
        if insn.op == Op::Illegal {
            prop_assert_eq!(insn.imm as u32, raw);
        }
        if raw & 3 != 3 {
            prop_assert_eq!(insn.op, Op::Illegal);
        }
    }
}
