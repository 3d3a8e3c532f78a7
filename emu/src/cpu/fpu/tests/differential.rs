//! The fast paths against SoftFloat on many generated operands.

use super::*;
use devices::cast::{low_i32, low_u32, u64_to_usize};

/// xorshift64*: a deterministic generator for the differential tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A float of `exp_bits`/`frac_bits` biased towards the interesting cases:
    /// specials, the underflow boundary (and half its exponent, so that products
    /// land there), 1.0's neighbourhood, and the overflow boundary.
    fn float(&mut self, exp_bits: u32, frac_bits: u32) -> u64 {
        let emax = (1u64 << exp_bits) - 1;
        let bias = emax / 2;
        let sign = self.below(2) << (exp_bits + frac_bits);
        let frac_mask = (1u64 << frac_bits) - 1;
        let frac = match self.below(4) {
            0 => self.next() & frac_mask,
            1 => (self.next() & frac_mask) >> self.below(u64::from(frac_bits)),
            2 => frac_mask ^ ((self.next() & frac_mask) >> self.below(u64::from(frac_bits))),
            _ => [0, 1, frac_mask, 1 << (frac_bits - 1)][u64_to_usize(self.below(4))],
        };
        let near = |r: &mut Self, e: u64| (e + r.below(7)).saturating_sub(3).min(emax);
        let exp = match self.below(8) {
            0 => [0, emax][u64_to_usize(self.below(2))],
            1 => self.below(emax + 1),
            2 => near(self, 0),
            3 => near(self, bias / 2),
            4 => near(self, bias),
            5 => near(self, bias + bias / 2),
            6 => near(self, emax - 1),
            _ => near(self, bias + u64::from(frac_bits)),
        };
        sign | exp << frac_bits | frac
    }

    fn single(&mut self) -> u32 {
        low_u32(self.float(8, 23))
    }

    fn double(&mut self) -> u64 {
        self.float(11, 52)
    }

    /// An integer of random width, so that every magnitude is exercised.
    fn int(&mut self) -> u64 {
        let v = self.next() >> self.below(64);
        if self.below(4) == 0 {
            v.wrapping_neg()
        } else {
            v
        }
    }
}

const ROUNDS: usize = 200_000;

/// Compares a fast path with its SoftFloat reference on generated inputs.
fn differential<I: Copy + std::fmt::Debug, O: PartialEq + std::fmt::Debug>(
    what: &str,
    mut input: impl FnMut(&mut Rng) -> I,
    fast: impl Fn(I, u8, &mut u8) -> O,
    reference: impl Fn(I, u8, &mut u8) -> O,
) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ what.len() as u64);
    for _ in 0..ROUNDS {
        let x = input(&mut rng);
        for rm in MODES {
            let got = run(|f| fast(x, rm, f));
            let want = run(|f| reference(x, rm, f));
            assert_eq!(got, want, "{what}({x:x?}) rm={rm}");
        }
    }
}

#[test]
fn arithmetic_matches_softfloat_single() {
    let pair = |r: &mut Rng| (r.single(), r.single());
    differential(
        "add_s",
        pair,
        |(a, b), rm, f| add_s(a, b, rm, f),
        |(a, b), rm, f| single::soft_add(a, b, rm, f),
    );
    differential(
        "sub_s",
        pair,
        |(a, b), rm, f| sub_s(a, b, rm, f),
        |(a, b), rm, f| single::soft_sub(a, b, rm, f),
    );
    differential(
        "mul_s",
        pair,
        |(a, b), rm, f| mul_s(a, b, rm, f),
        |(a, b), rm, f| single::soft_mul(a, b, rm, f),
    );
    differential(
        "div_s",
        pair,
        |(a, b), rm, f| div_s(a, b, rm, f),
        |(a, b), rm, f| single::soft_div(a, b, rm, f),
    );
    differential("sqrt_s", Rng::single, sqrt_s, single::soft_sqrt);
    differential(
        "fma_s",
        |r: &mut Rng| (r.single(), r.single(), r.single()),
        |(a, b, c), rm, f| fma_s(a, b, c, rm, f),
        |(a, b, c), rm, f| single::soft_fma(a, b, c, rm, f),
    );
}

#[test]
fn arithmetic_matches_softfloat_double() {
    let pair = |r: &mut Rng| (r.double(), r.double());
    differential(
        "add_d",
        pair,
        |(a, b), rm, f| add_d(a, b, rm, f),
        |(a, b), rm, f| double::soft_add(a, b, rm, f),
    );
    differential(
        "sub_d",
        pair,
        |(a, b), rm, f| sub_d(a, b, rm, f),
        |(a, b), rm, f| double::soft_sub(a, b, rm, f),
    );
    differential(
        "mul_d",
        pair,
        |(a, b), rm, f| mul_d(a, b, rm, f),
        |(a, b), rm, f| double::soft_mul(a, b, rm, f),
    );
    differential(
        "div_d",
        pair,
        |(a, b), rm, f| div_d(a, b, rm, f),
        |(a, b), rm, f| double::soft_div(a, b, rm, f),
    );
    differential("sqrt_d", Rng::double, sqrt_d, double::soft_sqrt);
    differential(
        "fma_d",
        |r: &mut Rng| (r.double(), r.double(), r.double()),
        |(a, b, c), rm, f| fma_d(a, b, c, rm, f),
        |(a, b, c), rm, f| double::soft_fma(a, b, c, rm, f),
    );
}

#[test]
fn conversions_match_softfloat() {
    differential("s_to_i32", Rng::single, s_to_i32, single::soft_to_i32);
    differential("s_to_u32", Rng::single, s_to_u32, single::soft_to_u32);
    differential("s_to_i64", Rng::single, s_to_i64, single::soft_to_i64);
    differential("s_to_u64", Rng::single, s_to_u64, single::soft_to_u64);
    differential("d_to_i32", Rng::double, d_to_i32, double::soft_to_i32);
    differential("d_to_u32", Rng::double, d_to_u32, double::soft_to_u32);
    differential("d_to_i64", Rng::double, d_to_i64, double::soft_to_i64);
    differential("d_to_u64", Rng::double, d_to_u64, double::soft_to_u64);
    differential(
        "i32_to_s",
        |r: &mut Rng| low_i32(r.int()),
        i32_to_s,
        single::soft_from_i32,
    );
    differential(
        "u32_to_s",
        |r: &mut Rng| low_u32(r.int()),
        u32_to_s,
        single::soft_from_u32,
    );
    differential(
        "i64_to_s",
        |r: &mut Rng| r.int() as i64,
        i64_to_s,
        single::soft_from_i64,
    );
    differential("u64_to_s", Rng::int, u64_to_s, single::soft_from_u64);
    differential(
        "i32_to_d",
        |r: &mut Rng| low_i32(r.int()),
        i32_to_d,
        double::soft_from_i32,
    );
    differential(
        "u32_to_d",
        |r: &mut Rng| low_u32(r.int()),
        u32_to_d,
        double::soft_from_u32,
    );
    differential(
        "i64_to_d",
        |r: &mut Rng| r.int() as i64,
        i64_to_d,
        double::soft_from_i64,
    );
    differential("u64_to_d", Rng::int, u64_to_d, double::soft_from_u64);
    // Doubles around the single range: exponents within reach of single's.
    let near_single = |r: &mut Rng| {
        let x = r.double();
        let exp = (x >> 52) & 0x7ff;
        let exp = if exp == 0 || exp == 0x7ff {
            exp
        } else {
            1023 - 160 + exp % 300
        };
        x & !(0x7ff << 52) | exp << 52
    };
    differential("d_to_s", near_single, d_to_s, soft_d_to_s);
    differential("d_to_s wide", Rng::double, d_to_s, soft_d_to_s);
    differential(
        "s_to_d",
        Rng::single,
        |a, _, f| s_to_d(a, f),
        // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
        |a, _, f| collect_flags(f, || unsafe { sf::f32_to_f64(sf::float32_t { v: a }) }).v,
    );
}
