//! The per-hart cache of decoded code: guest code decoded once into blocks of
//! straight-line instructions, found by guest address through per-page entry tables.
//!
//! A block runs from its first instruction to the first jump, trap-like instruction or
//! CSR access, the end of its page, or [`MAX_BLOCK`] instructions; conditional branches do not end
//! it (a taken one leaves it). Each instruction is a [`Slot`]: its handler, its
//! immediate already sign-extended (or made absolute for pc-relative operations) and
//! its operands. Each way out of a block remembers the block that last followed it (a
//! taken transfer in its slot, falling through in the block), so the run loop rarely
//! looks anything up. Everything is dropped together (new icache epoch, fence.i), which
//! keeps those links valid without bookkeeping.

use super::compressed::expand_compressed;
use super::decode::decode;
use super::fused::fuse;
use super::handlers::handler_for;
use super::insn::{Insn, Op};
use super::slot::{Code, Slot};
use super::HartEnv;
use devices::cast::u64_to_usize;
use mmu::MemFault;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Guest page size: blocks never run past the end of the page they start in.
pub(super) const PAGE_SIZE: u64 = 4096;
/// One entry per possible instruction start (every 2 bytes) of a page.
const ENTRIES: usize = u64_to_usize(PAGE_SIZE) / 2;
/// The most instructions in a block, which bounds how long straight-line code runs
/// between two polls of the hart's request flag.
pub(super) const MAX_BLOCK: usize = 64;
/// Decoded instructions kept before the cache starts over, bounding its memory.
const MAX_INSNS: usize = 1 << 21;
/// Entries in the direct-mapped table of recently used pages.
const RECENT: usize = 64;
/// No block (an empty entry or link).
const NONE: u32 = u32::MAX;

/// A decoded block.
pub(super) struct Block<E> {
    /// Guest address of the first instruction.
    pub(super) pc: u64,
    /// Guest address after the last instruction, where control falls through to.
    pub(super) fallthrough: u64,
    /// The instructions; the terminator's link is the block that last followed this one
    /// by falling through, checked by address before use.
    pub(super) code: Code<E>,
}

impl<E> Block<E> {
    /// The link of falling through past the last instruction.
    #[inline(always)]
    pub(super) fn fall_link(&self) -> u32 {
        self.code
            .get(self.code.len())
            .map_or(NONE, |terminator| terminator.link.get())
    }
}

/// A way out of a block.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Way {
    /// Past its last instruction.
    FellThrough,
    /// By the taken transfer of its instruction at this index.
    Taken(usize),
}

/// The decoded code of one hart for one icache epoch.
pub(super) struct DecodedCache<E> {
    epoch: u64,
    blocks: Vec<Block<E>>,
    /// Instructions in all blocks.
    insns: usize,
    /// Per guest page: the block starting at each 2-byte offset, or NONE.
    pages: Vec<Box<[u32; ENTRIES]>>,
    /// Guest page number to index into `pages`.
    index: HashMap<u64, u32, BuildHasherDefault<PageNumberHasher>>,
    /// (guest page number, index into `pages`), direct-mapped by page number; tag
    /// `u64::MAX` marks an empty entry (no guest page number is that large).
    recent: [(u64, u32); RECENT],
}

impl<E> Default for DecodedCache<E> {
    fn default() -> Self {
        DecodedCache {
            epoch: 0,
            blocks: Vec::new(),
            insns: 0,
            pages: Vec::new(),
            index: HashMap::default(),
            recent: [(u64::MAX, 0); RECENT],
        }
    }
}

impl<E: HartEnv> DecodedCache<E> {
    /// Drops everything if the code was decoded in another epoch than `epoch`.
    /// Returns whether it did.
    pub(super) fn sync_epoch(&mut self, epoch: u64) -> bool {
        if epoch == self.epoch {
            return false;
        }
        self.clear();
        self.epoch = epoch;
        true
    }

    /// Drops all decoded code.
    pub(super) fn clear(&mut self) {
        self.blocks.clear();
        self.insns = 0;
        self.pages.clear();
        self.index.clear();
        self.recent.fill((u64::MAX, 0));
    }

    /// Block `id`.
    #[inline(always)]
    pub(super) fn block(&self, id: u32) -> &Block<E> {
        &self.blocks[id as usize]
    }

    /// The block (its id, and itself) that `link`, taken from a way out of a block,
    /// names, if it starts at `pc`.
    #[inline(always)]
    pub(super) fn linked(&self, link: u32, pc: u64) -> Option<(u32, &Block<E>)> {
        // An empty link (NONE) is out of bounds.
        let block = self.blocks.get(link as usize)?;
        (block.pc == pc).then_some((link, block))
    }

    /// Records that block `to` followed block `from` by `way`. Harmless if the cache
    /// started over meanwhile: links are checked before use.
    pub(super) fn link(&mut self, from: u32, way: Way, to: u32) {
        let Some(block) = self.blocks.get(from as usize) else {
            return;
        };
        // Falling through is the terminator's way out, after the last instruction.
        let k = match way {
            Way::FellThrough => block.code.len(),
            Way::Taken(k) => k,
        };
        if let Some(slot) = block.code.get(k) {
            slot.link.set(to);
        }
    }

    /// The block starting at `pc`, decoded now if it is not yet. A fetch fault on its
    /// first instruction is returned; one on a later instruction ends the block before
    /// it, to be reported if control gets there.
    #[inline(never)]
    pub(super) fn block_at(&mut self, pc: u64, env: &mut E) -> Result<u32, MemFault> {
        let page = self.page(pc);
        let entry = ((pc % PAGE_SIZE) / 2) as usize;
        let id = self.pages[page][entry];
        if id != NONE {
            return Ok(id);
        }
        if self.insns >= MAX_INSNS {
            self.clear();
            return self.block_at(pc, env);
        }
        let id = self.decode_block(pc, env)?;
        self.pages[page][entry] = id;
        Ok(id)
    }

    /// Index into `pages` of the page holding `pc`, created if needed.
    fn page(&mut self, pc: u64) -> usize {
        let number = pc / PAGE_SIZE;
        let recent = &mut self.recent[number as usize % RECENT];
        if recent.0 == number {
            return recent.1 as usize;
        }
        let pages = &mut self.pages;
        let at = *self.index.entry(number).or_insert_with(|| {
            pages.push(
                vec![NONE; ENTRIES]
                    .into_boxed_slice()
                    .try_into()
                    .unwrap_or_else(|_| unreachable!("the entry vector has ENTRIES entries")),
            );
            u32::try_from(pages.len() - 1).expect("fewer than 2^32 code pages")
        });
        *recent = (number, at);
        at as usize
    }

    fn decode_block(&mut self, pc: u64, env: &mut E) -> Result<u32, MemFault> {
        let mut code = Vec::new();
        let mut at = pc;
        loop {
            let insn = match fetch_and_decode(at, env) {
                Ok(insn) => insn,
                Err(fault) if code.is_empty() => return Err(fault),
                Err(_) => break,
            };
            code.push(prepare(insn, at));
            at = at.wrapping_add(u64::from(insn.len));
            if ends_block(insn.op) || code.len() == MAX_BLOCK || (at ^ pc) >= PAGE_SIZE {
                break;
            }
        }
        fuse(&mut code);
        self.insns += code.len();
        self.blocks.push(Block {
            pc,
            fallthrough: at,
            code: Code::new(code, pc, NONE),
        });
        Ok(u32::try_from(self.blocks.len() - 1).expect("fewer than 2^32 blocks"))
    }
}

/// Fetches and decodes the instruction at `pc`, fetching its second parcel from the
/// next page if it straddles the boundary.
fn fetch_and_decode<E: HartEnv>(pc: u64, env: &mut E) -> Result<Insn, MemFault> {
    let low = env.fetch_u16(pc)?;
    if low & 3 != 3 {
        return Ok(match expand_compressed(low) {
            Some(raw) => Insn {
                len: 2,
                ..decode(raw)
            },
            None => Insn::illegal(u32::from(low), 2),
        });
    }
    let high = env.fetch_u16(pc.wrapping_add(2))?;
    Ok(decode(u32::from(low) | u32::from(high) << 16))
}

/// Whether `op` must be the last instruction of a block: it jumps, leaves the run,
/// drops the cache, or is a CSR access (which the run loop executes, knowing then how
/// many instructions retired before it). Conditional branches need not: a taken one
/// leaves the block, a branch not taken goes on with the next instruction.
fn ends_block(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Jal | Jalr
            | Ecall
            | Ebreak
            | Illegal
            | FenceI
            | Csrrw
            | Csrrs
            | Csrrc
            | Csrrwi
            | Csrrsi
            | Csrrci
    )
}

/// The slot of the instruction at `pc`: operations that only write rd become nops when
/// rd is x0 (so their handlers can write rd without re-zeroing x0), and pc-relative
/// immediates become absolute (so the run loop never tracks the pc of each
/// instruction).
fn prepare<E: HartEnv>(insn: Insn, pc: u64) -> Slot<E> {
    use Op::*;
    let insn = match insn.op {
        op if insn.rd == 0 && op.only_writes_rd() => Insn::bare(Nop, insn.len),
        _ => insn,
    };
    let imm = insn.imm as i64 as u64;
    let imm = match insn.op {
        Auipc | Jal | Beq | Bne | Blt | Bge | Bltu | Bgeu => pc.wrapping_add(imm),
        _ => imm,
    };
    Slot::new(handler_for::<E>(&insn), imm, insn, NONE)
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
        #[allow(clippy::cast_possible_truncation)] // the product's low and high halves
        {
            self.0 = (m as u64) ^ (m >> 64) as u64;
        }
    }
}
