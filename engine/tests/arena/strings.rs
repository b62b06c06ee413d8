//! `alloc_str`.

use engine::{AllocError, Arena};

#[test]
fn alloc_str_copies_the_text() {
    let arena = Arena::new("strings");
    let mut source = String::from("player-1");
    let copy = arena.alloc_str(&source);
    source.push('!');
    assert_eq!(copy, "player-1");
    assert_eq!(arena.offset(), 8);
}

#[test]
fn alloc_str_keeps_multibyte_text_intact_and_mutable() {
    let arena = Arena::new("strings");
    let text = arena.alloc_str("héllo, wörld ✓");
    assert_eq!(text.len(), "héllo, wörld ✓".len());
    text.make_ascii_uppercase();
    assert_eq!(text, "HéLLO, WöRLD ✓");
}

#[test]
fn many_strings_stay_distinct() {
    let arena = Arena::new("strings");
    let names: Vec<&str> = (0..1000)
        .map(|i| &*arena.alloc_str(&format!("entity-{i}")))
        .collect();
    for (i, name) in names.iter().enumerate() {
        assert_eq!(*name, format!("entity-{i}"));
    }
}

#[test]
fn empty_string() {
    let arena = Arena::new("strings");
    assert_eq!(arena.alloc_str(""), "");
    assert_eq!(arena.offset(), 0);
}

#[test]
fn try_alloc_str_fails_cleanly_when_full() {
    let arena = Arena::with_fixed_capacity("strings", 4);
    arena.alloc_str("ab");
    let err = arena.try_alloc_str("cde").unwrap_err();
    assert!(matches!(
        err,
        AllocError::CapacityExceeded {
            requested: 3,
            used: 2,
            capacity: 4,
            ..
        }
    ));
    assert_eq!(arena.offset(), 2);
}
