//! Random sequences of mm calls and guest stores, checked page by page against a simple
//! model of what each page holds and allows.

use devices::cast::{low_u16, low_u32, u64_to_usize};
use mmu::{madv, map, prot, Access, AddressSpace, Errno, FaultKind, HartMem, MmConfig, PAGE_SIZE};
use proptest::prelude::*;

const P: u64 = PAGE_SIZE;
const BASE: u64 = 0x1000_0000;
const PAGES: u64 = 40;
const ANON: u32 = map::PRIVATE | map::ANONYMOUS;

/// A mapped page: its protection and the value stored at its start.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Page {
    prot: u32,
    value: u64,
}

#[derive(Clone, Debug)]
enum Op {
    Map { first: u64, count: u64, prot: u32 },
    Unmap { first: u64, count: u64 },
    Protect { first: u64, count: u64, prot: u32 },
    DontNeed { first: u64, count: u64 },
    Store { page: u64, value: u64 },
    Brk { pages: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let range = (0..PAGES, 1u64..10).prop_map(|(f, c)| (f, c.min(PAGES - f)));
    prop_oneof![
        (range.clone(), 0u32..8).prop_map(|((first, count), prot)| Op::Map { first, count, prot }),
        range
            .clone()
            .prop_map(|(first, count)| Op::Unmap { first, count }),
        (range.clone(), 0u32..8).prop_map(|((first, count), prot)| Op::Protect {
            first,
            count,
            prot
        }),
        range.prop_map(|(first, count)| Op::DontNeed { first, count }),
        (0..PAGES, 1u64..u64::MAX).prop_map(|(page, value)| Op::Store { page, value }),
        (0u64..6).prop_map(|pages| Op::Brk { pages }),
    ]
}

fn addr(page: u64) -> u64 {
    BASE + page * P
}

fn sys<R>(h: &mut HartMem, call: impl FnOnce() -> R) -> R {
    h.leave_guest();
    let r = call();
    h.enter_guest();
    r
}

/// The heap lives in pages `PAGES..PAGES + 6` (after the modelled range, same model).
const HEAP: u64 = PAGES;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn address_space_agrees_with_page_model(ops in proptest::collection::vec(op(), 1..40)) {
        let space = AddressSpace::new(MmConfig { frame_pool_bytes: 1 << 20, ..MmConfig::default() }).unwrap();
        let mut h = space.attach_hart(1);
        h.enter_guest();
        let mut model: Vec<Option<Page>> = vec![None; u64_to_usize(PAGES + 6)];
        sys(&mut h, || space.set_brk_start(addr(HEAP)));
        let mut brk_pages = 0;
        for op in ops {
            match op {
                Op::Map { first, count, prot } => {
                    let r = sys(&mut h, || space.mmap(addr(first), count * P, prot & 7, ANON | map::FIXED));
                    prop_assert_eq!(r, Ok(addr(first)));
                    for m in &mut model[u64_to_usize(first)..u64_to_usize(first + count)] {
                        *m = Some(Page { prot: prot & 7, value: 0 });
                    }
                }
                Op::Unmap { first, count } => {
                    prop_assert_eq!(sys(&mut h, || space.munmap(addr(first), count * P)), Ok(()));
                    model[u64_to_usize(first)..u64_to_usize(first + count)].fill(None);
                }
                Op::Protect { first, count, prot } => {
                    let pages = &mut model[u64_to_usize(first)..u64_to_usize(first + count)];
                    let r = sys(&mut h, || space.mprotect(addr(first), count * P, prot & 7));
                    if pages.iter().all(Option::is_some) {
                        prop_assert_eq!(r, Ok(()));
                        for p in pages.iter_mut().flatten() {
                            p.prot = prot & 7;
                        }
                    } else {
                        prop_assert_eq!(r, Err(Errno::ENOMEM));
                    }
                }
                Op::DontNeed { first, count } => {
                    let pages = &mut model[u64_to_usize(first)..u64_to_usize(first + count)];
                    let r = sys(&mut h, || space.madvise(addr(first), count * P, madv::DONTNEED));
                    let want = if pages.iter().all(Option::is_some) { Ok(()) } else { Err(Errno::ENOMEM) };
                    prop_assert_eq!(r, want);
                    for p in pages.iter_mut().flatten() {
                        p.value = 0;
                    }
                }
                Op::Store { page, value } => {
                    let r = h.store(addr(page), 8, value);
                    match &mut model[u64_to_usize(page)] {
                        None => prop_assert_eq!(r.unwrap_err().kind, FaultKind::Unmapped),
                        Some(p) if p.prot & prot::WRITE == 0 => {
                            prop_assert_eq!(r.unwrap_err().kind, FaultKind::Protection)
                        }
                        Some(p) => {
                            prop_assert_eq!(r, Ok(()));
                            p.value = value;
                        }
                    }
                }
                Op::Brk { pages } => {
                    let want = addr(HEAP + pages);
                    prop_assert_eq!(sys(&mut h, || space.brk(want)), want);
                    for (i, m) in model[u64_to_usize(HEAP)..].iter_mut().enumerate() {
                        let i = i as u64;
                        if i >= pages {
                            *m = None;
                        } else if i >= brk_pages {
                            *m = Some(Page { prot: prot::READ | prot::WRITE, value: 0 });
                        }
                    }
                    brk_pages = pages;
                }
            }
            // Every page reads as the model says.
            for (i, m) in model.iter().enumerate() {
                let a = addr(i as u64);
                let got = h.load(a, 8);
                match m {
                    None => prop_assert_eq!(got.unwrap_err().kind, FaultKind::Unmapped, "page {}", i),
                    Some(p) if p.prot & (prot::READ | prot::WRITE) == 0 => {
                        prop_assert_eq!(got.unwrap_err().kind, FaultKind::Protection, "page {}", i)
                    }
                    Some(p) => prop_assert_eq!(got, Ok(p.value), "page {}", i),
                }
                let fetch = h.fetch_u16(a);
                match m {
                    Some(p) if p.prot & prot::EXEC != 0 => prop_assert_eq!(fetch, Ok(low_u16(p.value))),
                    Some(_) => prop_assert_eq!(fetch.unwrap_err().access, Access::Exec),
                    None => prop_assert_eq!(fetch.unwrap_err().kind, FaultKind::Unmapped),
                }
            }
            // The VMAs are sorted, disjoint, and as merged as the model allows.
            let vmas = space.vmas();
            let runs = model[..u64_to_usize(PAGES)]
                .iter()
                .enumerate()
                .filter(|&(i, m)| m.is_some() && (i == 0 || model[i - 1].map(|p| p.prot) != m.map(|p| p.prot)))
                .count();
            let heap_vmas = usize::from(brk_pages > 0);
            prop_assert_eq!(vmas.len(), runs + heap_vmas);
            prop_assert!(vmas.windows(2).all(|w| w[0].end <= w[1].start));
        }
        // Frames: one per page holding data or faulted in by the checks above, none more.
        let mapped = low_u32(model.iter().filter(|m| m.is_some()).count() as u64);
        prop_assert!(space.frames_in_use() <= mapped);
        sys(&mut h, || space.munmap(BASE, (PAGES + 6) * P)).unwrap();
        prop_assert_eq!(space.frames_in_use(), 0);
    }
}
