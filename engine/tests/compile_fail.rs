//! Misuse of `engine::Arena` and its collections that must not compile (trybuild),
//! with the expected compiler output in `compile_fail/*.stderr`. Regenerate those
//! with `TRYBUILD=overwrite cargo test -p engine --test compile_fail`, then read them.
//!
//! Set `ENGINE_SKIP_TRYBUILD=1` to skip these tests (e.g. under a sanitizer, where
//! trybuild's nested cargo build does not share the outer build's flags).

fn skip() -> bool {
    let skip = std::env::var_os("ENGINE_SKIP_TRYBUILD").is_some();
    if skip {
        eprintln!("ENGINE_SKIP_TRYBUILD is set: skipping the trybuild tests");
    }
    skip
}

/// Borrow-checker and thread-safety errors: `cargo check` finds them all at once.
#[test]
fn freed_or_shared_arena_memory_does_not_compile() {
    if skip() {
        return;
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_fail/use_after_*.rs");
    cases.compile_fail("tests/compile_fail/scope_*.rs");
    cases.compile_fail("tests/compile_fail/not_sync.rs");
    cases.compile_fail("tests/compile_fail/asset_arena_is_read_only.rs");
    cases.compile_fail("tests/compile_fail/frame_*.rs");
    cases.compile_fail("tests/compile_fail/worker_*.rs");
    cases.compile_fail("tests/compile_fail/arena_vec_*.rs");
    cases.compile_fail("tests/compile_fail/arena_string_*.rs");
    cases.compile_fail("tests/compile_fail/format_in_*.rs");
}

/// The Drop refusal is an inline-const assertion evaluated at monomorphization,
/// which `cargo check` never reaches. A pass case makes trybuild run `cargo build`.
#[test]
fn values_that_need_drop_are_refused_at_build_time() {
    if skip() {
        return;
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_fail/alloc_needs_drop.rs");
    cases.compile_fail("tests/compile_fail/into_slice_needs_drop.rs");
    cases.pass("tests/compile_pass/*.rs");
}
