//! With the `asan` feature, under AddressSanitizer: a read through a raw pointer
//! into memory an arena took back (reset, rewind, pop, scope exit, trim) or never
//! handed out (a chunk's unused tail) is reported as `use-after-poison`.
//!
//! Each bad read runs in a child process (this test binary again, with
//! `ENGINE_ASAN_CHILD` naming the case), which the sanitizer must kill with that
//! report; the parent checks how it died. Built without the feature, the test says
//! so and passes: there is nothing to check. (The feature cannot be on without the
//! sanitizer: the program would not link.)
//!
//! Run it: `RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=address cargo test -p engine
//! --target x86_64-unknown-linux-gnu --features asan --test asan_poison`.

#[cfg(feature = "asan")]
use engine::{Arena, ArenaVec};

const CHILD: &str = "ENGINE_ASAN_CHILD";

/// The cases, each a bad read the sanitizer must catch.
#[cfg(feature = "asan")]
const CASES: [&str; 6] = ["reset", "rewind", "pop", "scope", "trim", "tail"];

/// Reads a `u64` at `address`, which the arena no longer (or never) handed out.
#[cfg(feature = "asan")]
fn read_freed(address: *const u64) -> u64 {
    // SAFETY: none; this is the bug under test. The bytes are still the arena's
    // (the chunk is kept), so only the sanitizer's poisoning can see it.
    unsafe { std::ptr::read_volatile(address) }
}

/// The child's part: does `case`'s bad read. Returns only if it was not caught.
#[cfg(feature = "asan")]
fn bad_read(case: &str) -> u64 {
    let mut arena = Arena::with_capacity("poisoned", 4096);
    match case {
        "reset" => {
            let freed: *const u64 = arena.alloc(1u64);
            arena.reset();
            read_freed(freed)
        }
        "rewind" => {
            let mark = arena.mark();
            let freed: *const u64 = arena.alloc(2u64);
            arena.rewind(mark);
            read_freed(freed)
        }
        "pop" => {
            let freed = arena.push(8).as_ptr().cast::<u64>();
            arena.pop(8);
            read_freed(freed)
        }
        "scope" => {
            let freed: *const u64 = arena.scope(|tmp| std::ptr::from_mut(tmp.alloc(3u64)));
            read_freed(freed)
        }
        "trim" => {
            // The spike's chunk goes back to the system on `trim`; the arena's new
            // chunk is poisoned until it hands bytes out.
            arena.alloc_slice_fill_copy(1 << 20, 0u8);
            arena.reset();
            arena.trim();
            let mut list = ArenaVec::new_in(&arena);
            list.push(4u64);
            let past_the_list = list.as_ptr().wrapping_add(list.capacity());
            read_freed(past_the_list)
        }
        "tail" => {
            let last: *const u64 = arena.alloc(5u64);
            read_freed(last.wrapping_add(1))
        }
        other => panic!("no case `{other}`"),
    }
}

#[test]
fn a_read_of_memory_the_arena_took_back_is_use_after_poison() {
    #[cfg(not(feature = "asan"))]
    {
        println!(
            "skipped: built without the `asan` feature (run under AddressSanitizer with \
             `--features asan`)"
        );
        let _ = CHILD;
    }
    #[cfg(feature = "asan")]
    {
        if let Ok(case) = std::env::var(CHILD) {
            let value = bad_read(&case);
            println!("case `{case}`: read {value}, not caught");
            std::process::exit(0);
        }
        let exe = std::env::current_exe().expect("the test binary's path");
        for case in CASES {
            let output = std::process::Command::new(&exe)
                .args([
                    "a_read_of_memory_the_arena_took_back_is_use_after_poison",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, case)
                .output()
                .expect("the child runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !output.status.success() && stderr.contains("use-after-poison"),
                "case `{case}`: the child was not stopped by a use-after-poison report \
                 ({:?});\nstdout: {}\nstderr: {stderr}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
            );
        }
    }
}

/// What the arena hands out stays usable: in-place growth, a block handed back and
/// taken again, memory after a trim, scratch after a scope (these would be reported
/// if the arena left any of them poisoned).
#[test]
fn everything_handed_out_is_addressable() {
    let mut arena = engine::Arena::with_capacity("addressable", 4096);
    for round in 0..3u64 {
        let mut list = engine::ArenaVec::new_in(&arena);
        for i in 0..10_000u64 {
            list.push(i + round); // grows in place while it is the newest block
        }
        assert_eq!(
            list.iter().sum::<u64>(),
            (0..10_000).sum::<u64>() + 10_000 * round
        );
        drop(list); // handed back
        let bytes = arena.alloc_slice_fill_copy(100, 7u8);
        let mut string = engine::ArenaString::new_in(&arena);
        string.push_str("hello");
        string.shrink_to_fit();
        string.push_str(", world");
        assert_eq!((bytes[99], &*string), (7, "hello, world"));
        drop(string);
        let inner = arena.scope(|tmp| tmp.alloc_slice_fill_copy(64, 1u8).iter().sum::<u8>());
        assert_eq!(inner, 64);
        arena.reset();
        arena.trim();
    }
}
