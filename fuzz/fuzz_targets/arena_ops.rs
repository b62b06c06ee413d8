//! Arbitrary operation sequences on every arena kind, checked against a simple model.
//!
//! - `Arena` (growing, with a capacity, fixed, limited, debug mode): allocations of
//!   every shape through `alloc_layout`, the typed calls and `push`, with their `try_`
//!   twins where the arena may refuse; mark/rewind, pop, nested scopes, reset, and
//!   `&Arena` as the allocator of a `Vec` that grows and shrinks. The model keeps the
//!   live allocations (offsets, bytes written) and the marks still valid.
//! - `FrameArenas`: allocations in each frame, `keep` and `previous` across frames,
//!   worker arenas, budgets and overflow.
//! - `LevelArena`: values with destructors (run newest first on unload, exactly
//!   once), plain data, seal and growth after load.
//! - `AssetArena`: insert, mark, `release_to` (valid and stale marks), handles
//!   that stop resolving.
//!
//! Only what the public docs promise is checked. `engine/tests/arena/model.rs` is
//! the proptest version of the `Arena` part, with more cases of refusals.
#![no_main]

use allocator_api2::vec::Vec as ArenaVec;
use arbitrary::Arbitrary;
use engine::{
    AllocError, Arena, ArenaConfig, ArenaStats, AssetArena, AssetError, AssetId, AssetKind,
    AssetMark, Backing, FrameArenas, FrameConfig, FrameSlice, FrameStats, Growth, LevelArena, Mark,
    Overflow, POISON_BYTE, PUSH_ALIGN, Scope, StackError, WorkerArena,
};
use libfuzzer_sys::fuzz_target;
use std::alloc::Layout;
use std::sync::{Arc, Mutex};

/// Operations per case; the rest of a long input is ignored.
const MAX_OPS: usize = 256;
/// Scopes nest at most this deep (deeper `EnterScope`s are ignored).
const MAX_DEPTH: u32 = 6;
/// Largest single request, so that a case stays small and fast.
const MAX_SIZE: usize = 4096;

#[derive(Arbitrary, Debug)]
enum Case {
    Arena {
        kind: Kind,
        ops: Vec<Op>,
    },
    Frames {
        budget: u16,
        workers: u8,
        worker_budget: u16,
        ops: Vec<FrameOp>,
    },
    Level {
        initial: u16,
        fixed: bool,
        ops: Vec<LevelOp>,
    },
    Assets {
        limit: Option<u16>,
        ops: Vec<AssetOp>,
    },
}

fuzz_target!(|case: Case| match case {
    Case::Arena { kind, ops } => run_arena(kind, &ops[..ops.len().min(MAX_OPS)]),
    Case::Frames {
        budget,
        workers,
        worker_budget,
        ops,
    } => run_frames(
        FrameConfig {
            name: "fuzz",
            budget_bytes: usize::from(budget) % (4 * MAX_SIZE + 1),
            worker_count: usize::from(workers % 3),
            worker_budget_bytes: usize::from(worker_budget) % (MAX_SIZE + 1),
            ..FrameConfig::default()
        },
        &ops[..ops.len().min(MAX_OPS)],
    ),
    Case::Level {
        initial,
        fixed,
        ops,
    } => run_level(
        usize::from(initial) % (MAX_SIZE + 1),
        fixed,
        &ops[..ops.len().min(MAX_OPS)],
    ),
    Case::Assets { limit, ops } => run_assets(
        limit.map(|limit| usize::from(limit) % (4 * MAX_SIZE + 1)),
        &ops[..ops.len().min(MAX_OPS)],
    ),
});

/// A byte pattern that differs from one allocation to the next.
fn pattern(tag: &mut u8, len: usize) -> Vec<u8> {
    *tag = tag.wrapping_add(37);
    let tag = *tag;
    (0..len)
        .map(|i| tag ^ (i as u8).wrapping_mul(31) ^ (i >> 8) as u8)
        .collect()
}

fn request_size(raw: u16) -> usize {
    usize::from(raw) % (MAX_SIZE + 1)
}

fn request_align(log2: u8) -> usize {
    1 << (log2 % 13) // up to a page
}

// ---- Arena -------------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    New,
    WithCapacity(u16),
    Fixed(u16),
    Limit(u16),
    Config {
        initial: u16,
        fixed: bool,
        limit: Option<u16>,
        budget: Option<u16>,
        debug: bool,
        /// Reserved backing (a reservation far bigger than any sequence here
        /// needs), or chunks.
        reserved: bool,
    },
}

/// What the model needs to know about how the arena was built.
#[derive(Debug, Clone, Copy)]
struct Built {
    initial: usize,
    fixed: bool,
    limit: Option<usize>,
    debug: bool,
}

impl Kind {
    fn build(self) -> (Arena, Built) {
        let name = "model";
        match self {
            Kind::New => (
                Arena::new(name),
                Built {
                    initial: 0,
                    fixed: false,
                    limit: None,
                    debug: false,
                },
            ),
            Kind::WithCapacity(bytes) => {
                let initial = request_size(bytes) * 2;
                let built = Built {
                    initial,
                    fixed: false,
                    limit: None,
                    debug: false,
                };
                (Arena::with_capacity(name, initial), built)
            }
            Kind::Fixed(bytes) => {
                let initial = request_size(bytes) * 2;
                let built = Built {
                    initial,
                    fixed: true,
                    limit: None,
                    debug: false,
                };
                (Arena::with_fixed_capacity(name, initial), built)
            }
            Kind::Limit(bytes) => {
                let limit = request_size(bytes) * 4;
                let built = Built {
                    initial: 0,
                    fixed: false,
                    limit: Some(limit),
                    debug: false,
                };
                (Arena::with_limit(name, limit), built)
            }
            Kind::Config {
                initial,
                fixed,
                limit,
                budget,
                debug,
                reserved,
            } => {
                let limit = limit.map(|bytes| request_size(bytes) * 4);
                // A first chunk over the limit is a documented panic: keep under it.
                let initial = (request_size(initial) * 2).min(limit.unwrap_or(usize::MAX));
                let config = ArenaConfig {
                    initial_capacity: initial,
                    growth: if fixed {
                        Growth::Fixed
                    } else {
                        Growth::Geometric
                    },
                    limit_bytes: limit,
                    budget_bytes: budget.map(usize::from),
                    debug_blocks: debug,
                    // The model checks that a reset keeps room for the lifetime
                    // high-water mark, which only holds without trimming.
                    trim: None,
                    backing: if reserved {
                        Backing::Reserved {
                            reserve_bytes: 1 << 30,
                        }
                    } else {
                        Backing::Chunked
                    },
                };
                let built = Built {
                    initial,
                    fixed,
                    limit,
                    debug,
                };
                (Arena::with_config(name, config), built)
            }
        }
    }
}

impl Built {
    /// Whether some allocation may be refused: only by a fixed or limited arena.
    fn may_refuse(self) -> bool {
        self.fixed || self.limit.is_some()
    }

    fn may_fail_with(self, error: &AllocError) -> bool {
        match error {
            AllocError::CapacityExceeded { .. } => self.fixed,
            AllocError::LimitExceeded { .. } => self.limit.is_some(),
            _ => false,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Typed {
    One,
    With,
    SliceCopy,
    SliceClone,
    FillCopy,
    FillWith,
    FillIter,
    Str,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    /// `alloc_layout` (or `try_alloc_layout`) of `size` bytes aligned to `align`.
    Layout {
        size: u16,
        align: u8,
        fallible: bool,
    },
    /// One of the typed calls, of `len` elements.
    Typed {
        call: Typed,
        len: u8,
        fallible: bool,
    },
    /// `try_push`, or `try_push_aligned` when an alignment is given.
    Push {
        size: u16,
        align: Option<u8>,
    },
    /// Pops the last live allocation of the innermost scope.
    Pop,
    /// A pop that must be refused.
    BadPop,
    Mark,
    /// Rewinds to a valid mark of the innermost scope.
    Rewind(u8),
    /// A mark already freed past or reset away: refused where the arena can tell.
    StaleRewind(u8),
    /// A mark of another arena: refused.
    ForeignRewind,
    /// Inside a scope, a rewind below where it began: refused.
    BelowScope(u8),
    EnterScope,
    ExitScope,
    /// `reset` (top level only; ignored inside a scope).
    Reset,
    /// A `Vec<u32, &Arena>` that grows by `pushes`, then shrinks to `keep`
    /// elements; optionally rewound away after.
    Vec {
        pushes: u16,
        keep: Option<u16>,
        rewind: bool,
    },
}

/// A live allocation as the model sees it.
#[derive(Debug)]
struct Live {
    ptr: *const u8,
    size: usize,
    /// The arena's offset before and after it (padding included).
    offset_before: usize,
    offset_after: usize,
    bytes: Vec<u8>,
}

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

/// The arena itself at the top level, or a scope's handle; both pop and rewind.
trait Stack {
    fn arena(&self) -> &Arena;
    fn try_pop(&mut self, size: usize) -> Result<(), StackError>;
    fn try_rewind(&mut self, mark: Mark) -> Result<(), StackError>;
    fn scope(&mut self, body: &mut dyn FnMut(&mut Scope<'_>));
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

    fn assert_unchanged(&self, arena: &Arena, what: &str) {
        assert_eq!(arena.offset(), self.offset, "{what} moved the offset");
        assert_eq!(arena.stats(), self.stats, "{what} changed the stats");
    }
}

struct Model {
    built: Built,
    live: Vec<Live>,
    marks: Vec<ModelMark>,
    dead: Vec<ModelMark>,
    floors: Vec<Floor>,
    allocation_count: u64,
    high_water: usize,
    resets: u64,
    tag: u8,
    other: Arena,
}

fn run_arena(kind: Kind, ops: &[Op]) {
    let (mut arena, built) = kind.build();
    let mut model = Model {
        built,
        live: Vec::new(),
        marks: Vec::new(),
        dead: Vec::new(),
        floors: Vec::new(),
        allocation_count: 0,
        high_water: 0,
        resets: 0,
        tag: 0,
        other: Arena::new("other"),
    };
    model.check(&arena);
    model.run(&mut arena, &mut ops.iter(), 0);
    model.reset(&mut arena);
    model.check(&arena);
}

impl Model {
    fn floor(&self) -> Floor {
        self.floors.last().copied().unwrap_or(Floor {
            live_len: 0,
            offset: 0,
        })
    }

    /// Runs `ops` until they end or, inside a scope, until `ExitScope`.
    fn run<S: Stack>(&mut self, stack: &mut S, ops: &mut std::slice::Iter<'_, Op>, depth: u32) {
        while let Some(op) = ops.next() {
            match *op {
                Op::ExitScope if depth > 0 => return,
                Op::ExitScope => {}
                Op::EnterScope if depth < MAX_DEPTH => self.scope(stack, ops, depth + 1),
                Op::EnterScope => {}
                Op::Pop => self.pop(stack),
                Op::BadPop => self.bad_pop(stack),
                Op::Rewind(index) => self.rewind(stack, index),
                Op::StaleRewind(index) => self.stale_rewind(stack, index),
                Op::ForeignRewind => {
                    let before = Before::take(stack.arena());
                    assert_eq!(
                        stack.try_rewind(self.other.mark()),
                        Err(StackError::ForeignMark {
                            arena: "model".into()
                        })
                    );
                    before.assert_unchanged(stack.arena(), "a foreign rewind");
                }
                Op::BelowScope(index) => self.below_scope(stack, index),
                Op::Reset => {
                    if let Some(arena) = stack.top_level() {
                        self.reset(arena);
                    }
                }
                Op::Vec {
                    pushes,
                    keep,
                    rewind,
                } => self.vec(stack, pushes, keep, rewind),
                Op::Mark => self.marks.push(ModelMark {
                    mark: stack.arena().mark(),
                    live_len: self.live.len(),
                    resets: self.resets,
                }),
                Op::Layout {
                    size,
                    align,
                    fallible,
                } => self.layout(
                    stack.arena(),
                    request_size(size),
                    request_align(align),
                    fallible,
                ),
                Op::Typed {
                    call,
                    len,
                    fallible,
                } => self.typed(stack.arena(), call, usize::from(len), fallible),
                Op::Push { size, align } => {
                    let arena = stack.arena();
                    let size = request_size(size);
                    let align = align.map_or(PUSH_ALIGN, request_align);
                    let before = Before::take(arena);
                    let pushed = if align == PUSH_ALIGN {
                        arena.try_push(size)
                    } else {
                        arena.try_push_aligned(size, align)
                    };
                    match pushed {
                        Ok(slot) => {
                            let ptr = slot.as_mut_ptr().cast::<u8>();
                            let bytes = pattern(&mut self.tag, size);
                            // SAFETY: `slot` is `size` fresh bytes.
                            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, size) };
                            self.allocated(arena, &before, ptr, align, bytes);
                        }
                        Err(error) => self.refused(arena, &before, &error),
                    }
                }
            }
            self.check(stack.arena());
        }
    }

    fn layout(&mut self, arena: &Arena, size: usize, align: usize, fallible: bool) {
        let layout = Layout::from_size_align(size, align).expect("a valid layout");
        let before = Before::take(arena);
        let result = if fallible || self.built.may_refuse() {
            arena.try_alloc_layout(layout)
        } else {
            Ok(arena.alloc_layout(layout))
        };
        match result {
            Ok(ptr) => {
                let bytes = pattern(&mut self.tag, size);
                // SAFETY: `ptr` is `size` fresh bytes.
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), size) };
                self.allocated(arena, &before, ptr.as_ptr(), align, bytes);
            }
            Err(error) => self.refused(arena, &before, &error),
        }
    }

    /// A typed call of `len` elements: the values come from a byte pattern, and the
    /// arena must hold exactly them.
    fn typed(&mut self, arena: &Arena, call: Typed, len: usize, fallible: bool) {
        let fallible = fallible || self.built.may_refuse();
        let before = Before::take(arena);
        let bytes = pattern(&mut self.tag, len * 8);
        let words: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|chunk| u64::from_le_bytes(chunk.try_into().expect("8 bytes")))
            .collect();
        let first = words.first().copied().unwrap_or(0x5EED);
        // Each arm gives (pointer, alignment, the bytes expected there).
        let result: Result<(*const u8, usize, Vec<u8>), AllocError> = match call {
            Typed::One => {
                let value = [first, first.rotate_left(7)];
                let placed = if fallible {
                    arena.try_alloc(value)
                } else {
                    Ok(arena.alloc(value))
                };
                placed.map(|slot| {
                    assert_eq!(*slot, value);
                    (
                        slot.as_ptr().cast(),
                        align_of_val(slot),
                        as_bytes(&value[..]),
                    )
                })
            }
            Typed::With => {
                let value = [first as u16; 3];
                let placed = if fallible {
                    arena.try_alloc_with(|| value)
                } else {
                    Ok(arena.alloc_with(|| value))
                };
                placed.map(|slot| {
                    assert_eq!(*slot, value);
                    (slot.as_ptr().cast(), 2, as_bytes(&value[..]))
                })
            }
            Typed::SliceCopy => {
                let values: Vec<u32> = words.iter().map(|&w| w as u32).collect();
                let placed = if fallible {
                    arena.try_alloc_slice_copy(&values)
                } else {
                    Ok(arena.alloc_slice_copy(&values))
                };
                placed.map(|slice| {
                    assert_eq!(slice, &values[..]);
                    (slice.as_ptr().cast(), 4, as_bytes(&values[..]))
                })
            }
            Typed::SliceClone => {
                let placed = if fallible {
                    arena.try_alloc_slice_clone(&words)
                } else {
                    Ok(arena.alloc_slice_clone(&words))
                };
                placed.map(|slice| {
                    assert_eq!(slice, &words[..]);
                    (slice.as_ptr().cast(), 8, as_bytes(&words[..]))
                })
            }
            Typed::FillCopy => {
                let value = u128::from(first) << 64 | u128::from(first);
                let placed = if fallible {
                    arena.try_alloc_slice_fill_copy(len, value)
                } else {
                    Ok(arena.alloc_slice_fill_copy(len, value))
                };
                placed.map(|slice| {
                    assert!(slice.len() == len && slice.iter().all(|&v| v == value));
                    let expected = vec![value; len];
                    (
                        slice.as_ptr().cast(),
                        align_of_val(&value),
                        as_bytes(&expected[..]),
                    )
                })
            }
            Typed::FillWith => {
                let placed = if fallible {
                    arena.try_alloc_slice_fill_with(len, |i| bytes[i])
                } else {
                    Ok(arena.alloc_slice_fill_with(len, |i| bytes[i]))
                };
                placed.map(|slice| {
                    assert_eq!(slice, &bytes[..len]);
                    (slice.as_ptr(), 1, bytes[..len].to_vec())
                })
            }
            Typed::FillIter => {
                let values = words.iter().map(|&w| w as u16);
                let placed = if fallible {
                    arena.try_alloc_slice_fill_iter(values.clone())
                } else {
                    Ok(arena.alloc_slice_fill_iter(values.clone()))
                };
                placed.map(|slice| {
                    let expected: Vec<u16> = values.collect();
                    assert_eq!(slice, &expected[..]);
                    (slice.as_ptr().cast(), 2, as_bytes(&expected[..]))
                })
            }
            Typed::Str => {
                let text: String = bytes[..len]
                    .iter()
                    .map(|&b| char::from(b'a' + b % 26))
                    .collect();
                let placed = if fallible {
                    arena.try_alloc_str(&text)
                } else {
                    Ok(arena.alloc_str(&text))
                };
                placed.map(|copy| {
                    assert_eq!(&*copy, text);
                    (copy.as_ptr(), 1, text.into_bytes())
                })
            }
        };
        match result {
            Ok((ptr, align, expected)) => self.allocated(arena, &before, ptr, align, expected),
            Err(error) => self.refused(arena, &before, &error),
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
        let size = bytes.len();
        let offset_after = arena.offset();
        assert!(!ptr.is_null());
        assert_eq!(ptr.addr() % align, 0, "{ptr:p} misaligned for {align}");
        let moved = offset_after - before.offset;
        assert!(
            moved >= size && moved < size + align,
            "offset moved {moved} bytes for {size} bytes aligned to {align}"
        );
        self.allocation_count += 1;
        self.high_water = self.high_water.max(offset_after);
        self.live.push(Live {
            ptr,
            size,
            offset_before: before.offset,
            offset_after,
            bytes,
        });
    }

    fn refused(&mut self, arena: &Arena, before: &Before, error: &AllocError) {
        assert!(
            self.built.may_fail_with(error),
            "{:?} arena refused an allocation: {error}",
            self.built
        );
        before.assert_unchanged(arena, "a refused allocation");
    }

    fn pop<S: Stack>(&mut self, stack: &mut S) {
        if self.live.len() <= self.floor().live_len {
            return;
        }
        let last = self.live.last().expect("checked above");
        let offset = stack.arena().offset();
        let (size, expected_offset) = if self.built.debug {
            // Debug mode pops the last block with its padding; zero-sized
            // allocations are not blocks, and popping 0 frees nothing.
            if last.size == 0 {
                (0, offset)
            } else {
                (last.size, last.offset_before)
            }
        } else {
            // A plain pop moves the offset back by exactly `size`.
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
        let at_top = self.floors.is_empty();
        let last_block = self.live.iter().rev().find(|live| live.size > 0);
        let (size, expected) = match (self.built.debug, last_block) {
            (true, Some(block)) => (
                block.size + 1,
                StackError::PopMismatch {
                    requested: block.size + 1,
                    last_block: block.size,
                },
            ),
            (true, None) => (
                1,
                StackError::PopUnderflow {
                    requested: 1,
                    used: before.offset,
                },
            ),
            (false, _) => (
                before.offset + 1,
                StackError::PopUnderflow {
                    requested: before.offset + 1,
                    used: before.offset,
                },
            ),
        };
        let result = stack.try_pop(size);
        if at_top {
            assert_eq!(result, Err(expected));
        } else {
            // In a scope the refusal may name the scope instead.
            assert!(result.is_err(), "a bad pop in a scope was accepted");
        }
        before.assert_unchanged(stack.arena(), "a refused pop");
    }

    fn rewind<S: Stack>(&mut self, stack: &mut S, index: u8) {
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
        let target = candidates[usize::from(index) % candidates.len()];
        stack.try_rewind(target.mark).expect("a valid mark");
        assert_eq!(stack.arena().offset(), target.mark.offset());
        let freed = self.live.split_off(target.live_len);
        self.freed(stack.arena(), freed);
    }

    fn stale_rewind<S: Stack>(&mut self, stack: &mut S, index: u8) {
        if self.dead.is_empty() {
            return;
        }
        let stale = self.dead[usize::from(index) % self.dead.len()];
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
            // Its offset is in use again: the arena cannot tell it from a valid
            // mark, and the docs do not promise to.
            return;
        };
        let before = Before::take(stack.arena());
        assert_eq!(stack.try_rewind(stale.mark), Err(expected));
        before.assert_unchanged(stack.arena(), "a stale rewind");
    }

    fn below_scope<S: Stack>(&mut self, stack: &mut S, index: u8) {
        let Some(floor) = self.floors.last().copied() else {
            return;
        };
        let below: Vec<ModelMark> = self
            .marks
            .iter()
            .filter(|m| m.mark.offset() < floor.offset)
            .copied()
            .collect();
        if below.is_empty() {
            return;
        }
        let target = below[usize::from(index) % below.len()];
        let before = Before::take(stack.arena());
        assert_eq!(
            stack.try_rewind(target.mark),
            Err(StackError::BelowScope {
                target: target.mark.offset(),
                scope_start: floor.offset
            })
        );
        before.assert_unchanged(stack.arena(), "a rewind below the scope");
    }

    fn scope<S: Stack>(&mut self, stack: &mut S, ops: &mut std::slice::Iter<'_, Op>, depth: u32) {
        let floor = Floor {
            live_len: self.live.len(),
            offset: stack.arena().offset(),
        };
        stack.scope(&mut |tmp| {
            assert_eq!(tmp.start_offset(), floor.offset);
            self.floors.push(floor);
            self.run(tmp, ops, depth);
            self.floors.pop();
        });
        assert_eq!(
            stack.arena().offset(),
            floor.offset,
            "the scope did not free its allocations"
        );
        let freed = self.live.split_off(floor.live_len);
        self.freed(stack.arena(), freed);
    }

    /// A `Vec<u32, &Arena>` grown by `pushes` and shrunk to `keep`: its contents
    /// survive every grow and shrink, and it disturbs no live allocation. Debug mode
    /// keeps a collection's blocks on record, so there it is always rewound away.
    fn vec<S: Stack>(&mut self, stack: &mut S, pushes: u16, keep: Option<u16>, rewind: bool) {
        let pushes = usize::from(pushes) % (MAX_SIZE / 2);
        let rewind = rewind || self.built.debug;
        let before = Before::take(stack.arena());
        let mark = stack.arena().mark();
        {
            let arena = stack.arena();
            let mut values: ArenaVec<u32, &Arena> = ArenaVec::new_in(arena);
            let mut expected = Vec::new();
            for i in 0..pushes {
                if values.try_reserve(1).is_err() {
                    assert!(
                        self.built.may_refuse(),
                        "a Vec could not grow in {:?}",
                        self.built
                    );
                    break;
                }
                let value = (i as u32).wrapping_mul(0x9E37_79B9) ^ u32::from(self.tag);
                values.push(value);
                expected.push(value);
            }
            assert_eq!(&values[..], &expected[..]);
            if let Some(keep) = keep {
                let keep = usize::from(keep) % (values.len() + 1);
                values.truncate(keep);
                values.shrink_to_fit();
                assert_eq!(&values[..], &expected[..keep]);
            }
            self.check_contents();
        }
        let offset = stack.arena().offset();
        assert!(offset >= before.offset, "dropping a Vec freed older bytes");
        if rewind {
            stack.try_rewind(mark).expect("a mark taken just before");
            assert_eq!(stack.arena().offset(), before.offset);
        }
        // Growth may take several allocations; the model follows the arena's count.
        let stats = stack.arena().stats();
        assert!(stats.allocation_count >= self.allocation_count);
        assert!(stats.high_water_bytes >= self.high_water.max(offset));
        self.allocation_count = stats.allocation_count;
        self.high_water = stats.high_water_bytes;
    }

    fn reset(&mut self, arena: &mut Arena) {
        let chunks_before = arena.stats().chunk_count;
        arena.reset();
        let freed = std::mem::take(&mut self.live);
        if chunks_before == 1 {
            // The one chunk is kept, so its freed bytes can still be read.
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

    /// After `freed` left the arena: poisoned in debug mode, and marks above the new
    /// top are no longer valid.
    fn freed(&mut self, arena: &Arena, freed: Vec<Live>) {
        self.check_poisoned(&freed);
        let (live_len, offset) = (self.live.len(), arena.offset());
        let (valid, stale): (Vec<_>, Vec<_>) = self
            .marks
            .drain(..)
            .partition(|m| m.live_len <= live_len && m.mark.offset() <= offset);
        self.marks = valid;
        self.dead.extend(stale);
    }

    fn check_poisoned(&self, freed: &[Live]) {
        if !self.built.debug {
            return;
        }
        for live in freed.iter().filter(|live| live.size > 0) {
            // SAFETY: the chunk that held `live` is still the arena's: pop, rewind
            // and scopes keep chunks as spares, and `reset` calls this only when
            // it kept the one chunk there was.
            let bytes = unsafe { std::slice::from_raw_parts(live.ptr, live.size) };
            assert!(
                bytes.iter().all(|&b| b == POISON_BYTE),
                "freed bytes not poisoned: {live:?}"
            );
        }
    }

    fn check_contents(&self) {
        for live in self.live.iter().filter(|live| live.size > 0) {
            // SAFETY: the model frees `live` only when the arena does.
            let bytes = unsafe { std::slice::from_raw_parts(live.ptr, live.size) };
            assert!(
                bytes == &live.bytes[..],
                "a live allocation changed: {live:?}"
            );
        }
    }

    /// The arena agrees with the model.
    fn check(&self, arena: &Arena) {
        let stats = arena.stats();
        assert_eq!(&*stats.name, "model");
        assert_eq!(stats.used_bytes, arena.offset());
        assert_eq!(
            stats.allocation_count, self.allocation_count,
            "allocation count"
        );
        assert_eq!(stats.high_water_bytes, self.high_water, "high-water mark");
        assert_eq!(stats.reset_count, self.resets);
        assert_eq!(stats.limit_bytes, self.built.limit);
        assert!(stats.committed_bytes >= stats.used_bytes, "{stats:?}");
        if self.built.fixed {
            assert_eq!(
                stats.committed_bytes, self.built.initial,
                "a fixed arena grew"
            );
            assert_eq!(stats.grow_count, u64::from(self.built.initial > 0));
        }
        if let Some(limit) = self.built.limit {
            assert!(stats.committed_bytes <= limit, "past the limit: {stats:?}");
        }
        if let Some(last) = self.live.last() {
            assert!(arena.offset() >= last.offset_after);
        }
        let mut ranges: Vec<(usize, usize)> = self
            .live
            .iter()
            .filter(|live| live.size > 0)
            .map(|live| (live.ptr.addr(), live.ptr.addr() + live.size))
            .collect();
        ranges.sort_unstable();
        for pair in ranges.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "live allocations overlap: {pair:x?}"
            );
        }
        self.check_contents();
    }
}

fn as_bytes<T: Copy>(values: &[T]) -> Vec<u8> {
    // SAFETY: the element types used here (integers, arrays of them) have no padding,
    // so every byte of the slice is initialized.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values)) }
        .to_vec()
}

// ---- FrameArenas -------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, Copy)]
enum FrameOp {
    /// Ends the frame and begins the next.
    Begin,
    /// A slice of `len` words in the frame.
    Slice { len: u16 },
    /// Raw bytes in the frame, aligned to `align`.
    Layout { size: u16, align: u8 },
    /// Keeps one of this frame's slices for the next frame.
    Keep(u8),
    /// `keep` of memory that is not the frame's: `None`.
    KeepForeign,
    /// Reads a kept handle (of any frame, or of other frame arenas).
    Previous(u8),
    /// Words in a worker arena.
    Worker { index: u8, len: u16 },
    /// A `Vec<u32, &Arena>` in the frame, kept for the next frame if asked.
    Vec { pushes: u16, keep: bool },
}

/// Memory written this frame, to check at its end.
struct Written {
    ptr: *const u8,
    bytes: Vec<u8>,
}

impl Written {
    fn check(&self) {
        // SAFETY: written this frame; the frame's and the workers' memory lives
        // until the `begin_frame` after next.
        let now = unsafe { std::slice::from_raw_parts(self.ptr, self.bytes.len()) };
        assert!(
            now == &self.bytes[..],
            "frame memory changed within its frame"
        );
    }
}

struct KeptHandle {
    handle: FrameSlice<u32>,
    frame: u64,
    values: Vec<u32>,
}

fn run_frames(config: FrameConfig, ops: &[FrameOp]) {
    let budget = config.budget_bytes;
    let worker_budget = config.worker_budget_bytes;
    let worker_count = config.worker_count;
    let mut frames = FrameArenas::new(config);
    let mut other = FrameArenas::new(FrameConfig {
        budget_bytes: 256,
        ..FrameConfig::default()
    });
    let foreign = {
        let frame = other.begin_frame();
        frame
            .keep(frame.alloc_slice_copy(&[1u32, 2]))
            .expect("frame memory")
    };
    let mut kept: Vec<KeptHandle> = Vec::new();
    let mut tag = 0u8;
    let mut ops = ops.iter();
    let mut previous_stats: Option<FrameStats> = None;
    let mut overflows = 0u64;
    let mut last_overflow: Option<Overflow> = None;
    for index in 0u64.. {
        let frame = frames.begin_frame();
        // Every worker arena, lent for the whole frame: the pool lends the ones it
        // made up front, lowest first, and makes none.
        let workers: Vec<WorkerArena<'_>> = (0..worker_count)
            .map(|_| frame.workers().acquire())
            .collect();
        assert_eq!(frame.workers().worker_count(), worker_count);
        assert_eq!(frame.index(), index);
        assert_eq!(frame.offset(), 0, "a new frame starts empty");
        assert_eq!(frame.stats().allocation_count, 0);
        assert_eq!(workers.len(), worker_count);
        for worker in workers.iter() {
            assert_eq!(worker.offset(), 0, "a worker arena was not reset");
        }
        let mut written: Vec<Written> = Vec::new();
        let mut slices: Vec<(&[u32], Vec<u32>)> = Vec::new();
        let mut count = 0u64;
        let mut ended = true;
        for op in ops.by_ref() {
            match *op {
                FrameOp::Begin => {
                    ended = false;
                    break;
                }
                FrameOp::Slice { len } => {
                    let len = usize::from(len) % (MAX_SIZE / 4);
                    tag = tag.wrapping_add(1);
                    let values: Vec<u32> =
                        (0..len as u32).map(|i| i ^ u32::from(tag) << 24).collect();
                    let slice: &[u32] = frame.alloc_slice_copy(&values);
                    count += 1;
                    written.push(Written {
                        ptr: slice.as_ptr().cast(),
                        bytes: as_bytes(&values[..]),
                    });
                    slices.push((slice, values));
                }
                FrameOp::Layout { size, align } => {
                    let size = request_size(size);
                    let align = request_align(align);
                    let ptr =
                        frame.alloc_layout(Layout::from_size_align(size, align).expect("valid"));
                    count += 1;
                    assert_eq!(ptr.as_ptr().addr() % align, 0);
                    let bytes = pattern(&mut tag, size);
                    // SAFETY: `size` fresh bytes.
                    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), size) };
                    written.push(Written {
                        ptr: ptr.as_ptr(),
                        bytes,
                    });
                }
                FrameOp::Keep(which) => {
                    if slices.is_empty() {
                        continue;
                    }
                    let (slice, values) = &slices[usize::from(which) % slices.len()];
                    // Keeping allocates nothing: it raises the hand-back floor.
                    let handle = frame.keep(slice).expect("a slice of this frame");
                    assert_eq!((handle.frame_index(), handle.len()), (index, slice.len()));
                    kept.push(KeptHandle {
                        handle,
                        frame: index,
                        values: values.clone(),
                    });
                }
                FrameOp::KeepForeign => {
                    let heap = [tag as u32; 4];
                    assert!(
                        frame.keep(&heap[..]).is_none(),
                        "kept memory not in the frame"
                    );
                    assert!(
                        frame.previous(foreign).is_none(),
                        "read another FrameArenas' handle"
                    );
                }
                FrameOp::Previous(which) => {
                    if kept.is_empty() {
                        continue;
                    }
                    let entry = &kept[usize::from(which) % kept.len()];
                    match frame.previous(entry.handle) {
                        Some(values) => {
                            assert_eq!(
                                entry.frame + 1,
                                index,
                                "read a handle not of the last frame"
                            );
                            assert_eq!(values, &entry.values[..], "last frame's data changed");
                        }
                        None => assert_ne!(entry.frame + 1, index, "last frame's handle refused"),
                    }
                }
                FrameOp::Worker { index: worker, len } => {
                    if workers.is_empty() {
                        continue;
                    }
                    let arena: &Arena = &workers[usize::from(worker) % workers.len()];
                    let len = usize::from(len) % (MAX_SIZE / 4);
                    let bytes = pattern(&mut tag, len * 4);
                    let slice = arena.alloc_slice_copy(&bytes);
                    count += 1;
                    written.push(Written {
                        ptr: slice.as_ptr(),
                        bytes,
                    });
                }
                FrameOp::Vec { pushes, keep } => {
                    let pushes = usize::from(pushes) % (MAX_SIZE / 2);
                    let mut values: ArenaVec<u32, &Arena> = ArenaVec::new_in(frame.arena());
                    values.extend((0..pushes as u32).map(|i| i.rotate_left(u32::from(tag % 32))));
                    let expected: Vec<u32> = values.iter().copied().collect();
                    if keep {
                        let handle = frame.keep(&values[..]).expect("a Vec in the frame");
                        kept.push(KeptHandle {
                            handle,
                            frame: index,
                            values: expected,
                        });
                    }
                    drop(values);
                    // Growth takes an unknown number of allocations: follow the arena.
                    count = frame.stats().allocation_count
                        + workers
                            .iter()
                            .map(|w| w.stats().allocation_count)
                            .sum::<u64>();
                }
            }
            let worker_allocations: u64 = workers.iter().map(|w| w.stats().allocation_count).sum();
            assert_eq!(frame.stats().allocation_count + worker_allocations, count);
        }
        for memory in &written {
            memory.check();
        }
        let used = frame.offset();
        let worker_used: Vec<usize> = workers.iter().map(|worker| worker.offset()).collect();
        drop((slices, workers));
        // The frame's borrows end here: `frames` can be read.
        let stats = frames.stats();
        assert_eq!(stats.frame_index, index);
        assert_eq!(frames.frame_index(), index);
        assert_eq!(stats.used_bytes, used);
        assert_eq!(stats.worker_used_bytes, worker_used.iter().sum::<usize>());
        assert_eq!(stats.allocation_count, count);
        assert_eq!(stats.budget_bytes, budget);
        let over = used.saturating_sub(budget)
            + worker_used
                .iter()
                .map(|&u| u.saturating_sub(worker_budget))
                .sum::<usize>();
        assert_eq!(stats.overflow_bytes, over);
        // The frame before ended as recorded, and its overflow (if any) is reported.
        assert_eq!(frames.last_frame_stats(), previous_stats.as_ref());
        assert_eq!(frames.last_overflow(), (last_overflow, overflows));
        if over > 0 {
            overflows += 1;
            last_overflow = Some(Overflow {
                frame_index: index,
                bytes_over: over,
            });
        }
        previous_stats = Some(stats);
        if ended {
            break;
        }
    }
}

// ---- LevelArena --------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, Copy)]
enum LevelOp {
    /// A value whose destructor logs `id`.
    Tracked,
    /// A `Vec<String>` of `len` names (a destructor that frees heap memory).
    Names {
        len: u8,
    },
    /// Plain data: no destructor record.
    Plain {
        len: u16,
    },
    Seal,
    Unload,
}

/// Logs its id when dropped.
struct Tracked {
    id: u32,
    log: Arc<Mutex<Vec<u32>>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.log.lock().expect("log").push(self.id);
    }
}

fn run_level(initial: usize, fixed: bool, ops: &[LevelOp]) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut level = LevelArena::with_config(
        "level",
        ArenaConfig {
            initial_capacity: initial,
            growth: if fixed {
                Growth::Fixed
            } else {
                Growth::Geometric
            },
            ..ArenaConfig::default()
        },
    );
    let mut made = 0u32;
    // Ids of the live tracked values, oldest first, and every destructor record.
    let mut tracked: Vec<u32> = Vec::new();
    let mut pending = 0usize;
    let mut names_checked: Vec<(*const Vec<String>, usize)> = Vec::new();
    let mut plain: Vec<(*const u8, Vec<u8>)> = Vec::new();
    let mut tag = 0u8;
    // The level's used bytes when it was sealed.
    let mut sealed_at: Option<usize> = None;
    for op in ops {
        let before = level.stats();
        match *op {
            LevelOp::Tracked => {
                let id = made;
                made += 1;
                let value = Tracked {
                    id,
                    log: Arc::clone(&log),
                };
                match level.try_alloc(value) {
                    Ok(slot) => {
                        assert_eq!(slot.id, id);
                        tracked.push(id);
                        pending += 1;
                    }
                    Err(_) => {
                        assert!(fixed, "a growing level refused a value");
                        // A refused value is dropped at once.
                        assert_eq!(log.lock().expect("log").last(), Some(&id));
                        log.lock().expect("log").pop();
                        assert_eq!(level.stats(), before);
                    }
                }
            }
            LevelOp::Names { len } => {
                let names: Vec<String> = (0..len).map(|i| format!("object-{i}")).collect();
                match level.try_alloc(names) {
                    Ok(slot) => {
                        assert_eq!(slot.len(), usize::from(len));
                        names_checked.push((slot as *const Vec<String>, usize::from(len)));
                        pending += 1;
                    }
                    Err(_) => {
                        assert!(fixed, "a growing level refused a value");
                        assert_eq!(level.stats(), before);
                    }
                }
            }
            LevelOp::Plain { len } => {
                let bytes = pattern(&mut tag, request_size(len));
                match level.try_alloc_slice_copy(&bytes) {
                    Ok(slice) => {
                        assert_eq!(slice, &bytes[..]);
                        plain.push((slice.as_ptr(), bytes));
                    }
                    Err(_) => {
                        assert!(fixed, "a growing level refused plain data");
                        assert_eq!(level.stats(), before);
                    }
                }
            }
            LevelOp::Seal => {
                level.seal();
                sealed_at = Some(level.stats().used_bytes);
            }
            LevelOp::Unload => {
                let used = level.stats().used_bytes;
                let growth = level.growth_bytes();
                let report = level.unload();
                assert_eq!(report.destructors_run, pending);
                assert_eq!(report.bytes_freed, used);
                assert_eq!(report.growth_after_load_bytes, growth);
                // Newest first, each exactly once.
                let mut expected = tracked.clone();
                expected.reverse();
                assert_eq!(*log.lock().expect("log"), expected, "destructor order");
                log.lock().expect("log").clear();
                tracked.clear();
                names_checked.clear();
                plain.clear();
                pending = 0;
                sealed_at = None;
                assert_eq!(level.stats().used_bytes, 0);
                assert_eq!(level.growth_bytes(), 0);
            }
        }
        assert_eq!(level.pending_destructors(), pending);
        assert_eq!(level.is_sealed(), sealed_at.is_some());
        let used = level.stats().used_bytes;
        assert_eq!(
            level.growth_bytes(),
            sealed_at.map_or(0, |at| used - at),
            "growth after load is the bytes used since the seal"
        );
        assert!(
            log.lock().expect("log").is_empty(),
            "a destructor ran early"
        );
        for &(names, len) in &names_checked {
            // SAFETY: the level holds the Vec until unload.
            let names = unsafe { &*names };
            assert_eq!(names.len(), len);
            assert!(
                names
                    .iter()
                    .enumerate()
                    .all(|(i, n)| *n == format!("object-{i}"))
            );
        }
        for (ptr, bytes) in &plain {
            // SAFETY: the level holds the bytes until unload.
            let now = unsafe { std::slice::from_raw_parts(*ptr, bytes.len()) };
            assert!(now == &bytes[..], "level data changed");
        }
    }
    drop(level);
    // Dropping the level runs what is left, newest first.
    let mut expected = tracked;
    expected.reverse();
    assert_eq!(*log.lock().expect("log"), expected, "destructors on drop");
}

// ---- AssetArena --------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AssetOp {
    Insert {
        len: u16,
        kind: u16,
    },
    Mark,
    /// `release_to` a mark, valid or stale.
    Release(u8),
    /// Reads a handle, live or released.
    Get(u8),
}

struct AssetRecord {
    id: AssetId,
    name: String,
    kind: AssetKind,
    bytes: Vec<u8>,
}

struct AssetMarkRecord {
    mark: AssetMark,
    count: usize,
    /// Whether a release went below the mark since it was taken.
    stale: bool,
}

fn run_assets(limit: Option<usize>, ops: &[AssetOp]) {
    let mut assets = match limit {
        Some(limit) => AssetArena::with_limit("assets", limit),
        None => AssetArena::new("assets"),
    };
    assert_eq!(assets.limit_bytes(), limit);
    let mut live: Vec<AssetRecord> = Vec::new();
    let mut released: Vec<AssetId> = Vec::new();
    let mut marks: Vec<AssetMarkRecord> = Vec::new();
    let mut tag = 0u8;
    let mut serial = 0u32;
    for op in ops {
        match *op {
            AssetOp::Insert { len, kind } => {
                let bytes = pattern(&mut tag, request_size(len) * 2);
                let name = format!("asset-{serial}");
                serial += 1;
                let before = assets.stats();
                match assets.insert(&name, AssetKind(kind), &bytes) {
                    Ok(id) => live.push(AssetRecord {
                        id,
                        name,
                        kind: AssetKind(kind),
                        bytes,
                    }),
                    Err(error) => {
                        let limit = limit.expect("an arena with no limit refused an asset");
                        match error {
                            AssetError::TooLarge { .. } => assert!(bytes.len() > limit),
                            AssetError::Alloc { .. } => assert!(bytes.len() <= limit),
                            other => panic!("unexpected {other:?}"),
                        }
                        assert_eq!(assets.stats(), before, "a refused insert changed the arena");
                    }
                }
            }
            AssetOp::Mark => marks.push(AssetMarkRecord {
                mark: assets.mark(),
                count: live.len(),
                stale: false,
            }),
            AssetOp::Release(which) => {
                if marks.is_empty() {
                    continue;
                }
                let record = &marks[usize::from(which) % marks.len()];
                let before = assets.stats();
                let result = assets.release_to(record.mark);
                if record.stale {
                    assert!(
                        matches!(result, Err(StackError::StaleMark { .. })),
                        "a stale asset mark was accepted: {result:?}"
                    );
                    assert_eq!(assets.stats(), before);
                    continue;
                }
                let count = record.count;
                let report = result.expect("a valid asset mark");
                let gone = live.split_off(count);
                let names: Vec<String> = report
                    .assets
                    .iter()
                    .map(|path| path.to_string_lossy().into_owned())
                    .collect();
                let expected: Vec<String> = gone.iter().rev().map(|a| a.name.clone()).collect();
                assert_eq!(names, expected, "released assets, newest first");
                assert_eq!(report.bytes, before.used_bytes - assets.stats().used_bytes);
                assert!(report.bytes >= gone.iter().map(|a| a.bytes.len()).sum::<usize>());
                released.extend(gone.iter().map(|a| a.id));
                for mark in &mut marks {
                    mark.stale |= mark.count > count;
                }
            }
            AssetOp::Get(which) => {
                if let Some(&id) = released.get(usize::from(which) % (released.len() + 1)) {
                    assert!(
                        matches!(assets.try_get(id), Err(AssetError::NotLoaded { .. })),
                        "a released handle resolves"
                    );
                }
            }
        }
        assert_eq!(assets.len(), live.len());
        for record in &live {
            assert_eq!(
                assets.get(record.id),
                &record.bytes[..],
                "asset bytes changed"
            );
            assert_eq!(assets.kind(record.id), record.kind);
            assert_eq!(assets.path(record.id).to_string_lossy(), record.name);
            assert_eq!(
                assets.get(record.id).as_ptr().addr() % engine::ASSET_PAYLOAD_ALIGN,
                0
            );
            let words = assets.get_pod::<u32>(record.id);
            assert_eq!(words.is_ok(), record.bytes.len() % 4 == 0);
        }
        if let Some(limit) = limit {
            assert!(assets.stats().committed_bytes <= limit);
        }
    }
}
