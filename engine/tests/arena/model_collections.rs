//! The model's collections phase: `allocator_api2` `Vec`s and `Box`es over `&Arena`,
//! interleaved with plain allocations and marks.
//!
//! The collections borrow the arena, so a phase holds them and drops them all
//! before it ends, before the next operation that needs `&mut Arena`. After each
//! step the model checks what the allocator promises (`src/arena/allocator.rs`):
//! - contents equal a plain `Vec`'s (or the boxed value);
//! - a block that is the most recent allocation grows in place (same pointer, the
//!   offset up by exactly the growth) when its chunk has room, and a freed or shrunk
//!   one hands its bytes back; any other growth moves (one new allocation, the old
//!   block left in place), any other free changes nothing;
//! - debug mode never grows in place nor hands bytes back, and each block a
//!   collection took is on the record, so `pop` and `rewind` see it afterwards;
//! - plain allocations keep their bytes, and the offset never drops below them.
//!
//! Whether a chunk has room is only known while the arena holds one chunk: its
//! committed bytes are the chunk. With more, in-place growth and hand-backs are
//! checked for consistency only.

use super::{Before, Live, Model, Op, Page, allocation_op};
use allocator_api2::boxed::Box as ArenaBox;
use allocator_api2::vec::Vec as ArenaVec;
use engine::Arena;
use proptest::prelude::*;
use proptest::sample::Index;

/// Steps per collections phase.
const MAX_STEPS: usize = 16;

#[derive(Debug, Clone)]
pub(super) enum CollectionOp {
    /// An empty `Vec<u64, &Arena>` (`wide`) or `Vec<u8, &Arena>`.
    NewVec {
        wide: bool,
    },
    /// `Box::try_new_in` of a `[u8; 48]`, or of a [`Page`] (aligned to 512).
    NewBox {
        page: bool,
    },
    /// `count` pushes onto a vec, each after a `try_reserve(1)`.
    Push {
        target: Index,
        count: usize,
    },
    ShrinkToFit(Index),
    /// Truncates a vec to a length in `0..=len`.
    Truncate {
        target: Index,
        keep: Index,
    },
    Drop(Index),
    /// An operation of [`allocation_op`]: a plain allocation or a mark.
    Plain(Op),
}

pub(super) fn phase() -> impl Strategy<Value = Vec<CollectionOp>> {
    let step = prop_oneof![
        3 => any::<bool>().prop_map(|wide| CollectionOp::NewVec { wide }),
        1 => any::<bool>().prop_map(|page| CollectionOp::NewBox { page }),
        6 => (any::<Index>(), 1usize..=40)
            .prop_map(|(target, count)| CollectionOp::Push { target, count }),
        2 => any::<Index>().prop_map(CollectionOp::ShrinkToFit),
        2 => (any::<Index>(), any::<Index>())
            .prop_map(|(target, keep)| CollectionOp::Truncate { target, keep }),
        2 => any::<Index>().prop_map(CollectionOp::Drop),
        4 => allocation_op().prop_map(CollectionOp::Plain),
    ];
    prop::collection::vec(step, 0..=MAX_STEPS)
}

/// A live collection and the plain value it must equal.
enum Contents<'a> {
    Words(ArenaVec<u64, &'a Arena>, Vec<u64>),
    Bytes(ArenaVec<u8, &'a Arena>, Vec<u8>),
    Small(ArenaBox<[u8; 48], &'a Arena>, [u8; 48]),
    Page(ArenaBox<Page, &'a Arena>, [u8; 40]),
}

struct Collection<'a> {
    contents: Contents<'a>,
    /// The logical offset where its buffer begins (while it has one).
    start_offset: usize,
}

impl Collection<'_> {
    /// The buffer, its size in bytes (0 when there is none) and its alignment.
    fn buffer(&self) -> (*const u8, usize, usize) {
        fn of<T>(ptr: *const T, capacity: usize) -> (*const u8, usize, usize) {
            (ptr.cast(), capacity * size_of::<T>(), align_of::<T>())
        }
        match &self.contents {
            Contents::Words(vec, _) => of(vec.as_ptr(), vec.capacity()),
            Contents::Bytes(vec, _) => of(vec.as_ptr(), vec.capacity()),
            Contents::Small(boxed, _) => of(&raw const **boxed, 1),
            Contents::Page(boxed, _) => of(&raw const **boxed, 1),
        }
    }

    fn check_contents(&self) {
        match &self.contents {
            Contents::Words(vec, model) => assert_eq!(&vec[..], &model[..]),
            Contents::Bytes(vec, model) => assert_eq!(&vec[..], &model[..]),
            Contents::Small(boxed, model) => assert_eq!(**boxed, *model),
            Contents::Page(boxed, model) => assert_eq!(boxed.0, *model),
        }
        let (ptr, bytes, align) = self.buffer();
        assert!(
            bytes == 0 || ptr.addr().is_multiple_of(align),
            "misaligned buffer"
        );
    }
}

/// What one step can change, observed before and after it.
#[derive(Debug, Clone, Copy)]
struct Observed {
    addr: usize,
    bytes: usize,
    offset: usize,
    allocation_count: u64,
    chunk_count: usize,
    committed_bytes: usize,
}

impl Observed {
    fn take(arena: &Arena, collection: &Collection<'_>) -> Observed {
        let (ptr, bytes, _) = collection.buffer();
        let stats = arena.stats();
        Observed {
            addr: ptr.addr(),
            bytes,
            offset: arena.offset(),
            allocation_count: stats.allocation_count,
            chunk_count: stats.chunk_count,
            committed_bytes: stats.committed_bytes,
        }
    }
}

impl Model {
    /// Runs a collections phase; every collection is dropped by its end.
    pub(super) fn collections(&mut self, arena: &Arena, steps: &[CollectionOp]) {
        let mut held: Vec<Collection<'_>> = Vec::new();
        for step in steps {
            match step {
                CollectionOp::NewVec { wide } => held.push(Collection {
                    contents: if *wide {
                        Contents::Words(ArenaVec::new_in(arena), Vec::new())
                    } else {
                        Contents::Bytes(ArenaVec::new_in(arena), Vec::new())
                    },
                    start_offset: 0,
                }),
                CollectionOp::NewBox { page } => {
                    let pattern = self.pattern(48);
                    if *page {
                        let bytes: [u8; 40] = pattern[..40].try_into().expect("40 bytes");
                        self.new_box(arena, &mut held, Page(bytes), |boxed| {
                            Contents::Page(boxed, bytes)
                        });
                    } else {
                        let value: [u8; 48] = pattern.try_into().expect("48 bytes");
                        self.new_box(arena, &mut held, value, |boxed| {
                            Contents::Small(boxed, value)
                        });
                    }
                }
                CollectionOp::Push { target, count } => {
                    if let Some(collection) = pick(&mut held, *target) {
                        self.push_onto(arena, collection, *count);
                    }
                }
                CollectionOp::ShrinkToFit(target) => {
                    if let Some(collection) = pick(&mut held, *target) {
                        self.shrink_to_fit(arena, collection);
                    }
                }
                CollectionOp::Truncate { target, keep } => {
                    if let Some(collection) = pick(&mut held, *target) {
                        let before = Observed::take(arena, collection);
                        match &mut collection.contents {
                            Contents::Words(vec, model) => {
                                let len = keep.index(model.len() + 1);
                                vec.truncate(len);
                                model.truncate(len);
                            }
                            Contents::Bytes(vec, model) => {
                                let len = keep.index(model.len() + 1);
                                vec.truncate(len);
                                model.truncate(len);
                            }
                            Contents::Small(..) | Contents::Page(..) => {}
                        }
                        let after = Observed::take(arena, collection);
                        assert_eq!(
                            (after.addr, after.bytes, after.offset),
                            (before.addr, before.bytes, before.offset),
                            "truncate touched the allocator"
                        );
                    }
                }
                CollectionOp::Drop(target) => {
                    if !held.is_empty() {
                        let collection = held.remove(target.index(held.len()));
                        self.drop_collection(arena, collection);
                    }
                }
                CollectionOp::Plain(op) => {
                    self.run_allocation(arena, op);
                    self.check_phase(arena, &held);
                    continue;
                }
            }
            self.top_addr = None;
            self.check_phase(arena, &held);
        }
        // Newest first, so that more of them hand their bytes back.
        while let Some(collection) = held.pop() {
            self.drop_collection(arena, collection);
            self.check_phase(arena, &held);
        }
        self.top_addr = None;
    }

    /// After a step: the collections hold what they should, and the arena agrees
    /// with the model. Bytes handed back invalidate the marks above them.
    fn check_phase(&mut self, arena: &Arena, held: &[Collection<'_>]) {
        for collection in held {
            collection.check_contents();
        }
        let buffers: Vec<(usize, usize)> = held
            .iter()
            .map(Collection::buffer)
            .filter(|&(_, bytes, _)| bytes > 0)
            .map(|(ptr, bytes, _)| (ptr.addr(), ptr.addr() + bytes))
            .collect();
        self.max_offset = self.max_offset.max(arena.offset());
        self.check_with(arena, &buffers);
        self.freed(arena, Vec::new());
    }

    fn new_box<'a, T: Copy>(
        &mut self,
        arena: &'a Arena,
        held: &mut Vec<Collection<'a>>,
        value: T,
        contents: impl FnOnce(ArenaBox<T, &'a Arena>) -> Contents<'a>,
    ) {
        let before = Before::take(arena);
        let observed = Observed {
            addr: 0,
            bytes: 0,
            offset: before.offset,
            allocation_count: before.stats.allocation_count,
            chunk_count: before.stats.chunk_count,
            committed_bytes: before.stats.committed_bytes,
        };
        match ArenaBox::try_new_in(value, arena) {
            Ok(boxed) => {
                let mut collection = Collection {
                    contents: contents(boxed),
                    start_offset: 0,
                };
                self.took_block(arena, &observed, &mut collection);
                held.push(collection);
            }
            Err(_) => self.refused_growth(arena, &before),
        }
    }

    /// `count` pushes onto a vec (nothing for a box), each growth checked.
    fn push_onto(&mut self, arena: &Arena, collection: &mut Collection<'_>, count: usize) {
        let values = self.pattern(count * 8);
        for value in values.chunks_exact(8) {
            let before = Observed::take(arena, collection);
            let before_stats = Before::take(arena);
            let reserved = match &mut collection.contents {
                Contents::Words(vec, _) => vec.try_reserve(1).is_ok(),
                Contents::Bytes(vec, _) => vec.try_reserve(1).is_ok(),
                Contents::Small(..) | Contents::Page(..) => return,
            };
            if !reserved {
                self.refused_growth(arena, &before_stats);
                return;
            }
            let after = Observed::take(arena, collection);
            if after.bytes != before.bytes {
                self.grew(arena, &before, &after, collection);
            }
            match &mut collection.contents {
                Contents::Words(vec, model) => {
                    let word = u64::from_ne_bytes(value.try_into().expect("8 bytes"));
                    vec.push(word);
                    model.push(word);
                }
                Contents::Bytes(vec, model) => {
                    vec.push(value[0]);
                    model.push(value[0]);
                }
                Contents::Small(..) | Contents::Page(..) => unreachable!(),
            }
            let pushed = Observed::take(arena, collection);
            assert_eq!(
                (pushed.addr, pushed.bytes, pushed.offset),
                (after.addr, after.bytes, after.offset),
                "a push within the capacity touched the allocator"
            );
            self.max_offset = self.max_offset.max(arena.offset());
        }
    }

    /// A vec's buffer grew from `before` to `after`: a first block, in place, or
    /// moved.
    fn grew(
        &mut self,
        arena: &Arena,
        before: &Observed,
        after: &Observed,
        collection: &mut Collection<'_>,
    ) {
        assert!(after.bytes > before.bytes);
        let growth = after.bytes - before.bytes;
        let on_top = before.bytes > 0 && before.offset == collection.start_offset + before.bytes;
        // One chunk: its committed bytes are all there is, so room is known.
        let has_room = before.chunk_count == 1 && before.offset + growth <= before.committed_bytes;
        if on_top && has_room && !self.kind.debug() {
            assert_eq!(
                after.addr, before.addr,
                "the newest block did not grow in place though its chunk had room: {before:?} -> {after:?}"
            );
        }
        if before.bytes > 0 && after.addr == before.addr {
            assert!(!self.kind.debug(), "debug mode grew a block in place");
            assert!(on_top, "a block that is not the newest grew in place");
            assert_eq!(after.offset, before.offset + growth, "in-place growth");
            assert_eq!(
                after.allocation_count, before.allocation_count,
                "in-place growth counted an allocation"
            );
        } else {
            // The old block, if any, stays where it is until the arena frees it.
            self.took_block(arena, before, collection);
        }
    }

    /// The collection's buffer is a fresh block, taken since `before`.
    fn took_block(&mut self, arena: &Arena, before: &Observed, collection: &mut Collection<'_>) {
        let (ptr, size, align) = collection.buffer();
        let offset_after = arena.offset();
        let moved = offset_after - before.offset;
        assert!(
            moved >= size && moved < size + align,
            "offset moved {moved} bytes for a block of {size} aligned to {align}"
        );
        if let Some(last) = self.live.last() {
            assert!(
                before.offset >= last.offset_after,
                "a block below a live allocation"
            );
        }
        assert_eq!(
            arena.stats().allocation_count,
            before.allocation_count + 1,
            "a new block is one allocation"
        );
        self.allocation_count += 1;
        self.max_offset = self.max_offset.max(offset_after);
        self.has_chunk = true;
        collection.start_offset = offset_after - size;
        if self.kind.debug() {
            // On the record until a pop, rewind or reset frees it, like any block;
            // what the collection writes is checked through the collection.
            self.live.push(Live {
                ptr,
                size,
                offset_before: before.offset,
                offset_after,
                bytes: Vec::new(),
            });
        }
    }

    /// `try_reserve` or `try_new_in` failed: allowed only where allocations may be
    /// refused, and it changed nothing.
    fn refused_growth(&mut self, arena: &Arena, before: &Before) {
        assert!(
            self.kind.bounded(),
            "{:?} arena refused a collection's block",
            self.kind
        );
        before.assert_unchanged(arena);
    }

    fn shrink_to_fit(&mut self, arena: &Arena, collection: &mut Collection<'_>) {
        let before = Observed::take(arena, collection);
        match &mut collection.contents {
            Contents::Words(vec, _) => vec.shrink_to_fit(),
            Contents::Bytes(vec, _) => vec.shrink_to_fit(),
            Contents::Small(..) | Contents::Page(..) => return,
        }
        let after = Observed::take(arena, collection);
        if after.bytes > 0 {
            assert_eq!(after.addr, before.addr, "shrinking moved the buffer");
        }
        let start_offset = collection.start_offset;
        self.handed_back(arena, &before, before.bytes - after.bytes, start_offset);
    }

    fn drop_collection(&mut self, arena: &Arena, collection: Collection<'_>) {
        let before = Observed::take(arena, &collection);
        let start_offset = collection.start_offset;
        drop(collection);
        self.handed_back(arena, &before, before.bytes, start_offset);
    }

    /// `bytes` at the end of a buffer that began at `start_offset` were freed
    /// (observed `before`): given back to the arena if and only if the buffer was
    /// the newest block, outside debug mode.
    fn handed_back(&mut self, arena: &Arena, before: &Observed, bytes: usize, start_offset: usize) {
        let offset = arena.offset();
        assert_eq!(
            arena.stats().allocation_count,
            before.allocation_count,
            "freeing counted an allocation"
        );
        let on_top = before.bytes > 0 && before.offset == start_offset + before.bytes;
        let gave_back = offset != before.offset;
        if gave_back {
            assert_eq!(offset, before.offset - bytes, "bytes handed back");
            assert!(!self.kind.debug(), "debug mode handed bytes back");
            assert!(
                on_top,
                "bytes handed back by a block that is not the newest"
            );
            self.overtaken_by_hand_back(offset);
        } else if on_top && bytes > 0 && before.chunk_count == 1 && !self.kind.debug() {
            panic!("the newest block did not hand back {bytes} bytes: {before:?}");
        }
    }
}

impl Model {
    /// The arena moved back to `offset`. "The most recent allocation" is judged by
    /// address, so plain allocations made after a buffer may now lie above the top,
    /// but only zero-sized ones (they hold no bytes): they now end at the top.
    fn overtaken_by_hand_back(&mut self, offset: usize) {
        for live in self.live.iter_mut().rev() {
            if live.offset_after <= offset {
                break;
            }
            assert_eq!(
                live.size, 0,
                "bytes handed back from under a live allocation: {live:?}"
            );
            live.offset_before = live.offset_before.min(offset);
            live.offset_after = offset;
        }
    }
}

/// The collection at `index`, if any is held.
fn pick<'h, 'a>(held: &'h mut [Collection<'a>], index: Index) -> Option<&'h mut Collection<'a>> {
    if held.is_empty() {
        return None;
    }
    let at = index.index(held.len());
    Some(&mut held[at])
}
