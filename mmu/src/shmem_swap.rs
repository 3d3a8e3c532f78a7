//! Swap of shared anonymous memory (Linux's shmem swap: `shmem_writeout` and
//! `shmem_swapin_folio`).
//!
//! A page of a [`SharedAnon`] object goes out once no page table maps it: reclaim
//! clears every entry that maps it, through the VMAs of the object in every space of
//! the machine (a fork's parent and child share the object), shoots down each space's
//! TLBs, and — if the object's reference is then the only one — records the slot in
//! the object in place of the frame and writes the page through the swap cache. A
//! fault that finds the slot reads it back through the swap cache and, like Linux's
//! shmem fault, waits for it holding its lock (no retry), then makes the frame the
//! object's page again and frees the slot.
//!
//! Reclaim reaches these pages by a scan of its own over the objects the VMAs of the
//! machine's spaces map, a clock hand per object, not through the anonymous reclaim
//! candidates.

use crate::folio::Folio;
use crate::frames::FrameId;
use crate::invalidate::Invalidation;
use crate::mm_core::{Cx, MmCore};
use crate::pagetable::Pte;
use crate::rmap::across_spaces;
use crate::shmem::{SharedAnon, ShmemPage};
use crate::swap::{Batch, Found};
use crate::types::prot;
use crate::types::PAGE_SIZE;
use crate::types::{FaultError, FaultKind};
use crate::vma::{Backing, Vma, VmaFlags};
use crate::vma_index::VmaView;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The frame of page `pgoff` of `obj` for a fault, with a reference for the caller,
/// read back from swap if it went there; and whether it had to be read (a major
/// fault).
pub(crate) fn get_page(
    cx: Cx<'_>,
    obj: &SharedAnon,
    pgoff: u64,
) -> Result<(FrameId, bool), FaultError> {
    let Cx {
        core: space,
        caller,
        stats,
    } = cx;
    let mut major = false;
    loop {
        let slot = match obj
            .find_page(pgoff, space.clock().as_ref())
            .ok_or(FaultError::OutOfMemory)?
        {
            ShmemPage::Resident(frame) => return Ok((frame, major)),
            ShmemPage::Swapped(slot) => slot,
        };
        let swap = space.swap().expect("a page went to swap without swap");
        let folio = match swap.cache.get(slot) {
            Some(f) => f,
            None => {
                let mut batch = Batch::default();
                let found = batch
                    .add(swap, space.frames(), slot, false)
                    .ok_or(FaultError::OutOfMemory)?;
                if batch.submit(swap, space.frames(), caller.io(), stats) > 0 {
                    major = true;
                }
                match found {
                    Found::Cached(f) | Found::Reading(f) => f,
                }
            }
        };
        space.lock_folio(caller, &folio);
        if !folio.is_uptodate() {
            // Written out and freed meanwhile (look again), or its read failed.
            folio.unlock();
            if folio.has_error() {
                if swap.cache.remove(slot, &folio) {
                    space.frames().put(folio.frame());
                }
                return Err(FaultError::Fault(FaultKind::Bus));
            }
            continue;
        }
        let frame = folio.frame();
        // The cache's frame reference becomes the object's.
        let back = obj.exchange(
            pgoff,
            ShmemPage::Swapped(slot),
            ShmemPage::Resident(frame),
            || true,
        );
        if back {
            swap.cache.remove(slot, &folio);
            folio.evict();
            swap.file.free(slot);
            space.frames().get(frame);
        }
        folio.unlock();
        if back {
            return Ok((frame, true));
        }
    }
}

/// Reclaim's share of shared anonymous memory: swaps out up to `want` pages of the
/// objects the VMAs of `spaces` (each space with its VMAs) map, taking one page of each
/// in turn, looking at no more than `budget`. Returns how many it looked at and how many
/// it freed.
pub(crate) fn shrink(
    cx: Cx<'_>,
    spaces: &[(Arc<MmCore>, VmaView)],
    want: u64,
    budget: usize,
) -> (usize, u64) {
    if want == 0 {
        return (0, 0);
    }
    let mut objects: Vec<&Arc<SharedAnon>> = Vec::new();
    for n in spaces.iter().flat_map(|(_, view)| view.nodes()) {
        if let Backing::Shared(o) = &n.vma().backing {
            if !objects.iter().any(|x| Arc::ptr_eq(x, o)) {
                objects.push(o);
            }
        }
    }
    let (mut scanned, mut freed) = (0, 0);
    while freed < want && scanned < budget && !objects.is_empty() {
        objects.retain(|obj| {
            if freed == want || scanned == budget {
                return true;
            }
            let Some((pgoff, frame)) = obj.next_resident() else {
                return false;
            };
            scanned += 1;
            if swap_out(cx, spaces, obj, pgoff, frame) {
                freed += 1;
            }
            true
        });
    }
    (scanned, freed)
}

/// Swaps out page `pgoff` of `obj`, resident in `frame`, unless something still holds
/// the frame once every mapping of it is gone. Returns whether the frame was freed.
fn swap_out(
    cx: Cx<'_>,
    spaces: &[(Arc<MmCore>, VmaView)],
    obj: &Arc<SharedAnon>,
    pgoff: u64,
    frame: FrameId,
) -> bool {
    let Cx {
        core: space,
        caller,
        stats,
    } = cx;
    let Some(swap) = space.swap() else {
        return false;
    };
    let mappers = |view: &'_ VmaView| -> Vec<Vma> {
        view.nodes()
            .map(|n| n.vma())
            .filter(|v| maps(v, obj, pgoff))
            .cloned()
            .collect()
    };
    let locked =
        |v: &Vma| v.flags.contains(VmaFlags::LOCKED) || v.flags.contains(VmaFlags::LOCKONFAULT);
    if spaces
        .iter()
        .any(|(_, view)| mappers(view).iter().any(locked))
    {
        return false;
    }
    across_spaces(space, caller, |s, caller| {
        let Some((_, view)) = spaces.iter().find(|(o, _)| o.id() == s.id()) else {
            return;
        };
        let mut inv = Invalidation::new(s, caller);
        for v in mappers(view) {
            let addr = v.start + (pgoff - v.pgoff) * PAGE_SIZE;
            let Some(entry) = s.page_table().slot(addr) else {
                continue;
            };
            let pte = Pte::from_bits(entry.load(Ordering::Acquire));
            if pte.is_valid()
                && pte.frame() == frame
                && entry
                    .compare_exchange(pte.bits(), 0, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                inv.code |= v.prot & prot::EXEC != 0;
                inv.release_after_flush(frame);
            }
        }
    });
    // Mapped again meanwhile, or pinned by a system call's copy: it stays.
    let frames = space.frames();
    if frames.refcount(frame) != 1 {
        return false;
    }
    let lock = |f: &Folio| space.lock_folio(caller, f);
    let Some((slot, folio)) = swap.begin_write(frame, frames, lock) else {
        return false;
    };
    let out = obj.exchange(
        pgoff,
        ShmemPage::Resident(frame),
        ShmemPage::Swapped(slot),
        || frames.refcount(frame) == 1,
    );
    if !out {
        swap.abandon_write(slot, &folio);
        return false;
    }
    swap.finish_write(slot, &folio, frames, caller.io(), stats);
    true
}

/// Whether `vma` maps page `pgoff` of `obj`.
fn maps(vma: &Vma, obj: &Arc<SharedAnon>, pgoff: u64) -> bool {
    let Backing::Shared(o) = &vma.backing else {
        return false;
    };
    Arc::ptr_eq(o, obj) && pgoff >= vma.pgoff && pgoff < vma.pgoff + vma.len() / PAGE_SIZE
}

#[cfg(test)]
mod tests {
    use crate::pagecache::tests::small_space;
    use crate::pagecache::CacheConfig;
    use crate::space::AddressSpace;
    use crate::types::{madv, map, mremap, prot, PAGE_SIZE};
    use devices::cast::{low_u8, u64_to_usize};
    use std::sync::Arc;

    const PAGES: u64 = 64;
    const LIMIT: u64 = 16;

    /// A space with swap and a memory limit of `LIMIT` pages, and a shared anonymous
    /// mapping of `PAGES` pages, page `p` filled with byte `p + 1`.
    fn filled() -> (Arc<AddressSpace>, u64) {
        let space = small_space(CacheConfig {
            swap: Some(1 << 20),
            mem_limit: Some(LIMIT * PAGE_SIZE),
            ..CacheConfig::default()
        });
        let rw = prot::READ | prot::WRITE;
        let base = space
            .mmap(0, PAGES * PAGE_SIZE, rw, map::SHARED | map::ANONYMOUS)
            .unwrap();
        for p in 0..PAGES {
            let page = [low_u8(p) + 1; u64_to_usize(PAGE_SIZE)];
            space.write_bytes(base + p * PAGE_SIZE, &page).unwrap();
        }
        (space, base)
    }

    fn first_byte(space: &AddressSpace, addr: u64) -> u8 {
        let mut b = [0u8; 1];
        space.read_bytes(addr, &mut b).unwrap();
        b[0]
    }

    fn total(space: &AddressSpace, name: &str) -> u64 {
        space.stats().total_of(name)
    }

    #[test]
    fn shared_pages_beyond_the_limit_go_to_swap_and_come_back_identical() {
        let (space, base) = filled();
        assert!(total(&space, "swap.outs") >= PAGES - LIMIT);
        assert!(u64::from(space.frames_in_use()) <= LIMIT);
        // Swapped pages leave no entry behind: the object knows their slots.
        let swapped = total(&space, "swap.slots_used");
        assert!(swapped >= PAGES - LIMIT);
        assert!((0..PAGES).all(|p| !space
            .core()
            .page_table()
            .lookup(base + p * PAGE_SIZE)
            .is_swap()));
        let mut page = vec![0u8; u64_to_usize(PAGE_SIZE)];
        for p in 0..PAGES {
            space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
            assert!(page.iter().all(|&b| b == low_u8(p) + 1), "page {p}");
        }
        assert!(total(&space, "swap.ins") >= PAGES - LIMIT);
        assert!(total(&space, "faults.major") > 0);
    }

    #[test]
    fn a_page_mapped_twice_is_unmapped_from_both_before_it_goes() {
        let (space, base) = filled();
        let len = PAGES * PAGE_SIZE;
        let alias = space.mremap(base, 0, len, mremap::MAYMOVE, 0).unwrap();
        // Stores through one mapping are seen through the other, swap in between.
        for round in 0..3u8 {
            for p in 0..PAGES {
                let mark = [round.wrapping_mul(16).wrapping_add(low_u8(p))];
                space.write_bytes(base + p * PAGE_SIZE + 9, &mark).unwrap();
                let _ = first_byte(&space, alias + p * PAGE_SIZE);
            }
            for p in 0..PAGES {
                let want = round.wrapping_mul(16).wrapping_add(low_u8(p));
                assert_eq!(first_byte(&space, alias + p * PAGE_SIZE + 9), want);
                assert_eq!(first_byte(&space, alias + p * PAGE_SIZE), low_u8(p) + 1);
            }
        }
        assert!(total(&space, "swap.outs") > 2 * (PAGES - LIMIT));
    }

    #[test]
    fn a_hole_punch_and_the_last_munmap_free_the_slots() {
        let (space, base) = filled();
        let slots = |s: &AddressSpace| s.stats().total_of("swap.slots_used");
        assert!(slots(&space) >= PAGES - LIMIT);
        // The first pages went first: punch them out.
        let half = PAGES / 2 * PAGE_SIZE;
        let before = slots(&space);
        space.madvise(base, half, madv::REMOVE).unwrap();
        assert!(slots(&space) < before);
        assert_eq!(
            first_byte(&space, base),
            0,
            "a punched page reads as zeroes"
        );
        assert_eq!(first_byte(&space, base + half), low_u8(PAGES) / 2 + 1);
        space.munmap(base, PAGES * PAGE_SIZE).unwrap();
        assert_eq!(slots(&space), 0);
    }
}
