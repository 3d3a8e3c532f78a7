//! The per-hart cache of decoded code: guest pages of lazily decoded instruction slots,
//! so that each instruction is fetched and decoded once, not every time it runs.

use super::compressed::expand_compressed;
use super::decode::decode;
use super::insn::{Insn, Op};
use super::HartEnv;
use mmu::MemFault;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Guest page size the cache is organised by.
pub(super) const PAGE_SIZE: u64 = 4096;
/// One slot per possible instruction start (every 2 bytes).
pub(super) const SLOTS: usize = PAGE_SIZE as usize / 2;
/// Entries in the direct-mapped table of recently used pages.
const RECENT: usize = 64;

/// The decoded instructions of one guest page, indexed by (pc % page size) / 2. An
/// instruction that straddles into the next page lives in the page where it starts.
pub(super) struct DecodedPage {
    slots: Box<[Insn; SLOTS]>,
}

impl DecodedPage {
    fn new() -> DecodedPage {
        let slots = vec![Insn::bare(Op::Undecoded, 0); SLOTS]
            .into_boxed_slice()
            .try_into()
            .unwrap_or_else(|_| unreachable!("the slot vector has SLOTS entries"));
        DecodedPage { slots }
    }

    /// The slots, for the run loop.
    #[inline(always)]
    pub(super) fn slots(&mut self) -> &mut [Insn; SLOTS] {
        &mut self.slots
    }
}

/// Fetches and decodes the instruction at `pc`, fetching its second parcel from the
/// next page if it straddles the boundary.
#[inline(never)]
pub(super) fn fetch_and_decode<E: HartEnv>(pc: u64, env: &mut E) -> Result<Insn, MemFault> {
    let low = env.fetch_u16(pc)?;
    let insn = if low & 3 != 3 {
        match expand_compressed(low) {
            Some(raw) => Insn {
                len: 2,
                ..decode(raw)
            },
            None => Insn::illegal(u32::from(low), 2),
        }
    } else {
        let high = env.fetch_u16(pc.wrapping_add(2))?;
        decode(u32::from(low) | u32::from(high) << 16)
    };
    Ok(specialise(insn))
}

/// Rewrites an instruction into a form that is cheaper to run with the same effect:
/// operations that only write rd become nops when rd is x0, which lets the run loop
/// write rd for them without re-zeroing x0.
fn specialise(insn: Insn) -> Insn {
    if insn.rd == 0 && insn.op.only_writes_rd() {
        Insn::bare(Op::Nop, insn.len)
    } else {
        insn
    }
}

/// The cache of decoded pages, valid for one icache epoch.
pub(super) struct DecodedCache {
    epoch: u64,
    pages: Vec<DecodedPage>,
    index: HashMap<u64, u32, BuildHasherDefault<PageNumberHasher>>,
    /// (guest page number, index into `pages`), direct-mapped by page number; tag
    /// `u64::MAX` marks an empty entry (no guest page number is that large).
    recent: [(u64, u32); RECENT],
}

impl Default for DecodedCache {
    fn default() -> Self {
        DecodedCache {
            epoch: 0,
            pages: Vec::new(),
            index: HashMap::default(),
            recent: [(u64::MAX, 0); RECENT],
        }
    }
}

impl DecodedCache {
    /// The epoch the cached code was decoded in.
    pub(super) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Drops everything if the code was decoded in another epoch than `epoch`.
    pub(super) fn sync_epoch(&mut self, epoch: u64) {
        if epoch != self.epoch {
            self.clear();
            self.epoch = epoch;
        }
    }

    /// Drops all decoded code.
    pub(super) fn clear(&mut self) {
        self.pages.clear();
        self.index.clear();
        self.recent.fill((u64::MAX, 0));
    }

    /// The decoded page holding `pc`, created empty if needed.
    #[inline]
    pub(super) fn page(&mut self, pc: u64) -> &mut DecodedPage {
        let number = pc / PAGE_SIZE;
        let entry = &mut self.recent[number as usize % RECENT];
        let at = if entry.0 == number {
            entry.1
        } else {
            let pages = &mut self.pages;
            let at = *self.index.entry(number).or_insert_with(|| {
                pages.push(DecodedPage::new());
                (pages.len() - 1) as u32
            });
            *entry = (number, at);
            at
        };
        &mut self.pages[at as usize]
    }
}

/// Hashes guest page numbers: keys are already well spread in their low bits, so a
/// multiply-fold is enough and much cheaper than SipHash.
#[derive(Default)]
struct PageNumberHasher(u64);

impl Hasher for PageNumberHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b) ^ self.0.rotate_left(8));
        }
    }

    fn write_u64(&mut self, v: u64) {
        let m = u128::from(v) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (m as u64) ^ (m >> 64) as u64;
    }
}
