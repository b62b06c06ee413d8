//! Values with destructors in arena collections are dropped by the collection.

use allocator_api2::vec::Vec as ArenaVec;
use engine::Arena;
use std::cell::Cell;
use std::rc::Rc;

/// Counts its drops in a shared counter.
struct DropCounter {
    drops: Rc<Cell<usize>>,
    id: usize,
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

fn counters(drops: &Rc<Cell<usize>>, count: usize) -> impl Iterator<Item = DropCounter> + '_ {
    (0..count).map(|id| DropCounter {
        drops: Rc::clone(drops),
        id,
    })
}

#[test]
fn dropping_an_arena_vec_drops_every_element() {
    let drops = Rc::new(Cell::new(0));
    let arena = Arena::new("drops");
    let mut v = ArenaVec::new_in(&arena);
    v.extend(counters(&drops, 100));
    assert_eq!(drops.get(), 0);
    assert_eq!(v[99].id, 99);
    drop(v);
    assert_eq!(drops.get(), 100);
}

#[test]
fn truncate_pop_and_clear_drop_the_removed_elements() {
    let drops = Rc::new(Cell::new(0));
    let arena = Arena::new("drops");
    let mut v = ArenaVec::new_in(&arena);
    v.extend(counters(&drops, 10));
    v.truncate(7);
    assert_eq!(drops.get(), 3);
    let popped = v.pop().expect("seven left");
    assert_eq!((popped.id, drops.get()), (6, 3));
    drop(popped);
    assert_eq!(drops.get(), 4);
    v.clear();
    assert_eq!(drops.get(), 10);
}

#[test]
fn growth_moves_elements_without_dropping_them() {
    let drops = Rc::new(Cell::new(0));
    let arena = Arena::new("drops");
    let mut v = ArenaVec::new_in(&arena);
    for counter in counters(&drops, 10) {
        v.push(counter);
        arena.alloc(0u8); // the vec is never on top, so every growth copies
    }
    assert_eq!(drops.get(), 0, "moving to a bigger block drops nothing");
    assert!(v.iter().map(|c| c.id).eq(0..10));
    drop(v);
    assert_eq!(drops.get(), 10);
}

#[test]
fn a_hashbrown_map_drops_its_values() {
    let drops = Rc::new(Cell::new(0));
    let arena = Arena::new("drops");
    let mut map = hashbrown::HashMap::new_in(&arena);
    for counter in counters(&drops, 50) {
        map.insert(counter.id, counter);
    }
    map.remove(&7);
    assert_eq!(drops.get(), 1);
    drop(map);
    assert_eq!(drops.get(), 50);
}

#[test]
fn debug_mode_vecs_drop_their_elements_too() {
    let drops = Rc::new(Cell::new(0));
    let arena = crate::debug_arena("drops-debug");
    let mut v = ArenaVec::new_in(&arena);
    v.extend(counters(&drops, 33));
    drop(v);
    assert_eq!(drops.get(), 33);
}
