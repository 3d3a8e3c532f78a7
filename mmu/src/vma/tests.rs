use super::*;
use devices::cast::u64_to_usize;
use proptest::prelude::*;

const P: u64 = PAGE_SIZE;
const RW: u32 = prot::READ | prot::WRITE;

fn spans(t: &VmaTree) -> Vec<(u64, u64, u32)> {
    t.iter().map(|v| (v.start / P, v.end / P, v.prot)).collect()
}

#[test]
fn insert_merges_and_split_splits() {
    let mut t = VmaTree::new();
    t.insert(Vma::anonymous(10 * P, 20 * P, RW));
    t.insert(Vma::anonymous(30 * P, 40 * P, RW));
    t.insert(Vma::anonymous(20 * P, 30 * P, RW));
    assert_eq!(spans(&t), vec![(10, 40, RW)]);
    t.update_range(15 * P, 25 * P, |v| v.prot = prot::READ);
    assert_eq!(
        spans(&t),
        vec![(10, 15, RW), (15, 25, prot::READ), (25, 40, RW)]
    );
    t.update_range(15 * P, 25 * P, |v| v.prot = RW);
    assert_eq!(spans(&t), vec![(10, 40, RW)]);
    let removed = t.remove_range(12 * P, 14 * P);
    assert_eq!(removed.len(), 1);
    assert_eq!(spans(&t), vec![(10, 12, RW), (14, 40, RW)]);
    assert!(t.covers(14 * P, 40 * P) && !t.covers(11 * P, 15 * P));
    assert!(t.is_free(12 * P, 14 * P) && !t.is_free(12 * P, 15 * P));
    assert_eq!(t.find(13 * P).map(|v| v.start), None);
    assert_eq!(t.find(39 * P + 5).map(|v| v.start), Some(14 * P));
    t.validate().unwrap();
}

#[test]
fn named_and_shared_areas_merge_only_with_their_kind() {
    let pool = Arc::new(crate::frames::FramePool::new(16 * P).unwrap());
    let obj = Arc::new(SharedAnon::new(pool));
    let mut t = VmaTree::new();
    let mut heap = Vma::anonymous(10 * P, 20 * P, RW);
    heap.name = Some("[heap]".into());
    t.insert(heap);
    t.insert(Vma::anonymous(20 * P, 30 * P, RW));
    let shared = |s: u64, e: u64, pgoff: u64| Vma {
        flags: VmaFlags::SHARED | VmaFlags::ANONYMOUS,
        backing: Backing::Shared(obj.clone()),
        pgoff,
        ..Vma::anonymous(s * P, e * P, RW)
    };
    t.insert(shared(30, 35, 0));
    t.insert(shared(35, 40, 5));
    t.insert(shared(40, 45, 7));
    assert_eq!(
        spans(&t),
        vec![(10, 20, RW), (20, 30, RW), (30, 40, RW), (40, 45, RW)]
    );
    t.update_range(33 * P, 34 * P, |v| v.prot = prot::READ);
    assert_eq!(t.find(33 * P).unwrap().pgoff, 3);
    assert_eq!(t.find(34 * P).unwrap().pgoff, 4);
    t.update_range(33 * P, 34 * P, |v| v.prot = RW);
    assert_eq!(spans(&t)[2], (30, 40, RW), "merged back");
    t.validate().unwrap();
}

#[test]
fn gaps() {
    let mut t = VmaTree::new();
    t.insert(Vma::anonymous(10 * P, 20 * P, RW));
    t.insert(Vma::anonymous(25 * P, 30 * P, 0));
    assert_eq!(t.find_gap_top_down(5 * P, P, 100 * P), Some(95 * P));
    assert_eq!(t.find_gap_top_down(5 * P, P, 30 * P), Some(20 * P));
    assert_eq!(t.find_gap_top_down(6 * P, P, 30 * P), Some(4 * P));
    assert_eq!(t.find_gap_top_down(6 * P, 5 * P, 28 * P), None);
    assert_eq!(
        t.find_gap_top_down(5 * P, P, 27 * P),
        Some(20 * P),
        "straddling area"
    );
    assert_eq!(t.find_gap_bottom_up(5 * P, 12 * P, 100 * P), Some(20 * P));
    assert_eq!(t.find_gap_bottom_up(6 * P, 12 * P, 100 * P), Some(30 * P));
    assert_eq!(t.find_gap_bottom_up(6 * P, 12 * P, 35 * P), None);
    assert_eq!(t.find_gap_bottom_up(3 * P, 0, 100 * P), Some(0));
}

#[derive(Clone, Debug)]
enum Op {
    Map(u64, u64, u32),
    Unmap(u64, u64),
    Protect(u64, u64, u32),
}

fn op() -> impl Strategy<Value = Op> {
    let range = (0u64..64, 1u64..16);
    prop_oneof![
        (range.clone(), 0u32..4).prop_map(|((s, l), p)| Op::Map(s, l, p)),
        range.clone().prop_map(|(s, l)| Op::Unmap(s, l)),
        (range, 0u32..4).prop_map(|((s, l), p)| Op::Protect(s, l, p)),
    ]
}

proptest! {
    #[test]
    fn tree_agrees_with_page_model(ops in proptest::collection::vec(op(), 1..60)) {
        // The model: the protection of each of 80 pages, or None when unmapped.
        let mut model: Vec<Option<u32>> = vec![None; 80];
        let mut t = VmaTree::new();
        for op in ops {
            match op {
                Op::Map(s, l, p) => {
                    t.remove_range(s * P, (s + l) * P);
                    t.insert(Vma::anonymous(s * P, (s + l) * P, p));
                    model[u64_to_usize(s)..u64_to_usize(s + l)].fill(Some(p));
                }
                Op::Unmap(s, l) => {
                    t.remove_range(s * P, (s + l) * P);
                    model[u64_to_usize(s)..u64_to_usize(s + l)].fill(None);
                }
                Op::Protect(s, l, p) => {
                    let covered = t.covers(s * P, (s + l) * P);
                    prop_assert_eq!(covered, model[u64_to_usize(s)..u64_to_usize(s + l)].iter().all(Option::is_some));
                    if covered {
                        t.update_range(s * P, (s + l) * P, |v| v.prot = p);
                        model[u64_to_usize(s)..u64_to_usize(s + l)].fill(Some(p));
                    }
                }
            }
            prop_assert!(t.validate().is_ok(), "{:?}", t.validate());
            for (page, want) in model.iter().enumerate() {
                prop_assert_eq!(t.find(page as u64 * P + 7).map(|v| v.prot), *want);
            }
            // Merged: as few areas as there are runs of equal mapped pages.
            let runs = model.iter().enumerate().filter(|&(i, m)| m.is_some() && (i == 0 || model[i - 1] != *m)).count();
            prop_assert_eq!(t.len(), runs);
        }
        // Gap finding agrees with the model too.
        for len in 1..6u64 {
            let want = (0..=80 - len).rev().find(|&s| model[u64_to_usize(s)..u64_to_usize(s + len)].iter().all(Option::is_none));
            prop_assert_eq!(t.find_gap_top_down(len * P, 0, 80 * P), want.map(|s| s * P));
            let want = (0..=80 - len).find(|&s| model[u64_to_usize(s)..u64_to_usize(s + len)].iter().all(Option::is_none));
            prop_assert_eq!(t.find_gap_bottom_up(len * P, 0, 80 * P), want.map(|s| s * P));
        }
    }
}
