//! The run loop: calls the handler of each decoded instruction of a block, then
//! follows the block's link for the way it left to the next block, until something
//! must be reported to the caller.

use super::decoded_cache::{Block, DecodedCache, Way};
use super::slot::{Flow, Slot};
use super::{Cpu, Exit, HartEnv};

/// How many times a block may start over by its own loop branch before the run loop
/// sees it again. Only a bound on the handler chain's depth where the compiler does not
/// turn the calls into jumps: the checks a pass makes are those of the run loop.
const MAX_LOOPS: u32 = 64;

/// How a block ended, when it did not end the run.
#[derive(Clone, Copy)]
enum Left {
    /// By `Way` to this address, with the link that way keeps.
    To(Way, u64, u32),
    /// After a fence.i, which drops all decoded code, to this address.
    FenceI(u64),
}

impl Cpu {
    /// Runs decoded code from `self.pc` until an exit.
    ///
    /// The budget's end ([`super::Pacing::stop_at`]) and the request flag (which an icache
    /// epoch change raises too) are checked between blocks, that is at every taken
    /// branch or jump and at least every [`super::decoded_cache::MAX_BLOCK`]
    /// instructions.
    pub(super) fn run_blocks<E: HartEnv>(
        &mut self,
        cache: &mut DecodedCache<E>,
        env: &mut E,
    ) -> Exit {
        let mut epoch = env.icache_epoch();
        cache.sync_epoch(epoch);
        let mut id = match cache.block_at(self.pc, env) {
            Ok(id) => id,
            Err(fault) => return Exit::Fault(fault),
        };
        loop {
            // Follows links while they lead on and nothing needs attention; leaves with
            // the way out of the last block run and where it led.
            let (left, from) = {
                let mut block = cache.block(id);
                loop {
                    let left = match self.run_block(block, env) {
                        Ok(left) => left,
                        Err(exit) => return exit,
                    };
                    if let Left::To(_, next, link) = left {
                        // The stop word covers epoch changes: the epoch is read only on
                        // the slow way, in `enter_block`.
                        if self.instret < self.pacing.stop_at && !env.interrupt_pending() {
                            if let Some((linked, linked_block)) = cache.linked(link, next) {
                                id = linked;
                                block = linked_block;
                                continue;
                            }
                        }
                    }
                    break (left, id);
                }
            };
            let (from, next) = match left {
                Left::To(way, next, _) => (Some((from, way)), next),
                Left::FenceI(next) => {
                    cache.clear();
                    (None, next)
                }
            };
            match self.enter_block(cache, env, &mut epoch, from, next) {
                Ok(next_id) => id = next_id,
                Err(exit) => return exit,
            }
        }
    }

    /// Runs `block` and counts the instructions it retired. While it runs, `self.pc`
    /// holds its fall-through address (the link of jal and jalr, and where an ecall
    /// returns to), and `self.instret` counts the whole block as retired: an early
    /// way out takes back what did not run.
    #[inline(always)]
    fn run_block<E: HartEnv>(&mut self, block: &Block<E>, env: &mut E) -> Result<Left, Exit> {
        self.pc = block.fallthrough;
        let len = block.code.len();
        self.instret += len as u64;
        self.loops = MAX_LOOPS;
        match block.code.run(self, env) {
            Flow::FellThrough => Ok(Left::To(
                Way::FellThrough,
                block.fallthrough,
                block.fall_link(),
            )),
            Flow::Jump => {
                self.instret -= self.unrun as u64;
                Ok(Left::To(
                    Way::Taken(len - 1 - self.unrun),
                    self.pc,
                    self.taken_link,
                ))
            }
            flow => self.stop_in_block(block, flow, env),
        }
    }

    /// Handles a `flow` other than falling through or jumping out of `block`.
    #[cold]
    #[inline(never)]
    fn stop_in_block<E: HartEnv>(
        &mut self,
        block: &Block<E>,
        flow: Flow,
        env: &mut E,
    ) -> Result<Left, Exit> {
        let code = &block.code;
        let len = code.len();
        match flow {
            Flow::FellThrough | Flow::Jump => unreachable!("the run loop handles these"),
            Flow::Trap => {
                // The instruction does not retire; the run stops at it.
                let k = len - 1 - self.unrun;
                self.pc = block.pc.wrapping_add(code_bytes(&code.insns()[..k]));
                self.instret -= self.unrun as u64 + 1;
                Err(self
                    .trap
                    .take()
                    .unwrap_or_else(|| unreachable!("a trapping handler leaves its reason")))
            }
            // These end their block, so every instruction of it retired (the CSR access
            // reads the count of those before it).
            Flow::Csr => {
                self.instret -= 1;
                self.exec_csr(&code.insns()[len - 1].insn, env);
                self.instret += 1;
                Ok(Left::To(
                    Way::FellThrough,
                    block.fallthrough,
                    block.fall_link(),
                ))
            }
            Flow::Ecall => Err(Exit::Ecall),
            Flow::FenceI => Ok(Left::FenceI(block.fallthrough)),
        }
    }

    /// The slow way to the block at `next`: reports a pending request or the end of the
    /// budget, drops the cache
    /// for a new epoch, looks the block up or decodes it, and links it from the way
    /// `from` of the block that led there.
    #[inline(never)]
    fn enter_block<E: HartEnv>(
        &mut self,
        cache: &mut DecodedCache<E>,
        env: &mut E,
        epoch: &mut u64,
        mut from: Option<(u32, Way)>,
        next: u64,
    ) -> Result<u32, Exit> {
        self.pc = next;
        if env.interrupt_pending() {
            return Err(Exit::Interrupt);
        }
        if self.instret >= self.pacing.stop_at {
            return Err(Exit::Quantum);
        }
        *epoch = env.icache_epoch();
        if cache.sync_epoch(*epoch) {
            from = None;
        }
        let id = cache.block_at(next, env).map_err(Exit::Fault)?;
        if let Some((from, way)) = from {
            cache.link(from, way, id);
        }
        Ok(id)
    }
}

/// The length of `code` in bytes.
#[cold]
fn code_bytes<E>(code: &[Slot<E>]) -> u64 {
    code.iter().map(|slot| u64::from(slot.insn.len)).sum()
}
