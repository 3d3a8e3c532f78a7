//! Directed cases: rounding in every mode, exceptional results and flags, NaNs,
//! comparisons, classification and conversions.

use super::*;

#[test]
fn softfloat_encodings_match_riscv() {
    assert_eq!(sf::softfloat_flag_inexact, 1);
    assert_eq!(sf::softfloat_flag_underflow, 2);
    assert_eq!(sf::softfloat_flag_overflow, 4);
    assert_eq!(sf::softfloat_flag_infinite, 8);
    assert_eq!(sf::softfloat_flag_invalid, 16);
}

#[test]
fn tininess_is_detected_after_rounding() {
    let _ = run(|f| add_s(S_ONE, S_ONE, RMM, f));
    // SAFETY: reads this thread's SoftFloat global.
    let t = unsafe { sf::softfloat_detectTininess_read_helper() };
    assert_eq!(t, sf::softfloat_tininess_afterRounding);
}

#[test]
fn add_rounds_in_every_mode() {
    // 1 + half an ulp: a tie.
    let half_ulp = 0x3380_0000; // 2^-24
    check_modes(
        "1+2^-24",
        [S_ONE, S_ONE, S_ONE, 0x3f80_0001, 0x3f80_0001],
        |rm, f| add_s(S_ONE, half_ulp, rm, f),
    );
    check_modes(
        "-1-2^-24",
        [
            0xbf80_0000,
            0xbf80_0000,
            0xbf80_0001,
            0xbf80_0000,
            0xbf80_0001,
        ],
        |rm, f| add_s(0xbf80_0000, half_ulp | 0x8000_0000, rm, f),
    );
    // 1 + 3/4 ulp: not a tie.
    check_modes(
        "1+3*2^-25",
        [0x3f80_0001, S_ONE, S_ONE, 0x3f80_0001, 0x3f80_0001],
        |rm, f| add_s(S_ONE, 0x33c0_0000, rm, f),
    );
    // 1 - 2^-54 in doubles lies halfway below 1 (the ulp under 1 is 2^-53).
    check_modes(
        "1-2^-54",
        [
            D_ONE,
            0x3fef_ffff_ffff_ffff,
            0x3fef_ffff_ffff_ffff,
            D_ONE,
            D_ONE,
        ],
        |rm, f| sub_d(D_ONE, 0x3c90_0000_0000_0000, rm, f),
    );
}

#[test]
fn mul_rounds_in_every_mode() {
    let x = s(1.1);
    check_modes(
        "1.1f^2",
        [
            0x3f9a_e148,
            0x3f9a_e148,
            0x3f9a_e148,
            0x3f9a_e149,
            0x3f9a_e148,
        ],
        |rm, f| mul_s(x, x, rm, f),
    );
    check_modes(
        "0.1^2",
        [
            0x3f84_7ae1_47ae_147c,
            0x3f84_7ae1_47ae_147b,
            0x3f84_7ae1_47ae_147b,
            0x3f84_7ae1_47ae_147c,
            0x3f84_7ae1_47ae_147c,
        ],
        |rm, f| mul_d(d(0.1), d(0.1), rm, f),
    );
    check_modes(
        "-(0.1^2)",
        [
            0xbf84_7ae1_47ae_147c,
            0xbf84_7ae1_47ae_147b,
            0xbf84_7ae1_47ae_147c,
            0xbf84_7ae1_47ae_147b,
            0xbf84_7ae1_47ae_147c,
        ],
        |rm, f| mul_d(d(-0.1), d(0.1), rm, f),
    );
}

#[test]
fn div_rounds_in_every_mode() {
    check_modes(
        "1/3 s",
        [
            0x3eaa_aaab,
            0x3eaa_aaaa,
            0x3eaa_aaaa,
            0x3eaa_aaab,
            0x3eaa_aaab,
        ],
        |rm, f| div_s(S_ONE, S_THREE, rm, f),
    );
    check_modes(
        "-1/3 s",
        [
            0xbeaa_aaab,
            0xbeaa_aaaa,
            0xbeaa_aaab,
            0xbeaa_aaaa,
            0xbeaa_aaab,
        ],
        |rm, f| div_s(S_ONE | 0x8000_0000, S_THREE, rm, f),
    );
    check_modes(
        "1/3 d",
        [
            0x3fd5_5555_5555_5555,
            0x3fd5_5555_5555_5555,
            0x3fd5_5555_5555_5555,
            0x3fd5_5555_5555_5556,
            0x3fd5_5555_5555_5555,
        ],
        |rm, f| div_d(D_ONE, D_THREE, rm, f),
    );
    check_modes(
        "-2/3 d",
        [
            0xbfe5_5555_5555_5555,
            0xbfe5_5555_5555_5555,
            0xbfe5_5555_5555_5556,
            0xbfe5_5555_5555_5555,
            0xbfe5_5555_5555_5555,
        ],
        |rm, f| div_d(D_TWO | D_NZERO, D_THREE, rm, f),
    );
}

#[test]
fn sqrt_rounds_in_every_mode() {
    check_modes(
        "sqrt2 s",
        [
            0x3fb5_04f3,
            0x3fb5_04f3,
            0x3fb5_04f3,
            0x3fb5_04f4,
            0x3fb5_04f3,
        ],
        |rm, f| sqrt_s(S_TWO, rm, f),
    );
    check_modes(
        "sqrt2 d",
        [
            0x3ff6_a09e_667f_3bcd,
            0x3ff6_a09e_667f_3bcc,
            0x3ff6_a09e_667f_3bcc,
            0x3ff6_a09e_667f_3bcd,
            0x3ff6_a09e_667f_3bcd,
        ],
        |rm, f| sqrt_d(D_TWO, rm, f),
    );
    for rm in MODES {
        assert_eq!(run(|f| sqrt_s(0x4080_0000, rm, f)), (S_TWO, 0));
        assert_eq!(run(|f| sqrt_d(D_NZERO, rm, f)), (D_NZERO, 0));
    }
}

#[test]
fn fma_rounds_once_in_every_mode() {
    // (1 + 2^-23)^2 - 1 = 2^-22 + 2^-46: a tie at 2^-22's precision.
    let a = 0x3f80_0001;
    check_modes(
        "fma s",
        [
            0x3480_0000,
            0x3480_0000,
            0x3480_0000,
            0x3480_0001,
            0x3480_0001,
        ],
        |rm, f| fma_s(a, a, 0xbf80_0000, rm, f),
    );
    check_modes(
        "-fma s",
        [
            0xb480_0000,
            0xb480_0000,
            0xb480_0001,
            0xb480_0000,
            0xb480_0001,
        ],
        |rm, f| fma_s(a | 0x8000_0000, a, S_ONE, rm, f),
    );
    let a = 0x3ff0_0000_0000_0001;
    check_modes(
        "fma d",
        [
            0x3cc0_0000_0000_0000,
            0x3cc0_0000_0000_0000,
            0x3cc0_0000_0000_0000,
            0x3cc0_0000_0000_0001,
            0x3cc0_0000_0000_0001,
        ],
        |rm, f| fma_d(a, a, D_ONE | D_NZERO, rm, f),
    );
    // A single rounding: 0.1f * 10 - 1 is exactly 2^-26, where mul then add gives 0.
    for rm in MODES {
        assert_eq!(
            run(|f| fma_s(s(0.1), s(10.0), s(-1.0), rm, f)),
            (0x3280_0000, 0)
        );
        assert_eq!(
            run(|f| fma_d(d(0.1), d(10.0), d(-1.0), rm, f)),
            (0x3c90_0000_0000_0000, 0)
        );
    }
}

#[test]
fn exceptional_results_and_flags() {
    for rm in MODES {
        // 0/0 and friends: NV and the canonical NaN.
        assert_eq!(
            run(|f| div_s(S_PZERO, S_PZERO, rm, f)),
            (CANONICAL_NAN_S, NV)
        );
        assert_eq!(
            run(|f| div_d(D_PZERO, D_NZERO, rm, f)),
            (CANONICAL_NAN_D, NV)
        );
        assert_eq!(run(|f| sub_s(S_PINF, S_PINF, rm, f)), (CANONICAL_NAN_S, NV));
        assert_eq!(run(|f| add_d(D_PINF, D_NINF, rm, f)), (CANONICAL_NAN_D, NV));
        assert_eq!(
            run(|f| mul_s(S_PZERO, S_NINF, rm, f)),
            (CANONICAL_NAN_S, NV)
        );
        assert_eq!(
            run(|f| mul_d(D_PINF, D_NZERO, rm, f)),
            (CANONICAL_NAN_D, NV)
        );
        assert_eq!(run(|f| sqrt_s(0xbf80_0000, rm, f)), (CANONICAL_NAN_S, NV));
        assert_eq!(run(|f| sqrt_d(D_NINF, rm, f)), (CANONICAL_NAN_D, NV));
        assert_eq!(
            run(|f| fma_s(S_PINF, S_PZERO, S_ONE, rm, f)),
            (CANONICAL_NAN_S, NV)
        );
        assert_eq!(
            run(|f| fma_d(D_ONE, D_PINF, D_NINF, rm, f)),
            (CANONICAL_NAN_D, NV)
        );
        // ∞ × 0 + qNaN is invalid on RISC-V.
        assert_eq!(
            run(|f| fma_s(S_PINF, S_PZERO, S_QNAN, rm, f)),
            (CANONICAL_NAN_S, NV)
        );
        assert_eq!(
            run(|f| fma_d(D_PZERO, D_NINF, D_QNAN, rm, f)),
            (CANONICAL_NAN_D, NV)
        );
        // Division by zero: DZ and a signed infinity.
        assert_eq!(run(|f| div_s(S_ONE, S_PZERO, rm, f)), (S_PINF, DZ));
        assert_eq!(run(|f| div_s(S_ONE, S_NZERO, rm, f)), (S_NINF, DZ));
        assert_eq!(
            run(|f| div_d(D_NZERO | D_ONE, D_PZERO, rm, f)),
            (D_NINF, DZ)
        );
        // ∞ / 0 is exact, not a division by zero.
        assert_eq!(run(|f| div_d(D_PINF, D_PZERO, rm, f)), (D_PINF, 0));
        // Exact results raise nothing.
        assert_eq!(run(|f| add_s(S_ONE, S_TWO, rm, f)), (S_THREE, 0));
        assert_eq!(run(|f| mul_d(D_TWO, D_TWO, rm, f)), (d(4.0), 0));
        assert_eq!(run(|f| div_d(D_THREE, D_TWO, rm, f)), (d(1.5), 0));
        // An exact subnormal result is not an underflow.
        assert_eq!(
            run(|f| mul_s(S_MIN_NORMAL, s(0.5), rm, f)),
            (0x0040_0000, 0)
        );
        assert_eq!(
            run(|f| sub_s(0x0000_0003, 0x0000_0001, rm, f)),
            (0x0000_0002, 0)
        );
    }
    // x - x is +0 except under RDN.
    assert_eq!(run(|f| sub_s(S_ONE, S_ONE, RNE, f)), (S_PZERO, 0));
    assert_eq!(run(|f| sub_s(S_ONE, S_ONE, RDN, f)), (S_NZERO, 0));
    assert_eq!(run(|f| sub_d(D_ONE, D_ONE, RDN, f)), (D_NZERO, 0));
    // Overflow: OF|NX; the directed modes stop at the largest finite value.
    let big = [S_PINF, S_MAX, S_MAX, S_PINF, S_PINF];
    for (rm, want) in MODES.into_iter().zip(big) {
        assert_eq!(
            run(|f| mul_s(S_MAX, S_TWO, rm, f)),
            (want, OF | NX),
            "rm={rm}"
        );
    }
    let big = [D_NINF, D_MAX | D_NZERO, D_NINF, D_MAX | D_NZERO, D_NINF];
    for (rm, want) in MODES.into_iter().zip(big) {
        assert_eq!(
            run(|f| add_d(D_MAX | D_NZERO, D_MAX | D_NZERO, rm, f)),
            (want, OF | NX)
        );
    }
    // Tiny and inexact: UF|NX.
    let tiny = [0, 0, 0, S_MIN_SUB, 0];
    for (rm, want) in MODES.into_iter().zip(tiny) {
        assert_eq!(
            run(|f| mul_s(S_MIN_SUB, s(0.25), rm, f)),
            (want, UF | NX),
            "rm={rm}"
        );
    }
    assert_eq!(
        run(|f| mul_s(0x0080_0001, s(0.5), RNE, f)),
        (0x0040_0000, UF | NX)
    );
    assert_eq!(run(|f| div_d(D_MIN_NORMAL, d(3.0), RNE, f)).1, UF | NX);
}

#[test]
fn underflow_uses_tininess_after_rounding() {
    // Products just below the smallest normal that round up to it with an unbounded
    // exponent are not tiny after rounding: NX only under RNE, UF|NX under RTZ.
    let (x, y) = (0x3f7f_fffe, 0x0080_0001); // (1 - 2^-23)(1 + 2^-23) 2^-126
    assert_eq!(run(|f| mul_s(x, y, RNE, f)), (S_MIN_NORMAL, NX));
    assert_eq!(run(|f| mul_s(x, y, RMM, f)), (S_MIN_NORMAL, NX));
    assert_eq!(run(|f| mul_s(x, y, RTZ, f)), (0x007f_ffff, UF | NX));
    let (x, y) = (0x3fef_ffff_ffff_fffe, 0x0010_0000_0000_0001);
    assert_eq!(run(|f| mul_d(x, y, RNE, f)), (D_MIN_NORMAL, NX));
    assert_eq!(run(|f| mul_d(x, y, RUP, f)), (D_MIN_NORMAL, NX));
    assert_eq!(
        run(|f| mul_d(x, y, RDN, f)),
        (0x000f_ffff_ffff_ffff, UF | NX)
    );
    assert_eq!(run(|f| fma_d(x, y, D_PZERO, RNE, f)), (D_MIN_NORMAL, NX));
    assert_eq!(run(|f| fma_d(x, y, D_PZERO, RMM, f)), (D_MIN_NORMAL, NX));
    // Exactly representable with an unbounded exponent, hence tiny, yet rounded to the
    // smallest normal in the subnormal range: UF|NX.
    let x = 0x3f7f_ffff; // 1 - 2^-24
    assert_eq!(
        run(|f| mul_s(x, S_MIN_NORMAL, RNE, f)),
        (S_MIN_NORMAL, UF | NX)
    );
    let x = 0x3fef_ffff_ffff_ffff; // 1 - 2^-53
    assert_eq!(
        run(|f| mul_d(x, D_MIN_NORMAL, RNE, f)),
        (D_MIN_NORMAL, UF | NX)
    );
    let x = d(f64::from(f32::MIN_POSITIVE) * (1.0 - 2f64.powi(-24)));
    assert_eq!(run(|f| d_to_s(x, RNE, f)), (S_MIN_NORMAL, UF | NX));
    let x = d(f64::from(f32::MIN_POSITIVE) * (1.0 - 2f64.powi(-25)));
    assert_eq!(run(|f| d_to_s(x, RNE, f)), (S_MIN_NORMAL, NX));
    assert_eq!(run(|f| d_to_s(x, RTZ, f)), (0x007f_ffff, UF | NX));
}

#[test]
fn nan_results_are_canonical() {
    for rm in MODES {
        // Quiet NaN inputs propagate silently, signaling ones raise NV; either way the
        // result is the canonical NaN, whatever the input's sign and payload.
        assert_eq!(run(|f| add_s(S_QNAN, S_ONE, rm, f)), (CANONICAL_NAN_S, 0));
        assert_eq!(run(|f| add_s(S_NQNAN, S_ONE, rm, f)), (CANONICAL_NAN_S, 0));
        assert_eq!(run(|f| mul_s(S_ONE, S_SNAN, rm, f)), (CANONICAL_NAN_S, NV));
        assert_eq!(
            run(|f| sqrt_s(S_SNAN | 0x8000_0000, rm, f)),
            (CANONICAL_NAN_S, NV)
        );
        assert_eq!(run(|f| div_d(D_QNAN, D_QNAN, rm, f)), (CANONICAL_NAN_D, 0));
        assert_eq!(run(|f| sub_d(D_SNAN, D_QNAN, rm, f)), (CANONICAL_NAN_D, NV));
        assert_eq!(
            run(|f| sqrt_d(D_QNAN | D_NZERO, rm, f)),
            (CANONICAL_NAN_D, 0)
        );
        assert_eq!(
            run(|f| fma_s(S_ONE, S_ONE, S_QNAN, rm, f)),
            (CANONICAL_NAN_S, 0)
        );
        assert_eq!(
            run(|f| fma_d(D_ONE, D_SNAN, D_ONE, rm, f)),
            (CANONICAL_NAN_D, NV)
        );
        assert_eq!(run(|f| d_to_s(D_QNAN, rm, f)), (CANONICAL_NAN_S, 0));
        assert_eq!(
            run(|f| d_to_s(D_SNAN | D_NZERO, rm, f)),
            (CANONICAL_NAN_S, NV)
        );
    }
}

#[test]
fn comparisons() {
    let cmp_s = |a, b| {
        let (eq, fe) = run(|f| eq_s(a, b, f));
        let (lt, fl) = run(|f| lt_s(a, b, f));
        let (le, fle) = run(|f| le_s(a, b, f));
        (eq, lt, le, fe, fl, fle)
    };
    assert_eq!(cmp_s(S_ONE, S_TWO), (false, true, true, 0, 0, 0));
    assert_eq!(cmp_s(S_TWO, S_ONE), (false, false, false, 0, 0, 0));
    assert_eq!(cmp_s(S_ONE, S_ONE), (true, false, true, 0, 0, 0));
    assert_eq!(cmp_s(S_NZERO, S_PZERO), (true, false, true, 0, 0, 0));
    assert_eq!(cmp_s(S_NINF, S_PINF), (false, true, true, 0, 0, 0));
    // feq is quiet on qNaN; flt/fle signal on any NaN; all are false.
    assert_eq!(cmp_s(S_QNAN, S_ONE), (false, false, false, 0, NV, NV));
    assert_eq!(cmp_s(S_ONE, S_NQNAN), (false, false, false, 0, NV, NV));
    assert_eq!(cmp_s(S_QNAN, S_QNAN), (false, false, false, 0, NV, NV));
    assert_eq!(cmp_s(S_SNAN, S_ONE), (false, false, false, NV, NV, NV));
    assert_eq!(cmp_s(S_QNAN, S_SNAN), (false, false, false, NV, NV, NV));

    let cmp_d = |a, b| {
        let (eq, fe) = run(|f| eq_d(a, b, f));
        let (lt, fl) = run(|f| lt_d(a, b, f));
        let (le, fle) = run(|f| le_d(a, b, f));
        (eq, lt, le, fe, fl, fle)
    };
    assert_eq!(cmp_d(D_ONE, D_TWO), (false, true, true, 0, 0, 0));
    assert_eq!(cmp_d(D_PZERO, D_NZERO), (true, false, true, 0, 0, 0));
    assert_eq!(cmp_d(d(-3.0), D_NZERO), (false, true, true, 0, 0, 0));
    assert_eq!(cmp_d(D_QNAN, D_QNAN), (false, false, false, 0, NV, NV));
    assert_eq!(cmp_d(D_ONE, D_SNAN), (false, false, false, NV, NV, NV));
}

#[test]
fn min_max() {
    let mm_s = |a, b| (run(|f| min_s(a, b, f)), run(|f| max_s(a, b, f)));
    assert_eq!(mm_s(S_ONE, S_TWO), ((S_ONE, 0), (S_TWO, 0)));
    assert_eq!(mm_s(S_TWO, S_ONE), ((S_ONE, 0), (S_TWO, 0)));
    assert_eq!(mm_s(s(-1.0), S_ONE), ((s(-1.0), 0), (S_ONE, 0)));
    assert_eq!(mm_s(S_NINF, S_PINF), ((S_NINF, 0), (S_PINF, 0)));
    // -0 < +0 in either order.
    assert_eq!(mm_s(S_NZERO, S_PZERO), ((S_NZERO, 0), (S_PZERO, 0)));
    assert_eq!(mm_s(S_PZERO, S_NZERO), ((S_NZERO, 0), (S_PZERO, 0)));
    assert_eq!(mm_s(S_NZERO, S_NZERO), ((S_NZERO, 0), (S_NZERO, 0)));
    // One NaN: the other operand; NV only for a signaling NaN.
    assert_eq!(mm_s(S_QNAN, S_ONE), ((S_ONE, 0), (S_ONE, 0)));
    assert_eq!(mm_s(S_TWO, S_NQNAN), ((S_TWO, 0), (S_TWO, 0)));
    assert_eq!(mm_s(S_SNAN, S_ONE), ((S_ONE, NV), (S_ONE, NV)));
    assert_eq!(mm_s(S_NZERO, S_SNAN), ((S_NZERO, NV), (S_NZERO, NV)));
    // Two NaNs: the canonical NaN.
    assert_eq!(
        mm_s(S_QNAN, S_NQNAN),
        ((CANONICAL_NAN_S, 0), (CANONICAL_NAN_S, 0))
    );
    assert_eq!(
        mm_s(S_SNAN, S_QNAN),
        ((CANONICAL_NAN_S, NV), (CANONICAL_NAN_S, NV))
    );

    let mm_d = |a, b| (run(|f| min_d(a, b, f)), run(|f| max_d(a, b, f)));
    assert_eq!(mm_d(D_ONE, d(-2.0)), ((d(-2.0), 0), (D_ONE, 0)));
    assert_eq!(mm_d(D_PZERO, D_NZERO), ((D_NZERO, 0), (D_PZERO, 0)));
    assert_eq!(mm_d(D_QNAN, D_NINF), ((D_NINF, 0), (D_NINF, 0)));
    assert_eq!(mm_d(D_ONE, D_SNAN), ((D_ONE, NV), (D_ONE, NV)));
    assert_eq!(
        mm_d(D_SNAN, D_SNAN),
        ((CANONICAL_NAN_D, NV), (CANONICAL_NAN_D, NV))
    );
    assert_eq!(
        mm_d(D_QNAN, D_QNAN),
        ((CANONICAL_NAN_D, 0), (CANONICAL_NAN_D, 0))
    );
}

#[test]
fn classify() {
    let cases_s = [
        (S_NINF, 0),
        (s(-1.5), 1),
        (0x8000_0001, 2),
        (S_NZERO, 3),
        (S_PZERO, 4),
        (0x007f_ffff, 5),
        (S_MAX, 6),
        (S_PINF, 7),
        (S_SNAN, 8),
        (0xffbf_ffff, 8),
        (S_QNAN, 9),
        (S_NQNAN, 9),
    ];
    for (x, bit) in cases_s {
        assert_eq!(class_s(x), 1 << bit, "{x:#x}");
    }
    let cases_d = [
        (D_NINF, 0),
        (d(-1e300), 1),
        (0x800f_ffff_ffff_ffff, 2),
        (D_NZERO, 3),
        (D_PZERO, 4),
        (1, 5),
        (D_MIN_NORMAL, 6),
        (D_PINF, 7),
        (D_SNAN, 8),
        (CANONICAL_NAN_D, 9),
        (0xfff8_0000_0000_0001, 9),
    ];
    for (x, bit) in cases_d {
        assert_eq!(class_d(x), 1 << bit, "{x:#x}");
    }
}

#[test]
fn float_to_int_rounds_in_every_mode() {
    // Per mode: 1.5, 2.5, -1.5, -2.5.
    let want: [[i32; 4]; 5] = [
        [2, 2, -2, -2],
        [1, 2, -1, -2],
        [1, 2, -2, -3],
        [2, 3, -1, -2],
        [2, 3, -2, -3],
    ];
    for (rm, want) in MODES.into_iter().zip(want) {
        for (x, want) in [1.5, 2.5, -1.5, -2.5].into_iter().zip(want) {
            assert_eq!(run(|f| s_to_i32(s(x), rm, f)), (want, NX), "{x} rm={rm}");
            assert_eq!(
                run(|f| d_to_i32(d(x as f64), rm, f)),
                (want, NX),
                "{x} rm={rm}"
            );
            assert_eq!(
                run(|f| s_to_i64(s(x), rm, f)),
                (want as i64, NX),
                "{x} rm={rm}"
            );
            assert_eq!(run(|f| d_to_i64(d(x as f64), rm, f)), (want as i64, NX));
        }
        for (x, want) in [1.5, 2.5].into_iter().zip(want) {
            assert_eq!(run(|f| s_to_u32(s(x), rm, f)), (want as u32, NX));
            assert_eq!(run(|f| d_to_u64(d(x as f64), rm, f)), (want as u64, NX));
        }
        // Exact conversions raise nothing.
        assert_eq!(run(|f| d_to_i32(d(-7.0), rm, f)), (-7, 0));
        assert_eq!(run(|f| s_to_u64(S_NZERO, rm, f)), (0, 0));
        assert_eq!(run(|f| d_to_u32(d(4294967295.0), rm, f)), (u32::MAX, 0));
        assert_eq!(run(|f| d_to_i32(d(-2147483648.0), rm, f)), (i32::MIN, 0));
    }
}

#[test]
fn float_to_int_saturates() {
    for rm in MODES {
        // NaN (of either sign) → the largest value.
        for nan in [S_QNAN, S_NQNAN, S_SNAN] {
            assert_eq!(run(|f| s_to_i32(nan, rm, f)), (i32::MAX, NV));
            assert_eq!(run(|f| s_to_u32(nan, rm, f)), (u32::MAX, NV));
            assert_eq!(run(|f| s_to_i64(nan, rm, f)), (i64::MAX, NV));
            assert_eq!(run(|f| s_to_u64(nan, rm, f)), (u64::MAX, NV));
        }
        for nan in [D_QNAN, D_QNAN | D_NZERO, D_SNAN] {
            assert_eq!(run(|f| d_to_i32(nan, rm, f)), (i32::MAX, NV));
            assert_eq!(run(|f| d_to_u32(nan, rm, f)), (u32::MAX, NV));
            assert_eq!(run(|f| d_to_i64(nan, rm, f)), (i64::MAX, NV));
            assert_eq!(run(|f| d_to_u64(nan, rm, f)), (u64::MAX, NV));
        }
        // ±∞ → the bounds.
        assert_eq!(run(|f| s_to_i32(S_PINF, rm, f)), (i32::MAX, NV));
        assert_eq!(run(|f| s_to_i32(S_NINF, rm, f)), (i32::MIN, NV));
        assert_eq!(run(|f| d_to_u32(D_PINF, rm, f)), (u32::MAX, NV));
        assert_eq!(run(|f| d_to_u32(D_NINF, rm, f)), (0, NV));
        assert_eq!(run(|f| d_to_i64(D_NINF, rm, f)), (i64::MIN, NV));
        assert_eq!(run(|f| s_to_u64(S_PINF, rm, f)), (u64::MAX, NV));
        // Just out of range.
        assert_eq!(run(|f| d_to_i32(d(2147483648.0), rm, f)), (i32::MAX, NV));
        assert_eq!(run(|f| s_to_i32(s(2147483648.0), rm, f)), (i32::MAX, NV));
        assert_eq!(run(|f| d_to_i32(d(-2147483649.0), rm, f)), (i32::MIN, NV));
        assert_eq!(run(|f| d_to_u32(d(4294967296.0), rm, f)), (u32::MAX, NV));
        assert_eq!(
            run(|f| d_to_i64(d(9223372036854775808.0), rm, f)),
            (i64::MAX, NV)
        );
        assert_eq!(
            run(|f| s_to_i64(s(9223372036854775808.0), rm, f)),
            (i64::MAX, NV)
        );
        assert_eq!(
            run(|f| d_to_i64(d(-9223372036854775808.0), rm, f)),
            (i64::MIN, 0)
        );
        assert_eq!(
            run(|f| s_to_u64(s(18446744073709551616.0), rm, f)),
            (u64::MAX, NV)
        );
        assert_eq!(
            run(|f| d_to_u64(d(9223372036854775808.0), rm, f)),
            (1 << 63, 0)
        );
        // Negative to unsigned: anything that rounds below zero is invalid.
        assert_eq!(run(|f| d_to_u32(d(-1.0), rm, f)), (0, NV));
        assert_eq!(run(|f| s_to_u64(s(-1.0), rm, f)), (0, NV));
        assert_eq!(run(|f| d_to_u64(d(-3e30), rm, f)), (0, NV));
    }
    // -0.5 rounds to 0 (NX) except under RDN and RMM, which round it to -1 (NV).
    for (rm, want) in MODES
        .into_iter()
        .zip([(0, NX), (0, NX), (0, NV), (0, NX), (0, NV)])
    {
        assert_eq!(run(|f| s_to_u32(s(-0.5), rm, f)), want, "rm={rm}");
        assert_eq!(run(|f| d_to_u64(d(-0.5), rm, f)), (0, want.1), "rm={rm}");
    }
    // 2^31 - 0.5 stays in range only when rounded down.
    let x = d(2147483647.5);
    assert_eq!(run(|f| d_to_i32(x, RNE, f)), (i32::MAX, NV));
    assert_eq!(run(|f| d_to_i32(x, RTZ, f)), (i32::MAX, NX));
    assert_eq!(run(|f| d_to_i32(x, RUP, f)), (i32::MAX, NV));
    let x = d(-2147483648.5);
    assert_eq!(run(|f| d_to_i32(x, RNE, f)), (i32::MIN, NX));
    assert_eq!(run(|f| d_to_i32(x, RDN, f)), (i32::MIN, NV));
    assert_eq!(run(|f| d_to_i32(x, RMM, f)), (i32::MIN, NV));
}

#[test]
fn int_to_float_rounds() {
    // 2^24 + 1 is a tie for singles.
    let want = [
        0x4b80_0000,
        0x4b80_0000,
        0x4b80_0000,
        0x4b80_0001,
        0x4b80_0001,
    ];
    check_modes("2^24+1", want, |rm, f| i64_to_s((1 << 24) + 1, rm, f));
    check_modes("2^24+1 i32", want, |rm, f| i32_to_s((1 << 24) + 1, rm, f));
    check_modes("2^24+1 u32", want, |rm, f| u32_to_s((1 << 24) + 1, rm, f));
    check_modes("2^24+1 u64", want, |rm, f| u64_to_s((1 << 24) + 1, rm, f));
    let want = [
        0xcb80_0000,
        0xcb80_0000,
        0xcb80_0001,
        0xcb80_0000,
        0xcb80_0001,
    ];
    check_modes("-(2^24+1)", want, |rm, f| i64_to_s(-(1 << 24) - 1, rm, f));
    let want = [
        0x4b80_0002,
        0x4b80_0001,
        0x4b80_0001,
        0x4b80_0002,
        0x4b80_0002,
    ];
    check_modes("2^24+3", want, |rm, f| i64_to_s((1 << 24) + 3, rm, f));
    let want = [
        0x5f00_0000,
        0x5eff_ffff,
        0x5eff_ffff,
        0x5f00_0000,
        0x5f00_0000,
    ];
    check_modes("i64::MAX", want, |rm, f| i64_to_s(i64::MAX, rm, f));
    let want = [
        0x5f80_0000,
        0x5f7f_ffff,
        0x5f7f_ffff,
        0x5f80_0000,
        0x5f80_0000,
    ];
    check_modes("u64::MAX", want, |rm, f| u64_to_s(u64::MAX, rm, f));
    let want = [
        0x4340_0000_0000_0000,
        0x4340_0000_0000_0000,
        0x4340_0000_0000_0000,
        0x4340_0000_0000_0001,
        0x4340_0000_0000_0001,
    ];
    check_modes("2^53+1", want, |rm, f| i64_to_d((1 << 53) + 1, rm, f));
    check_modes("2^53+1 u", want, |rm, f| u64_to_d((1 << 53) + 1, rm, f));
    for rm in MODES {
        assert_eq!(run(|f| i64_to_s(i64::MIN, rm, f)), (0xdf00_0000, 0));
        assert_eq!(run(|f| i32_to_s(i32::MIN, rm, f)), (0xcf00_0000, 0));
        assert_eq!(run(|f| i32_to_s(-3, rm, f)), (s(-3.0), 0));
        assert_eq!(run(|f| u32_to_s(1 << 24, rm, f)), (0x4b80_0000, 0));
        assert_eq!(run(|f| i32_to_d(i32::MIN, rm, f)), (d(-2147483648.0), 0));
        assert_eq!(run(|f| u32_to_d(u32::MAX, rm, f)), (d(4294967295.0), 0));
        assert_eq!(run(|f| i64_to_d(0, rm, f)), (D_PZERO, 0));
        assert_eq!(
            run(|f| u64_to_d(1 << 63, rm, f)),
            (0x43e0_0000_0000_0000, 0)
        );
    }
}

#[test]
fn double_to_single() {
    let x = 0x3ff0_0000_1000_0000; // 1 + 2^-24, a tie
    check_modes(
        "1+2^-24",
        [S_ONE, S_ONE, S_ONE, 0x3f80_0001, 0x3f80_0001],
        |rm, f| d_to_s(x, rm, f),
    );
    let x = 0xbff0_0000_1800_0000; // -(1 + 3 * 2^-25)
    check_modes(
        "-(1+3*2^-25)",
        [
            0xbf80_0001,
            0xbf80_0000,
            0xbf80_0001,
            0xbf80_0000,
            0xbf80_0001,
        ],
        |rm, f| d_to_s(x, rm, f),
    );
    // Overflow.
    let big = [S_PINF, S_MAX, S_MAX, S_PINF, S_PINF];
    for (rm, want) in MODES.into_iter().zip(big) {
        assert_eq!(run(|f| d_to_s(d(1e300), rm, f)), (want, OF | NX), "rm={rm}");
    }
    // Underflow.
    let tiny = [
        0x8000_0000,
        0x8000_0000,
        0x8000_0001,
        0x8000_0000,
        0x8000_0000,
    ];
    for (rm, want) in MODES.into_iter().zip(tiny) {
        assert_eq!(
            run(|f| d_to_s(d(-1e-50), rm, f)),
            (want, UF | NX),
            "rm={rm}"
        );
    }
    for rm in MODES {
        assert_eq!(run(|f| d_to_s(D_PINF, rm, f)), (S_PINF, 0));
        assert_eq!(run(|f| d_to_s(D_NZERO, rm, f)), (S_NZERO, 0));
        assert_eq!(
            run(|f| d_to_s(d(f32::MIN_POSITIVE as f64 / 8.0), rm, f)),
            (0x0010_0000, 0)
        );
        assert_eq!(run(|f| d_to_s(d(0.1f32 as f64), rm, f)), (s(0.1), 0));
    }
}

#[test]
fn single_to_double() {
    assert_eq!(run(|f| s_to_d(s(0.1), f)), (d(0.1f32 as f64), 0));
    assert_eq!(run(|f| s_to_d(S_MIN_SUB, f)), (0x36a0_0000_0000_0000, 0));
    assert_eq!(run(|f| s_to_d(S_NINF, f)), (D_NINF, 0));
    assert_eq!(run(|f| s_to_d(S_NZERO, f)), (D_NZERO, 0));
    assert_eq!(run(|f| s_to_d(S_QNAN, f)), (CANONICAL_NAN_D, 0));
    assert_eq!(run(|f| s_to_d(S_NQNAN, f)), (CANONICAL_NAN_D, 0));
    assert_eq!(run(|f| s_to_d(S_SNAN, f)), (CANONICAL_NAN_D, NV));
}

#[test]
fn flags_accumulate() {
    let mut flags = 0;
    div_s(S_ONE, S_PZERO, RNE, &mut flags);
    div_s(S_ONE, S_THREE, RNE, &mut flags);
    add_s(S_ONE, S_ONE, RNE, &mut flags);
    assert_eq!(flags, DZ | NX);
}

#[test]
fn rounding_mode_changes_take_effect() {
    // Alternating modes must not leave a stale mode behind on either path.
    for _ in 0..3 {
        for (rm, want) in MODES.into_iter().zip([
            0x3eaa_aaab,
            0x3eaa_aaaa,
            0x3eaa_aaaa,
            0x3eaa_aaab,
            0x3eaa_aaab,
        ]) {
            assert_eq!(run(|f| div_s(S_ONE, S_THREE, rm, f)).0, want);
            assert_eq!(single::soft_div(S_ONE, S_THREE, rm, &mut 0), want);
        }
    }
}
