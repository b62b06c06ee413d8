//! Tests of [`engine::Arena`], one module per topic (the bumpalo layout): a single
//! test binary, so the suite links once.
//!
//! `model` runs random operation sequences against a simple model of the arena;
//! set `PROPTEST_CASES` to change how many cases it runs.

mod alignment;
mod alloc;
mod allocator_api;
mod debug_mode;
mod drops;
mod errors;
mod fixed_capacity;
mod growth;
mod limit;
mod mark_rewind;
mod model;
mod push_pop;
mod reserved;
mod reset;
mod scope;
mod slices;
mod stats;
mod strings;
mod threads;
mod trim;

use engine::{Arena, ArenaConfig, Backing, TrimPolicy};

/// Read by AddressSanitizer's runtime at start-up (when the tests are built with
/// `-Zsanitizer=address`; otherwise nothing calls it): let an allocation the
/// allocator cannot serve return null, as Rust's allocator contract says, instead of
/// aborting. `errors::out_of_memory_*` ask for 1 TiB on purpose.
#[unsafe(no_mangle)]
pub extern "C" fn __asan_default_options() -> *const std::ffi::c_char {
    c"allocator_may_return_null=1".as_ptr()
}

/// An arena in debug mode ([`ArenaConfig::debug_blocks`]).
pub fn debug_arena(name: &str) -> Arena {
    Arena::with_config(
        name,
        ArenaConfig {
            debug_blocks: true,
            ..ArenaConfig::default()
        },
    )
}

/// A chunked arena ([`Backing::Chunked`]) with `config`'s other options, whatever
/// the build's default backing: for the tests whose subject is the chunk list
/// (chunk counts, spare chunks, chunk boundaries). The rest of the suite runs on
/// both backings (`ENGINE_DEFAULT_BACKING`, see engine/build.rs).
pub fn chunked(name: &str, config: ArenaConfig) -> Arena {
    Arena::with_config(
        name,
        ArenaConfig {
            backing: Backing::Chunked,
            ..config
        },
    )
}

/// An arena with reserved backing ([`Backing::Reserved`]) of `reserve_bytes`;
/// `None` on targets without it ([`Backing::is_available`]), where the arena would
/// be chunked instead.
pub fn reserved(name: &str, reserve_bytes: usize, trim: Option<TrimPolicy>) -> Option<Arena> {
    if !Backing::is_available() {
        return None;
    }
    Some(Arena::with_config(
        name,
        ArenaConfig {
            backing: Backing::Reserved { reserve_bytes },
            trim,
            ..ArenaConfig::default()
        },
    ))
}

/// [`debug_arena`], chunked.
pub fn chunked_debug_arena(name: &str) -> Arena {
    chunked(
        name,
        ArenaConfig {
            debug_blocks: true,
            ..ArenaConfig::default()
        },
    )
}

/// [`chunked`] with a first chunk of `bytes`.
pub fn chunked_with_capacity(name: &str, bytes: usize) -> Arena {
    chunked(
        name,
        ArenaConfig {
            initial_capacity: bytes,
            ..ArenaConfig::default()
        },
    )
}

/// [`chunked`] with a limit of `bytes`.
pub fn chunked_with_limit(name: &str, bytes: usize) -> Arena {
    chunked(
        name,
        ArenaConfig {
            limit_bytes: Some(bytes),
            ..ArenaConfig::default()
        },
    )
}

/// The address range `start..end` of a value's bytes.
pub fn byte_range<T: ?Sized>(value: &T) -> std::ops::Range<usize> {
    let start = (value as *const T).cast::<u8>().addr();
    start..start + std::mem::size_of_val(value)
}

/// Whether two address ranges share a byte (empty ranges share none).
pub fn overlaps(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}
