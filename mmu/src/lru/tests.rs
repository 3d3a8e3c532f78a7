use super::*;
use std::collections::{HashMap, HashSet};

/// Pages as numbers, with accessed bits and flags the test sets.
#[derive(Default)]
struct Fake {
    young: HashSet<u32>,
    exec: HashSet<u32>,
    locked: HashSet<u32>,
    gone: HashSet<u32>,
    flags: HashMap<u32, (bool, bool)>,
    freed: Vec<u32>,
}

impl Scanner for Fake {
    type Page = u32;
    const ANON: bool = false;

    fn look(&mut self, p: &u32) -> Look {
        if self.gone.contains(p) {
            return Look::Gone;
        }
        if self.locked.contains(p) {
            return Look::Unevictable;
        }
        let (referenced, active) = self.flags.remove(p).unwrap_or_default();
        Look::Present(Refs {
            young: self.young.remove(p) as u32,
            exec: self.exec.contains(p),
            referenced,
            active,
        })
    }

    fn set_flags(&mut self, p: &u32, referenced: bool, active: bool) {
        self.flags.insert(*p, (referenced, active));
    }

    fn reclaim(&mut self, p: &u32) -> bool {
        self.freed.push(*p);
        true
    }
}

fn lru_of(pages: std::ops::Range<u32>) -> Mutex<Lru<u32>> {
    let mut l = Lru::default();
    pages.for_each(|p| l.add(p));
    Mutex::new(l)
}

#[test]
fn a_file_page_is_activated_by_its_second_reference_and_an_unreferenced_one_goes() {
    let lru = lru_of(0..4);
    let mut s = Fake::default();
    s.young.insert(0);
    let pass = shrink_list(&lru, &mut s, 4);
    assert_eq!(s.freed, [1, 2, 3], "unreferenced pages are reclaimed");
    assert_eq!(pass.activated, 0, "one reference only keeps page 0");
    assert_eq!(lru.lock().inactive, [0]);
    s.young.insert(0);
    let pass = shrink_list(&lru, &mut s, 4);
    assert_eq!(pass.activated, 1, "referenced again: active");
    assert_eq!(lru.lock().active, [0]);
    assert_eq!(s.freed, [1, 2, 3]);
}

#[test]
fn executable_and_anonymous_pages_are_activated_on_their_first_reference() {
    let lru = lru_of(0..2);
    let mut s = Fake::default();
    s.young.extend([0, 1]);
    s.exec.insert(1);
    shrink_list(&lru, &mut s, 2);
    assert_eq!(lru.lock().active, [1]);
    let young = Refs {
        young: 1,
        ..Refs::default()
    };
    assert_eq!(inactive_verdict(true, young), Verdict::Activate);
    assert_eq!(inactive_verdict(false, young), Verdict::Keep);
    let promoted = Refs {
        active: true,
        ..Refs::default()
    };
    assert_eq!(inactive_verdict(false, promoted), Verdict::Activate);
}

#[test]
fn deactivation_refills_the_inactive_list_from_the_active_tail_to_the_ratio() {
    let mut l = Lru::default();
    (0..8).for_each(|p| l.active.push_back(p));
    (8..10).for_each(|p| l.add(p));
    let lru = Mutex::new(l);
    assert!(lru.lock().inactive_is_low(), "2 inactive against 8 active");
    let mut s = Fake::default();
    // Page 0 (the active tail) is in use: it moves anyway, its references cleared.
    s.young.insert(0);
    s.flags.insert(0, (true, true));
    assert_eq!(shrink_active(&lru, &mut s, 3), 3);
    {
        let l = lru.lock();
        assert_eq!(l.active, [3, 4, 5, 6, 7]);
        assert_eq!(
            l.inactive,
            [8, 9, 0, 1, 2],
            "deactivated at the inactive head"
        );
        assert!(!l.inactive_is_low(), "5 against 5");
    }
    assert_eq!(s.flags[&0], (false, false), "references cleared");
    assert!(!s.young.contains(&0));
    // Balanced lists: reclaim takes from the inactive tail without deactivating.
    s.young.extend([8, 9]);
    let pass = shrink_list(&lru, &mut s, 2);
    assert_eq!((pass.deactivated, pass.freed), (0, 0));
}

#[test]
fn an_executable_file_page_in_use_stays_active() {
    let mut l = Lru::default();
    l.active.extend([0, 1]);
    let lru = Mutex::new(l);
    let mut s = Fake::default();
    s.young.extend([0, 1]);
    s.exec.insert(0);
    shrink_list(&lru, &mut s, 2);
    assert_eq!(lru.lock().active, [0]);
}

#[test]
fn cold_pages_are_reclaimed_first() {
    let mut l = Lru::default();
    (0..4).for_each(|p| l.add(p));
    l.active.extend([4, 5]);
    l.make_cold(|&p| p == 2 || p == 5);
    assert_eq!(l.inactive, [2, 5, 0, 1, 3]);
    assert!(l.active.iter().all(|&p| p != 5));
    let lru = Mutex::new(l);
    let mut s = Fake::default();
    s.young.extend([0, 1, 3]);
    shrink_list(&lru, &mut s, 2);
    assert_eq!(s.freed, [2, 5]);
}

#[test]
fn mlocked_pages_are_set_aside_until_the_mappings_change() {
    let lru = lru_of(0..3);
    let mut s = Fake::default();
    s.locked.insert(1);
    s.young.extend([0, 2]);
    shrink_list(&lru, &mut s, 3);
    assert_eq!(lru.lock().unevictable, [1]);
    for _ in 0..3 {
        s.young.extend([0, 2]);
        let pass = shrink_list(&lru, &mut s, 3);
        assert!(pass.scanned <= 2, "the locked page is not looked at again");
    }
    lru.lock().rescue_unevictable(7);
    s.locked.clear();
    shrink_list(&lru, &mut s, 8);
    assert!(
        s.freed.contains(&1),
        "back on the inactive list once munlocked"
    );
    lru.lock().rescue_unevictable(7);
    assert!(lru.lock().unevictable.is_empty());
}

#[test]
fn gone_pages_leave_the_lists() {
    let lru = lru_of(0..3);
    let mut s = Fake::default();
    s.gone.extend([0, 1, 2]);
    let pass = shrink_list(&lru, &mut s, 3);
    assert_eq!((pass.scanned, pass.freed), (3, 0));
    assert_eq!(lru.lock().len(), 0);
}
