//! Random operation sequences against a simple model of the arena.
//!
//! The model is a stack of live allocations, each with the logical offsets around
//! it and the bytes written into it, plus the marks still valid. After every
//! operation the arena must agree with it: live allocations never overlap, are
//! aligned and keep their bytes; the stats match what the model counted; refused
//! operations change nothing; in debug mode, freed bytes are poisoned.
//!
//! Besides plain allocations, the operations cover alignments up to 4096, closures
//! that panic inside `alloc_with`, `alloc_slice_fill_with` and `scope` (the memory
//! stays allocated, as documented), and phases in which `Vec`s and `Box`es over
//! `&Arena` grow, shrink and drop between plain allocations
//! (`model_collections.rs`).
//!
//! `PROPTEST_CASES` sets the cases per test (default [`DEFAULT_CASES`]).

#[path = "model_collections.rs"]
mod collections;

use bytemuck::Pod;
use engine::{
    AllocError, Arena, ArenaConfig, ArenaStats, Growth, Mark, POISON_BYTE, PUSH_ALIGN, Scope,
    StackError,
};
use proptest::prelude::*;
use proptest::sample::Index;
use std::alloc::Layout;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Once;

/// Cases per test when `PROPTEST_CASES` is not set; three tests run them.
const DEFAULT_CASES: u32 = 1000;
/// Top-level operations per case (scopes hold a few more).
const MAX_OPS: usize = 64;
/// Chunks start on a cache line (see `Arena`'s docs): an allocation that does not
/// begin where the last one ended begins a chunk.
const CHUNK_START_ALIGN: usize = 64;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig::with_cases(cases)
}

// ---- what is generated -------------------------------------------------------------

/// How the arena under test is built.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `Arena::new`: 4 KiB first chunk.
    Default,
    /// A tiny first chunk, so nearly every case grows across chunks.
    SmallFirstChunk(usize),
    /// Debug mode; `0` defers the first chunk.
    Debug { initial_capacity: usize },
    /// A fixed capacity: allocations may fail with `CapacityExceeded`.
    Fixed { capacity: usize, debug: bool },
    /// A limit: growth may fail with `LimitExceeded`.
    Limit(usize),
}

/// The type that `alloc_with`'s closure panics instead of making.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `[u8; 24]`
    Bytes,
    /// `[u64; 3]`
    Words,
    /// [`Page`]
    Page,
}

/// 512 bytes aligned to 512: above the 256 that most tests stop at.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(512))]
struct Page([u8; 40]);

/// The payload of every panic the model provokes on purpose.
struct ExpectedPanic;

/// Panics with [`ExpectedPanic`], which the panic hook keeps quiet about.
fn expected_panic() -> ! {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        // Other tests share the process: their panics still reach the old hook.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<ExpectedPanic>() {
                previous(info);
            }
        }));
    });
    std::panic::panic_any(ExpectedPanic)
}

/// Runs `body`; `None` if it panicked with [`ExpectedPanic`]. Any other panic (a
/// failed check inside) goes on unwinding.
fn catch_expected<R>(body: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => Some(result),
        Err(payload) if payload.is::<ExpectedPanic>() => None,
        Err(payload) => resume_unwind(payload),
    }
}

impl Kind {
    fn build(self) -> Arena {
        let options = match self {
            Kind::Default => ArenaConfig::default(),
            Kind::SmallFirstChunk(bytes) => ArenaConfig {
                initial_capacity: bytes,
                ..ArenaConfig::default()
            },
            Kind::Debug { initial_capacity } => ArenaConfig {
                initial_capacity,
                debug_blocks: true,
                ..ArenaConfig::default()
            },
            Kind::Fixed { capacity, debug } => ArenaConfig {
                initial_capacity: capacity,
                growth: Growth::Fixed,
                debug_blocks: debug,
                ..ArenaConfig::default()
            },
            Kind::Limit(bytes) => ArenaConfig {
                limit_bytes: Some(bytes),
                ..ArenaConfig::default()
            },
        };
        Arena::with_config("model", options)
    }

    fn debug(self) -> bool {
        matches!(self, Kind::Debug { .. } | Kind::Fixed { debug: true, .. })
    }

    /// Whether allocations may be refused (then the model uses the `try_` calls).
    fn bounded(self) -> bool {
        matches!(self, Kind::Fixed { .. } | Kind::Limit(_))
    }

    /// Whether `err` is a failure this kind of arena may report for the small
    /// requests generated here.
    fn may_fail_with(self, err: &AllocError) -> bool {
        match self {
            Kind::Fixed { .. } => matches!(err, AllocError::CapacityExceeded { .. }),
            Kind::Limit(_) => matches!(err, AllocError::LimitExceeded { .. }),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Elem {
    U8,
    U16,
    U32,
    U64,
    U128,
    Str,
}

#[derive(Debug, Clone)]
enum Op {
    /// `try_alloc_layout` of `size` bytes aligned to `1 << align_log2`.
    Layout { size: usize, align_log2: u32 },
    /// A typed slice (or a string) of `len` elements, each element type through a
    /// different `alloc_slice_*` call.
    Slice { elem: Elem, len: usize },
    /// `try_push(size)`.
    Push(usize),
    /// `try_push_aligned(size, 1 << align_log2)`.
    PushAligned { size: usize, align_log2: u32 },
    /// `alloc_with` whose closure panics instead of making the value.
    PanicAlloc(Shape),
    /// `alloc_slice_fill_with` of `len` `u32`s whose closure panics at one index.
    PanicFill { len: usize, panic_at: Index },
    /// A phase holding `Vec`s and `Box`es over `&Arena` (`model_collections.rs`).
    Collections(Vec<collections::CollectionOp>),
    /// Pops the last live allocation of the innermost scope (if any).
    Pop,
    /// A pop the arena must refuse.
    BadPop,
    /// Takes a mark.
    Mark,
    /// Rewinds to a live mark of the innermost scope.
    Rewind(Index),
    /// Tries a mark that is no longer valid: must be refused.
    StaleRewind(Index),
    /// Tries a mark of another arena: must be refused.
    ForeignRewind,
    /// Inside a scope, a rewind and a pop that would go below where the scope
    /// began: must be refused.
    BelowScope(Index),
    /// `scope` with these operations inside.
    Scope(Vec<Op>),
    /// `scope` with these operations inside, then a panic in its body.
    PanickingScope(Vec<Op>),
    /// `reset` (only at the top level).
    Reset,
}

fn elem() -> impl Strategy<Value = Elem> {
    prop_oneof![
        Just(Elem::U8),
        Just(Elem::U16),
        Just(Elem::U32),
        Just(Elem::U64),
        Just(Elem::U128),
        Just(Elem::Str),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![Just(Shape::Bytes), Just(Shape::Words), Just(Shape::Page)]
}

/// The operations that need only `&Arena` (see `Model::run_allocation`).
fn allocation_op() -> BoxedStrategy<Op> {
    prop_oneof![
        6 => (0usize..=512, 0u32..=8).prop_map(|(size, align_log2)| Op::Layout { size, align_log2 }),
        2 => (0usize..=300, 9u32..=12).prop_map(|(size, align_log2)| Op::Layout { size, align_log2 }),
        3 => (elem(), 0usize..=64).prop_map(|(elem, len)| Op::Slice { elem, len }),
        3 => (0usize..=512).prop_map(Op::Push),
        2 => (0usize..=300, 0u32..=12)
            .prop_map(|(size, align_log2)| Op::PushAligned { size, align_log2 }),
        1 => shape().prop_map(Op::PanicAlloc),
        1 => (1usize..=64, any::<Index>()).prop_map(|(len, panic_at)| Op::PanicFill { len, panic_at }),
        2 => Just(Op::Mark),
    ]
    .boxed()
}

/// Operations allowed anywhere, scopes included (nested up to `depth` deep).
fn scoped_op(depth: u32) -> BoxedStrategy<Op> {
    let leaf = prop_oneof![
        20 => allocation_op(),
        2 => collections::phase().prop_map(Op::Collections),
        3 => Just(Op::Pop),
        1 => Just(Op::BadPop),
        2 => any::<Index>().prop_map(Op::Rewind),
        1 => any::<Index>().prop_map(Op::StaleRewind),
        1 => Just(Op::ForeignRewind),
        1 => any::<Index>().prop_map(Op::BelowScope),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        30 => leaf,
        2 => prop::collection::vec(scoped_op(depth - 1), 0..8).prop_map(Op::Scope),
        1 => prop::collection::vec(scoped_op(depth - 1), 0..8).prop_map(Op::PanickingScope),
    ]
    .boxed()
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![32 => scoped_op(3), 1 => Just(Op::Reset)],
        0..=MAX_OPS,
    )
}

// ---- the model -------------------------------------------------------------------------

/// A live allocation as the model sees it.
#[derive(Debug)]
struct Live {
    ptr: *const u8,
    size: usize,
    /// The arena's offset before the allocation, and after it (padding included).
    offset_before: usize,
    offset_after: usize,
    /// The bytes known to be in it: all of them, or a prefix when a closure panicked
    /// while writing it (or none, for a collection's block in debug mode).
    bytes: Vec<u8>,
}

/// A mark and the model's state when it was taken.
#[derive(Debug, Clone, Copy)]
struct ModelMark {
    mark: Mark,
    live_len: usize,
    resets: u64,
}

/// Where the innermost scope began.
#[derive(Debug, Clone, Copy)]
struct Floor {
    live_len: usize,
    offset: usize,
}

struct Model {
    kind: Kind,
    live: Vec<Live>,
    /// Marks the arena must accept.
    marks: Vec<ModelMark>,
    /// Marks freed past or reset away: the arena must refuse those it can detect.
    dead: Vec<ModelMark>,
    floors: Vec<Floor>,
    allocation_count: u64,
    max_offset: usize,
    resets: u64,
    has_chunk: bool,
    next_tag: u8,
    /// Where the last allocation ended, while the model knows (no free since).
    top_addr: Option<usize>,
    other: Arena,
}

/// What the model drives: the arena itself at the top level, or the handle a
/// scope's body gets. Both pop and rewind; only the arena resets.
trait Stack {
    fn arena(&self) -> &Arena;
    fn try_pop(&mut self, size: usize) -> Result<(), StackError>;
    fn try_rewind(&mut self, mark: Mark) -> Result<(), StackError>;
    fn rewind(&mut self, mark: Mark);
    fn scope(&mut self, body: &mut dyn FnMut(&mut Scope<'_>));
    /// The arena, if this is the top level (where `reset` is possible).
    fn top_level(&mut self) -> Option<&mut Arena>;
}

impl Stack for Arena {
    fn arena(&self) -> &Arena {
        self
    }
    fn try_pop(&mut self, size: usize) -> Result<(), StackError> {
        Arena::try_pop(self, size)
    }
    fn try_rewind(&mut self, mark: Mark) -> Result<(), StackError> {
        Arena::try_rewind(self, mark)
    }
    fn rewind(&mut self, mark: Mark) {
        Arena::rewind(self, mark);
    }
    fn scope(&mut self, body: &mut dyn FnMut(&mut Scope<'_>)) {
        Arena::scope(self, body);
    }
    fn top_level(&mut self) -> Option<&mut Arena> {
        Some(self)
    }
}

impl Stack for Scope<'_> {
    fn arena(&self) -> &Arena {
        self
    }
    fn try_pop(&mut self, size: usize) -> Result<(), StackError> {
        Scope::try_pop(self, size)
    }
    fn try_rewind(&mut self, mark: Mark) -> Result<(), StackError> {
        Scope::try_rewind(self, mark)
    }
    fn rewind(&mut self, mark: Mark) {
        Scope::rewind(self, mark);
    }
    fn scope(&mut self, body: &mut dyn FnMut(&mut Scope<'_>)) {
        Scope::scope(self, body);
    }
    fn top_level(&mut self) -> Option<&mut Arena> {
        None
    }
}

/// The arena's observable state before an operation that must not change it.
struct Before {
    stats: ArenaStats,
    offset: usize,
}

impl Before {
    fn take(arena: &Arena) -> Before {
        Before {
            stats: arena.stats(),
            offset: arena.offset(),
        }
    }

    fn assert_unchanged(&self, arena: &Arena) {
        assert_eq!(
            arena.offset(),
            self.offset,
            "a refused operation moved the offset"
        );
        assert_eq!(
            arena.stats(),
            self.stats,
            "a refused operation changed the stats"
        );
    }
}

impl Model {
    fn new(kind: Kind) -> Model {
        let has_chunk = match kind {
            Kind::SmallFirstChunk(bytes)
            | Kind::Debug {
                initial_capacity: bytes,
            }
            | Kind::Fixed {
                capacity: bytes, ..
            } => bytes > 0,
            Kind::Default | Kind::Limit(_) => false,
        };
        Model {
            kind,
            live: Vec::new(),
            marks: Vec::new(),
            dead: Vec::new(),
            floors: Vec::new(),
            allocation_count: 0,
            max_offset: 0,
            resets: 0,
            has_chunk,
            next_tag: 0,
            top_addr: None,
            other: Arena::new("other"),
        }
    }

    fn floor(&self) -> Floor {
        self.floors.last().copied().unwrap_or(Floor {
            live_len: 0,
            offset: 0,
        })
    }

    /// A byte pattern for a new allocation, different from the last few.
    fn pattern(&mut self, len: usize) -> Vec<u8> {
        self.next_tag = self.next_tag.wrapping_add(37);
        let tag = self.next_tag;
        (0..len).map(|i| tag ^ (i as u8).wrapping_mul(31)).collect()
    }

    fn run<S: Stack>(&mut self, stack: &mut S, op: &Op) {
        match op {
            Op::Pop => self.pop(stack),
            Op::BadPop => self.bad_pop(stack),
            Op::Rewind(index) => self.rewind(stack, *index),
            Op::StaleRewind(index) => self.stale_rewind(stack, *index),
            Op::ForeignRewind => {
                self.other.alloc_slice_fill_copy(self.live.len() % 7, 1u8);
                let before = Before::take(stack.arena());
                assert_eq!(
                    stack.try_rewind(self.other.mark()),
                    Err(StackError::ForeignMark {
                        arena: "model".into()
                    })
                );
                before.assert_unchanged(stack.arena());
            }
            Op::BelowScope(index) => self.below_scope(stack, *index),
            Op::Scope(inner) => self.scope(stack, inner),
            Op::PanickingScope(inner) => self.panicking_scope(stack, inner),
            Op::Collections(phase) => self.collections(stack.arena(), phase),
            Op::Reset => self.reset(
                stack
                    .top_level()
                    .expect("the generator puts Reset at the top level only"),
            ),
            allocation => self.run_allocation(stack.arena(), allocation),
        }
        self.check(stack.arena());
    }

    /// The operations that only need `&Arena`: allocations and taking a mark.
    fn run_allocation(&mut self, arena: &Arena, op: &Op) {
        match op {
            Op::Layout { size, align_log2 } => {
                let align = 1usize << align_log2;
                let layout = Layout::from_size_align(*size, align).expect("valid layout");
                let before = Before::take(arena);
                match arena.try_alloc_layout(layout) {
                    Ok(ptr) => {
                        let bytes = self.pattern(*size);
                        // SAFETY: `ptr` is fresh memory for `size` bytes.
                        unsafe {
                            std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), *size)
                        };
                        self.allocated(arena, &before, ptr.as_ptr(), align, bytes);
                    }
                    Err(err) => self.refused(arena, &before, &err),
                }
            }
            Op::Push(size) => self.push(arena, *size, PUSH_ALIGN, |arena| arena.try_push(*size)),
            Op::PushAligned { size, align_log2 } => {
                let align = 1usize << align_log2;
                self.push(arena, *size, align, |arena| {
                    arena.try_push_aligned(*size, align)
                });
            }
            Op::PanicAlloc(shape) => match shape {
                Shape::Bytes => self.panic_alloc::<[u8; 24]>(arena),
                Shape::Words => self.panic_alloc::<[u64; 3]>(arena),
                Shape::Page => self.panic_alloc::<Page>(arena),
            },
            Op::PanicFill { len, panic_at } => self.panic_fill(arena, *len, *panic_at),
            Op::Slice { elem, len } => match elem {
                Elem::U8 => self.slice::<u8>(arena, *len, false, |arena, values| {
                    arena
                        .try_alloc_slice_copy(values)
                        .map(|s| s.as_ptr().cast())
                }),
                Elem::U16 => self.slice::<u16>(arena, *len, false, |arena, values| {
                    arena
                        .try_alloc_slice_fill_with(values.len(), |i| values[i])
                        .map(|s| s.as_ptr().cast())
                }),
                Elem::U32 => self.slice::<u32>(arena, *len, false, |arena, values| {
                    arena
                        .try_alloc_slice_fill_iter(values.iter().copied())
                        .map(|s| s.as_ptr().cast())
                }),
                Elem::U64 => self.slice::<u64>(arena, *len, false, |arena, values| {
                    arena
                        .try_alloc_slice_clone(values)
                        .map(|s| s.as_ptr().cast())
                }),
                Elem::U128 => self.slice::<u128>(arena, *len, true, |arena, values| {
                    let first = values.first().copied().unwrap_or(0);
                    arena
                        .try_alloc_slice_fill_copy(values.len(), first)
                        .map(|s| s.as_ptr().cast())
                }),
                Elem::Str => {
                    let text: String = (0..*len)
                        .map(|i| char::from(b'a' + (i % 26) as u8))
                        .collect();
                    let before = Before::take(arena);
                    match arena.try_alloc_str(&text) {
                        Ok(copy) => {
                            assert_eq!(&*copy, text);
                            let ptr = copy.as_ptr();
                            self.allocated(arena, &before, ptr, 1, text.into_bytes());
                        }
                        Err(err) => self.refused(arena, &before, &err),
                    }
                }
            },
            Op::Mark => self.marks.push(ModelMark {
                mark: arena.mark(),
                live_len: self.live.len(),
                resets: self.resets,
            }),
            other => unreachable!("not an allocation: {other:?}"),
        }
    }

    /// `try_push` or `try_push_aligned` of `size` bytes aligned to `align`.
    fn push<'a>(
        &mut self,
        arena: &'a Arena,
        size: usize,
        align: usize,
        push: impl FnOnce(&'a Arena) -> Result<&'a mut [std::mem::MaybeUninit<u8>], AllocError>,
    ) {
        let before = Before::take(arena);
        match push(arena) {
            Ok(slot) => {
                assert_eq!(slot.len(), size);
                let bytes = self.pattern(size);
                let ptr = slot.as_mut_ptr().cast::<u8>();
                // SAFETY: `slot` is `size` fresh bytes.
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, size) };
                self.allocated(arena, &before, ptr, align, bytes);
            }
            Err(err) => self.refused(arena, &before, &err),
        }
    }

    /// `alloc_with` (`try_alloc_with` where allocations may be refused) whose
    /// closure panics: the memory for `T` stays allocated, uninitialized.
    fn panic_alloc<T: Copy>(&mut self, arena: &Arena) {
        let before = Before::take(arena);
        let outcome = catch_expected(|| {
            if self.kind.bounded() {
                arena.try_alloc_with::<T>(|| expected_panic()).map(|_| ())
            } else {
                arena.alloc_with::<T>(|| expected_panic());
                Ok(())
            }
        });
        match outcome {
            None => {
                let layout = Layout::new::<T>();
                self.allocated_by_panic(arena, &before, layout, Vec::new());
            }
            Some(Err(err)) => self.refused(arena, &before, &err),
            Some(Ok(())) => unreachable!("the closure panics"),
        }
    }

    /// `alloc_slice_fill_with` (or its `try_` twin) of `len` `u32`s whose closure
    /// panics at one index: the slice stays allocated, the elements before that index
    /// written.
    fn panic_fill(&mut self, arena: &Arena, len: usize, panic_at: Index) {
        let panic_at = panic_at.index(len);
        let pattern = self.pattern(len * 4);
        let values: Vec<u32> = pattern
            .chunks_exact(4)
            .map(|word| u32::from_ne_bytes(word.try_into().expect("4 bytes")))
            .collect();
        let before = Before::take(arena);
        let outcome = catch_expected(|| {
            let fill = |i: usize| {
                if i == panic_at {
                    expected_panic()
                }
                values[i]
            };
            if self.kind.bounded() {
                arena.try_alloc_slice_fill_with(len, fill).map(|_| ())
            } else {
                arena.alloc_slice_fill_with(len, fill);
                Ok(())
            }
        });
        match outcome {
            None => {
                let layout = Layout::array::<u32>(len).expect("small");
                let written = pattern[..panic_at * 4].to_vec();
                self.allocated_by_panic(arena, &before, layout, written);
            }
            Some(Err(err)) => self.refused(arena, &before, &err),
            Some(Ok(())) => unreachable!("the closure panics at {panic_at} < {len}"),
        }
    }

    /// Records an allocation whose closure panicked, with the `written` bytes known
    /// to be at its start. The call never returned its address: it is the last
    /// allocation, so it ends at the arena's top, which a zero-sized allocation
    /// aligned to 1 (no padding) returns. That probe is recorded too.
    fn allocated_by_panic(
        &mut self,
        arena: &Arena,
        before: &Before,
        layout: Layout,
        written: Vec<u8>,
    ) {
        let probe_before = Before::take(arena);
        let top = arena
            .try_alloc_layout(Layout::new::<()>())
            .expect("zero bytes always fit");
        assert_eq!(
            arena.offset(),
            probe_before.offset,
            "the probe moved the top"
        );
        let ptr = top.as_ptr().wrapping_sub(layout.size());
        self.allocated_partly(arena, before, ptr, layout, written);
        self.allocated(arena, &probe_before, top.as_ptr(), 1, Vec::new());
    }

    /// A typed slice: `values` are derived from a byte pattern (all equal to the
    /// first if `uniform`, for `fill_copy`); `alloc` puts them in the arena and
    /// returns where.
    fn slice<T: Pod>(
        &mut self,
        arena: &Arena,
        len: usize,
        uniform: bool,
        alloc: impl FnOnce(&Arena, &[T]) -> Result<*const u8, AllocError>,
    ) {
        let mut values = vec![T::zeroed(); len];
        let pattern = self.pattern(std::mem::size_of_val(&values[..]));
        bytemuck::cast_slice_mut::<T, u8>(&mut values).copy_from_slice(&pattern);
        if uniform && len > 0 {
            let first = values[0];
            values.fill(first);
        }
        let before = Before::take(arena);
        match alloc(arena, &values) {
            Ok(ptr) => {
                let expected = bytemuck::cast_slice::<T, u8>(&values).to_vec();
                // SAFETY: the arena just initialized `expected.len()` bytes at `ptr`.
                let written = unsafe { std::slice::from_raw_parts(ptr, expected.len()) };
                assert_eq!(written, &expected[..], "slice contents");
                self.allocated(arena, &before, ptr, std::mem::align_of::<T>(), expected);
            }
            Err(err) => self.refused(arena, &before, &err),
        }
    }

    /// Records a successful allocation and checks where it landed.
    fn allocated(
        &mut self,
        arena: &Arena,
        before: &Before,
        ptr: *const u8,
        align: usize,
        bytes: Vec<u8>,
    ) {
        let layout = Layout::from_size_align(bytes.len(), align).expect("valid layout");
        self.allocated_partly(arena, before, ptr, layout, bytes);
    }

    /// [`allocated`](Model::allocated), for `layout` of which only the first
    /// `known.len()` bytes are known.
    fn allocated_partly(
        &mut self,
        arena: &Arena,
        before: &Before,
        ptr: *const u8,
        layout: Layout,
        known: Vec<u8>,
    ) {
        let (size, align) = (layout.size(), layout.align());
        assert!(known.len() <= size);
        let offset_after = arena.offset();
        assert!(!ptr.is_null());
        assert_eq!(
            ptr.addr() % align,
            0,
            "misaligned: {ptr:p} for align {align}"
        );
        let moved = offset_after - before.offset;
        assert!(
            moved >= size && moved < size + align,
            "offset moved {moved} bytes for {size} bytes aligned to {align}"
        );
        if let Some(last) = self.live.last() {
            assert!(
                before.offset >= last.offset_after,
                "allocated below a live allocation"
            );
        }
        // Padding included: the allocation begins where the last one ended, or at
        // the start of a chunk. (A zero-sized request that moved nothing may get any
        // aligned address.)
        if size > 0 || moved > 0 {
            let start = ptr.addr() - (moved - size);
            if let Some(top) = self.top_addr {
                assert!(
                    start == top || start.is_multiple_of(CHUNK_START_ALIGN),
                    "{size} bytes aligned to {align} placed at {ptr:p}, {} bytes past the top {top:#x}",
                    moved - size
                );
            }
            self.top_addr = Some(ptr.addr() + size);
        }
        self.allocation_count += 1;
        self.max_offset = self.max_offset.max(offset_after);
        self.has_chunk |= size > 0;
        self.live.push(Live {
            ptr,
            size,
            offset_before: before.offset,
            offset_after,
            bytes: known,
        });
    }

    fn refused(&mut self, arena: &Arena, before: &Before, err: &AllocError) {
        assert!(
            self.kind.may_fail_with(err),
            "{:?} arena refused an allocation: {err}",
            self.kind
        );
        before.assert_unchanged(arena);
    }

    fn pop<S: Stack>(&mut self, stack: &mut S) {
        if self.live.len() <= self.floor().live_len {
            return;
        }
        let last = self.live.last().expect("checked above");
        let offset = stack.arena().offset();
        let (size, expected_offset) = if self.kind.debug() {
            // Debug mode pops the last block, its padding included; zero-sized
            // allocations are not blocks, and popping 0 bytes frees nothing.
            if last.size == 0 {
                (0, offset)
            } else {
                (last.size, last.offset_before)
            }
        } else {
            // A plain pop moves the offset back by exactly `size`: pop down to the
            // start of the last allocation (including padding left by earlier pops).
            let start = last.offset_after - last.size;
            (offset - start, start)
        };
        stack.try_pop(size).expect("popping the last allocation");
        assert_eq!(stack.arena().offset(), expected_offset);
        let freed = self.live.split_off(self.live.len() - 1);
        self.freed(stack.arena(), freed);
    }

    fn bad_pop<S: Stack>(&mut self, stack: &mut S) {
        let before = Before::take(stack.arena());
        let offset = before.offset;
        let last_block = self.live.iter().rev().find(|live| live.size > 0);
        match (self.kind.debug(), last_block) {
            (true, Some(block)) => assert_eq!(
                stack.try_pop(block.size + 1),
                Err(StackError::PopMismatch {
                    requested: block.size + 1,
                    last_block: block.size
                })
            ),
            (true, None) => assert_eq!(
                stack.try_pop(1),
                Err(StackError::PopUnderflow {
                    requested: 1,
                    used: offset
                })
            ),
            (false, _) => assert_eq!(
                stack.try_pop(offset + 1),
                Err(StackError::PopUnderflow {
                    requested: offset + 1,
                    used: offset
                })
            ),
        }
        before.assert_unchanged(stack.arena());
    }

    fn rewind<S: Stack>(&mut self, stack: &mut S, index: Index) {
        // Inside a scope, only marks taken inside it (rewinding further would free
        // what the scope's own mark protects).
        let floor = self.floor();
        let candidates: Vec<ModelMark> = self
            .marks
            .iter()
            .filter(|m| m.live_len >= floor.live_len && m.mark.offset() >= floor.offset)
            .copied()
            .collect();
        if candidates.is_empty() {
            return;
        }
        let target = candidates[index.index(candidates.len())];
        stack.rewind(target.mark);
        assert_eq!(stack.arena().offset(), target.mark.offset());
        let freed = self.live.split_off(target.live_len);
        self.freed(stack.arena(), freed);
    }

    fn stale_rewind<S: Stack>(&mut self, stack: &mut S, index: Index) {
        if self.dead.is_empty() {
            return;
        }
        let stale = self.dead[index.index(self.dead.len())];
        let offset = stack.arena().offset();
        let expected = if stale.resets != self.resets {
            StackError::MarkBeforeReset {
                mark_resets: stale.resets,
                arena_resets: self.resets,
            }
        } else if stale.mark.offset() > offset {
            StackError::StaleMark {
                mark_offset: stale.mark.offset(),
                used: offset,
            }
        } else {
            // The arena cannot tell this mark from a valid one (its offset is in
            // use again); rewinding to it is the caller's logic error.
            return;
        };
        let before = Before::take(stack.arena());
        assert_eq!(stack.try_rewind(stale.mark), Err(expected));
        before.assert_unchanged(stack.arena());
    }

    /// Inside a scope: a rewind to a valid mark below the scope's start, and a pop
    /// of one byte more than the scope holds, are refused and change nothing.
    fn below_scope<S: Stack>(&mut self, stack: &mut S, index: Index) {
        let Some(floor) = self.floors.last().copied() else {
            return;
        };
        let before = Before::take(stack.arena());
        let below: Vec<ModelMark> = self
            .marks
            .iter()
            .filter(|m| m.mark.offset() < floor.offset)
            .copied()
            .collect();
        if !below.is_empty() {
            let target = below[index.index(below.len())];
            assert_eq!(
                stack.try_rewind(target.mark),
                Err(StackError::BelowScope {
                    target: target.mark.offset(),
                    scope_start: floor.offset
                })
            );
            before.assert_unchanged(stack.arena());
        }
        // Debug mode pops whole blocks; its refusals are in `bad_pop`.
        if !self.kind.debug() && floor.offset > 0 {
            let size = before.offset - floor.offset + 1;
            assert_eq!(
                stack.try_pop(size),
                Err(StackError::BelowScope {
                    target: floor.offset - 1,
                    scope_start: floor.offset
                })
            );
            before.assert_unchanged(stack.arena());
        }
    }

    fn scope<S: Stack>(&mut self, stack: &mut S, inner: &[Op]) {
        let floor = Floor {
            live_len: self.live.len(),
            offset: stack.arena().offset(),
        };
        stack.scope(&mut |tmp| {
            assert_eq!(tmp.start_offset(), floor.offset);
            self.floors.push(floor);
            for op in inner {
                self.run(tmp, op);
            }
            self.floors.pop();
        });
        assert_eq!(
            stack.arena().offset(),
            floor.offset,
            "scope did not free its allocations"
        );
        let freed = self.live.split_off(floor.live_len);
        self.freed(stack.arena(), freed);
    }

    /// A scope whose body panics after running `inner`: nothing is freed on the
    /// way out ("its allocations stay until the next reset or the end of an
    /// enclosing scope"), and marks taken inside stay valid.
    fn panicking_scope<S: Stack>(&mut self, stack: &mut S, inner: &[Op]) {
        let floor = Floor {
            live_len: self.live.len(),
            offset: stack.arena().offset(),
        };
        let mut offset_at_panic = None;
        let finished = catch_expected(|| {
            stack.scope(&mut |tmp| {
                assert_eq!(tmp.start_offset(), floor.offset);
                self.floors.push(floor);
                for op in inner {
                    self.run(tmp, op);
                }
                offset_at_panic = Some(tmp.offset());
                expected_panic();
            });
        });
        assert!(finished.is_none(), "the scope's body panics");
        assert_eq!(self.floors.pop().map(|f| f.offset), Some(floor.offset));
        assert_eq!(
            Some(stack.arena().offset()),
            offset_at_panic,
            "a scope that panicked freed its allocations"
        );
    }

    fn reset(&mut self, arena: &mut Arena) {
        let chunks_before = arena.stats().chunk_count;
        arena.reset();
        self.top_addr = None;
        let freed = std::mem::take(&mut self.live);
        if chunks_before == 1 {
            // One chunk is kept as is, so its freed bytes can still be read.
            self.check_poisoned(&freed);
        }
        self.dead.append(&mut self.marks);
        self.resets += 1;
        self.allocation_count = 0;
        let stats = arena.stats();
        assert_eq!(stats.used_bytes, 0);
        assert!(
            stats.chunk_count <= 1,
            "reset left {} chunks",
            stats.chunk_count
        );
        if stats.chunk_count == 1 {
            assert!(
                stats.committed_bytes >= stats.high_water_bytes,
                "the chunk kept by reset cannot hold the high-water mark: {stats:?}"
            );
        }
    }

    /// After `freed` left the arena (pop, rewind, scope): poisoned in debug mode, and
    /// marks above the new top are no longer valid.
    fn freed(&mut self, arena: &Arena, freed: Vec<Live>) {
        self.check_poisoned(&freed);
        self.top_addr = None;
        let (live_len, offset) = (self.live.len(), arena.offset());
        let (valid, stale): (Vec<_>, Vec<_>) = self
            .marks
            .drain(..)
            .partition(|m| m.live_len <= live_len && m.mark.offset() <= offset);
        self.marks = valid;
        self.dead.extend(stale);
    }

    fn check_poisoned(&self, freed: &[Live]) {
        // With the `asan` feature freed bytes are poisoned for the sanitizer, and
        // reading them is the error it reports (tests/asan_poison.rs checks that).
        if !self.kind.debug() || cfg!(feature = "asan") {
            return;
        }
        for live in freed.iter().filter(|live| live.size > 0) {
            // SAFETY: the chunk that held `live` is still owned by the arena (pop,
            // rewind and scopes keep chunks as spares; callers check resets).
            let bytes = unsafe { std::slice::from_raw_parts(live.ptr, live.size) };
            assert!(
                bytes.iter().all(|&b| b == POISON_BYTE),
                "freed bytes not poisoned: {live:?}"
            );
        }
    }

    /// The arena agrees with the model.
    fn check(&self, arena: &Arena) {
        self.check_with(arena, &[]);
    }

    /// [`check`](Model::check), with `buffers` (address ranges) held by live
    /// collections: disjoint from the allocations, or in debug mode, each inside
    /// the block the model recorded for it.
    fn check_with(&self, arena: &Arena, buffers: &[(usize, usize)]) {
        let stats = arena.stats();
        assert_eq!(&*stats.name, "model");
        assert_eq!(stats.used_bytes, arena.offset());
        assert_eq!(
            stats.allocation_count, self.allocation_count,
            "allocation count"
        );
        assert_eq!(stats.high_water_bytes, self.max_offset, "high-water mark");
        assert_eq!(stats.reset_count, self.resets);
        assert!(stats.committed_bytes >= stats.used_bytes, "{stats:?}");
        assert!(stats.chunk_count as u64 <= stats.grow_count, "{stats:?}");
        if self.has_chunk {
            assert!(stats.chunk_count >= 1, "{stats:?}");
        }
        match self.kind {
            Kind::Fixed { capacity, .. } => {
                assert_eq!(stats.committed_bytes, capacity);
                assert!(stats.chunk_count <= 1);
            }
            Kind::Limit(limit) => assert!(stats.committed_bytes <= limit, "{stats:?}"),
            _ => {}
        }
        if let Some(last) = self.live.last() {
            assert!(arena.offset() >= last.offset_after);
        }
        // Live allocations: disjoint, and holding what was written into them.
        let mut ranges: Vec<(usize, usize)> = self
            .live
            .iter()
            .filter(|live| live.size > 0)
            .map(|live| (live.ptr.addr(), live.ptr.addr() + live.size))
            .collect();
        if self.kind.debug() {
            for &(start, end) in buffers {
                assert!(
                    ranges.iter().any(|&(s, e)| s == start && end <= e),
                    "a collection's buffer {start:#x}..{end:#x} is not a recorded block"
                );
            }
        } else {
            ranges.extend_from_slice(buffers);
        }
        ranges.sort_unstable();
        for pair in ranges.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "live allocations overlap: {pair:x?}"
            );
        }
        for live in self.live.iter().filter(|live| live.size > 0) {
            // SAFETY: `live` is still allocated: the model frees it only when the
            // arena does.
            let bytes = unsafe { std::slice::from_raw_parts(live.ptr, live.bytes.len()) };
            assert!(
                bytes == &live.bytes[..],
                "contents of a live allocation changed: {live:?}"
            );
        }
    }
}

fn run_case(kind: Kind, ops: &[Op]) {
    let mut arena = kind.build();
    let mut model = Model::new(kind);
    model.check(&arena);
    for op in ops {
        model.run(&mut arena, op);
    }
    // Everything still in use is intact, and a reset still leaves one chunk.
    model.reset(&mut arena);
    model.check(&arena);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn growing_arenas_match_the_model(
        kind in prop_oneof![Just(Kind::Default), (1usize..=256).prop_map(Kind::SmallFirstChunk)],
        ops in ops(),
    ) {
        run_case(kind, &ops);
    }

    #[test]
    fn debug_arenas_match_the_model(
        kind in prop_oneof![
            3 => (0usize..=256).prop_map(|initial_capacity| Kind::Debug { initial_capacity }),
            1 => (0usize..=4096).prop_map(|capacity| Kind::Fixed { capacity, debug: true }),
        ],
        ops in ops(),
    ) {
        run_case(kind, &ops);
    }

    #[test]
    fn bounded_arenas_match_the_model(
        kind in prop_oneof![
            (0usize..=4096).prop_map(|capacity| Kind::Fixed { capacity, debug: false }),
            (256usize..=8192).prop_map(Kind::Limit),
        ],
        ops in ops(),
    ) {
        run_case(kind, &ops);
    }
}
