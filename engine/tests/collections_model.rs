//! `ArenaVec` and `ArenaString` against `std`'s `Vec` and `String`: random operation
//! sequences applied to both side by side, in every kind of arena (a plain arena, a
//! scope, a frame reached through `frame.arena()` and through `&frame`, a worker
//! arena, a level arena, an arena in debug mode and one with a small limit).
//!
//! After every operation the contents must be equal, and
//! - counted elements are dropped exactly once: the values alive are the ones the
//!   two lists hold;
//! - growth moves the buffer when something else was allocated from the arena after
//!   it (and always in debug mode), and growth in place takes exactly the new bytes;
//! - `shrink_to_fit`, `into_slice`, `into_str` and dropping the list hand the spare
//!   bytes back when the buffer is the arena's newest allocation, and only then;
//! - in the limited arena, growth goes through `try_reserve`, and a refused one
//!   leaves the list and the arena's stats as they were;
//! - the arena's stats agree with its offset, its high-water mark never drops (a
//!   scope's exit keeps the peak its body reached) and its limit is never passed.
//!
//! Each property also asserts, over all its cases, that growth happened in place,
//! that it moved past a newer allocation, and that the limit refused some growth:
//! the cases are random, and a run that never took those paths would prove nothing
//! about them.
//!
//! `PROPTEST_CASES` sets the cases per property (default [`DEFAULT_CASES`]).

use engine::{
    AllocError, Arena, ArenaConfig, ArenaStats, ArenaString, ArenaVec, FrameArenas, FrameConfig,
    LevelArena,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{TestCaseResult, TestRunner, contextualize_config};
use std::cell::Cell;
use std::fmt::{self, Write};
use std::mem;
use std::rc::Rc;

/// Cases per property when `PROPTEST_CASES` is not set. Each case runs its
/// operations in all eight arenas, so this stays small enough for a debug build
/// under AddressSanitizer.
const DEFAULT_CASES: u32 = 128;
/// Operations per case.
const MAX_OPS: usize = 40;

// ---- the arenas -------------------------------------------------------------------

/// The arena a sequence runs in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Home {
    Plain,
    Scope,
    /// A frame buffer reached through `frame.arena()`, which has the frame's lifetime.
    FrameArena,
    /// A frame buffer reached through `&frame` (`Frame`'s `AsRef<Arena>`).
    FrameRef,
    Worker,
    Level,
    Debug,
    Limited,
}

/// The arena's high-water mark at the end of a run.
type Peak = Result<usize, TestCaseError>;

/// Runs `run` once in each arena kind, building each fresh. `limit_bytes` is the
/// limited arena's limit.
fn in_every_arena(
    limit_bytes: usize,
    mut run: impl FnMut(Home, &dyn AsRef<Arena>) -> Peak,
) -> TestCaseResult {
    run(Home::Plain, &Arena::new("plain"))?;

    let mut outer = Arena::new("outer");
    outer.alloc(7u64);
    let entry = outer.offset();
    let peak_in_scope = outer.scope(|scope| run(Home::Scope, &*scope))?;
    prop_assert_eq!(outer.offset(), entry, "the scope freed what the list took");
    prop_assert!(
        outer.stats().high_water_bytes >= peak_in_scope,
        "the scope's exit kept the peak its body reached"
    );

    // A small budget, so that long lists overflow into more chunks.
    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: 4096,
        worker_count: 1,
        worker_budget_bytes: 4096,
        ..FrameConfig::default()
    });
    {
        let frame = frames.begin_frame();
        run(Home::FrameRef, &frame)?;
    }
    frames.begin_frame();
    {
        // Frame 2 reuses frame 0's buffer, reset: the state a game runs in.
        let frame = frames.begin_frame();
        run(Home::FrameArena, frame.arena())?;
        run(Home::Worker, &frame.workers().acquire())?;
    }

    let level = LevelArena::new("level");
    level.alloc(String::from("the level's own data"));
    run(Home::Level, &level)?;

    let debug = Arena::with_config(
        "debug",
        ArenaConfig {
            debug_blocks: true,
            ..ArenaConfig::default()
        },
    );
    run(Home::Debug, &debug)?;

    run(Home::Limited, &Arena::with_limit("limited", limit_bytes))?;
    Ok(())
}

fn limit_bytes() -> impl Strategy<Value = usize> {
    256usize..=2048
}

// ---- growth ------------------------------------------------------------------------

/// How often each path that only some cases take was taken, over a property's run.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    grew_in_place: u32,
    moved_past_newer: u32,
    refused_by_limit: u32,
}

impl Tally {
    fn add(cell: &Cell<Tally>, change: impl FnOnce(&mut Tally)) {
        let mut tally = cell.get();
        change(&mut tally);
        cell.set(tally);
    }

    fn assert_every_path_taken(self) {
        assert!(
            self.grew_in_place > 0 && self.moved_past_newer > 0 && self.refused_by_limit > 0,
            "some growth path was never taken, so the run says nothing about it: {self:?}"
        );
    }
}

/// Where a collection's buffer is and how big.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Buffer {
    addr: usize,
    capacity_bytes: usize,
}

impl Buffer {
    fn of<T>(items: &[T], capacity: usize) -> Buffer {
        Buffer {
            addr: items.as_ptr().addr(),
            capacity_bytes: capacity * mem::size_of::<T>(),
        }
    }
}

/// A buffer and the arena's offset before an operation.
struct Before {
    buffer: Buffer,
    offset: usize,
}

/// Follows one collection's buffer from operation to operation: whether it is the
/// arena's newest allocation decides whether growth may stay in place and whether
/// spare bytes go back.
struct Watch<'a> {
    arena: &'a Arena,
    home: Home,
    /// Something was allocated from the arena after the buffer's block was taken.
    covered: bool,
    /// The arena's high-water mark so far: handing bytes back must not lower it.
    peak_bytes: usize,
    /// The other allocations, each filled with its own byte, which the
    /// collection's growth must never overwrite.
    others: Vec<&'a [u8]>,
    tally: &'a Cell<Tally>,
}

impl<'a> Watch<'a> {
    fn new(arena: &'a Arena, home: Home, tally: &'a Cell<Tally>) -> Watch<'a> {
        Watch {
            arena,
            home,
            covered: false,
            peak_bytes: arena.stats().high_water_bytes,
            others: Vec::new(),
            tally,
        }
    }

    fn before(&self, buffer: Buffer) -> Before {
        Before {
            buffer,
            offset: self.arena.offset(),
        }
    }

    /// Whether the arena takes back bytes from the end of `buffer`.
    fn hands_back(&self, buffer: Buffer) -> bool {
        self.home != Home::Debug && !self.covered && buffer.capacity_bytes > 0
    }

    /// What the arena's offset must be after the collection gave up all but
    /// `kept_bytes` of `buffer`, from `offset`.
    fn offset_after_giving_up(&self, buffer: Buffer, kept_bytes: usize, offset: usize) -> usize {
        if self.hands_back(buffer) {
            offset - (buffer.capacity_bytes - kept_bytes)
        } else {
            offset
        }
    }

    /// What holds for the arena whatever the collection did: the other allocations
    /// keep their bytes, the stats agree with the offset, the peak never drops, the
    /// limit is never passed.
    fn check_arena(&mut self) -> TestCaseResult {
        for (index, other) in self.others.iter().enumerate() {
            prop_assert!(
                other.iter().all(|&byte| byte == fill_byte(index)),
                "{:?}: allocation {} was overwritten",
                self.home,
                index
            );
        }
        let stats = self.arena.stats();
        prop_assert_eq!(stats.used_bytes, self.arena.offset());
        prop_assert!(
            stats.high_water_bytes >= self.peak_bytes.max(stats.used_bytes),
            "{:?}: the high-water mark dropped to {} (peak {}, in use {})",
            self.home,
            stats.high_water_bytes,
            self.peak_bytes,
            stats.used_bytes
        );
        self.peak_bytes = stats.high_water_bytes;
        if let Some(limit) = stats.limit_bytes {
            prop_assert!(stats.committed_bytes <= limit);
        }
        Ok(())
    }

    fn after(&mut self, before: Before, now: Buffer) -> TestCaseResult {
        let grew =
            now.capacity_bytes > before.buffer.capacity_bytes && before.buffer.capacity_bytes > 0;
        let moved = now.addr != before.buffer.addr;
        if grew {
            if self.covered || self.home == Home::Debug {
                prop_assert!(
                    moved,
                    "{:?}: a buffer that is not the newest allocation grew without moving",
                    self.home
                );
            }
            if moved && self.covered {
                Tally::add(self.tally, |tally| tally.moved_past_newer += 1);
            }
            if !moved {
                prop_assert_eq!(
                    self.arena.offset() - before.offset,
                    now.capacity_bytes - before.buffer.capacity_bytes,
                    "{:?}: growth in place takes exactly the new bytes",
                    self.home
                );
                Tally::add(self.tally, |tally| tally.grew_in_place += 1);
            }
        }
        if moved && now.capacity_bytes > 0 {
            // A block just taken is the arena's newest allocation.
            self.covered = false;
        }
        self.check_arena()
    }

    /// Checks a refused `try_reserve`: it must be the limit, in the limited arena,
    /// and must have changed nothing.
    fn refused(
        &self,
        error: &AllocError,
        (buffer, stats): (Buffer, ArenaStats),
        now: Buffer,
    ) -> TestCaseResult {
        prop_assert_eq!(self.home, Home::Limited, "refused: {}", error);
        prop_assert!(
            matches!(error, AllocError::LimitExceeded { .. }),
            "{:?}",
            error
        );
        prop_assert_eq!(now, buffer, "a refused reserve left the buffer as it was");
        prop_assert_eq!(
            self.arena.stats(),
            stats,
            "a refused reserve left the arena as it was"
        );
        Tally::add(self.tally, |tally| tally.refused_by_limit += 1);
        Ok(())
    }

    /// Allocates `bytes` of something else from the arena, so that the next growth
    /// must move.
    fn interleave(&mut self, bytes: usize) -> TestCaseResult {
        let fill = fill_byte(self.others.len());
        match self.arena.try_alloc_slice_fill_copy(bytes, fill) {
            Ok(other) => {
                self.others.push(other);
                self.covered = true;
            }
            Err(error) => prop_assert_eq!(self.home, Home::Limited, "{}", error),
        }
        Ok(())
    }
}

/// The byte other allocation `index` is filled with: neighbours differ, so bytes
/// copied from one to another show.
fn fill_byte(index: usize) -> u8 {
    0xa5 ^ (index as u8)
}

// ---- ArenaVec ----------------------------------------------------------------------

/// An element type for the list property: `u32`, or one whose drops are counted.
trait Element: Clone + PartialEq + fmt::Debug {
    /// Whether each value holds a clone of the token, so that the token's count
    /// tells how many are alive.
    const COUNTED: bool;
    fn make(value: u32, token: &Rc<()>) -> Self;
}

impl Element for u32 {
    const COUNTED: bool = false;
    fn make(value: u32, _token: &Rc<()>) -> u32 {
        value
    }
}

/// A value whose destructor matters: dropping it twice or never shows in the count
/// of the token it holds.
#[derive(Debug, Clone)]
struct Counted {
    value: u32,
    _alive: Rc<()>,
}

impl PartialEq for Counted {
    fn eq(&self, other: &Counted) -> bool {
        self.value == other.value
    }
}

impl Element for Counted {
    const COUNTED: bool = true;
    fn make(value: u32, token: &Rc<()>) -> Counted {
        Counted {
            value,
            _alive: Rc::clone(token),
        }
    }
}

#[derive(Debug, Clone)]
enum VecOp {
    Push(u32),
    Pop,
    Insert(Index, u32),
    Remove(Index),
    SwapRemove(Index),
    /// To a length in `0..=len + 1` (past the end changes nothing).
    Truncate(Index),
    Clear,
    /// Keeps the element at visit `i` if `pattern[i % pattern.len()]`.
    Retain(Vec<bool>),
    /// Drains `start..end` (sorted), takes `take` items from the front or the back,
    /// then drops the iterator with the rest.
    Drain {
        start: Index,
        end: Index,
        take: Index,
        from_back: bool,
    },
    /// `extend` with an exact size hint, or through a filter (a lower bound of 0).
    Extend {
        values: Vec<u32>,
        exact: bool,
    },
    ExtendFromSlice(Vec<u32>),
    Reserve(usize),
    TryReserve(usize),
    /// `try_reserve(usize::MAX)`: a size overflow in every arena.
    TryReserveOverflow,
    ShrinkToFit,
    Resize(usize, u32),
    /// Allocates this many bytes of something else from the same arena.
    Interleave(usize),
}

impl VecOp {
    /// Elements of room the operation may need beyond `len`.
    fn growth(&self, len: usize) -> Option<usize> {
        match self {
            VecOp::Push(_) | VecOp::Insert(..) => Some(1),
            VecOp::Extend { values, .. } | VecOp::ExtendFromSlice(values) => Some(values.len()),
            VecOp::Reserve(additional) => Some(*additional),
            VecOp::Resize(new_len, _) => Some(new_len.saturating_sub(len)),
            _ => None,
        }
    }
}

fn values() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(any::<u32>(), 0..24)
}

fn vec_ops() -> impl Strategy<Value = Vec<VecOp>> {
    let op = prop_oneof![
        8 => any::<u32>().prop_map(VecOp::Push),
        2 => Just(VecOp::Pop),
        2 => (any::<Index>(), any::<u32>()).prop_map(|(at, value)| VecOp::Insert(at, value)),
        2 => any::<Index>().prop_map(VecOp::Remove),
        2 => any::<Index>().prop_map(VecOp::SwapRemove),
        1 => any::<Index>().prop_map(VecOp::Truncate),
        1 => Just(VecOp::Clear),
        1 => prop::collection::vec(any::<bool>(), 1..5).prop_map(VecOp::Retain),
        2 => (any::<Index>(), any::<Index>(), any::<Index>(), any::<bool>()).prop_map(
            |(start, end, take, from_back)| VecOp::Drain { start, end, take, from_back }
        ),
        3 => (values(), any::<bool>()).prop_map(|(values, exact)| VecOp::Extend { values, exact }),
        2 => values().prop_map(VecOp::ExtendFromSlice),
        1 => (0usize..64).prop_map(VecOp::Reserve),
        1 => (0usize..1024).prop_map(VecOp::TryReserve),
        1 => Just(VecOp::TryReserveOverflow),
        1 => Just(VecOp::ShrinkToFit),
        1 => (0usize..48, any::<u32>()).prop_map(|(len, value)| VecOp::Resize(len, value)),
        3 => (1usize..48).prop_map(VecOp::Interleave),
    ];
    prop::collection::vec(op, 0..=MAX_OPS)
}

/// Takes `count` items from the front or the back of a drain, then drops it.
fn take_from<T>(
    mut drain: impl DoubleEndedIterator<Item = T>,
    count: usize,
    from_back: bool,
) -> Vec<T> {
    if from_back {
        drain.by_ref().rev().take(count).collect()
    } else {
        drain.by_ref().take(count).collect()
    }
}

/// A list and the `Vec` it must equal.
struct VecCase<'a, E> {
    list: ArenaVec<'a, E>,
    model: Vec<E>,
    token: Rc<()>,
    watch: Watch<'a>,
}

impl<'a, E: Element> VecCase<'a, E> {
    fn new(home: Home, arena: &'a dyn AsRef<Arena>, tally: &'a Cell<Tally>) -> VecCase<'a, E> {
        VecCase {
            list: ArenaVec::new_in(arena),
            model: Vec::new(),
            token: Rc::new(()),
            watch: Watch::new(arena.as_ref(), home, tally),
        }
    }

    fn buffer(&self) -> Buffer {
        Buffer::of(&self.list, self.list.capacity())
    }

    fn check(&self) -> TestCaseResult {
        prop_assert_eq!(self.list.as_slice(), self.model.as_slice());
        prop_assert!(self.list.len() <= self.list.capacity());
        if E::COUNTED {
            prop_assert_eq!(
                Rc::strong_count(&self.token),
                1 + self.list.len() + self.model.len(),
                "every element dropped exactly once"
            );
        }
        Ok(())
    }

    /// `try_reserve(additional)`, and whether it gave the room. Only the limited
    /// arena may refuse.
    fn try_room(&mut self, additional: usize) -> Result<bool, TestCaseError> {
        let was = (self.buffer(), self.watch.arena.stats());
        match self.list.try_reserve(additional) {
            Ok(()) => {
                prop_assert!(self.list.capacity() - self.list.len() >= additional);
                Ok(true)
            }
            Err(error) => {
                self.watch.refused(&error, was, self.buffer())?;
                self.check()?;
                Ok(false)
            }
        }
    }

    fn run(&mut self, ops: &[VecOp]) -> TestCaseResult {
        for op in ops {
            let before = self.watch.before(self.buffer());
            let room = match op.growth(self.model.len()) {
                Some(additional) if self.watch.home == Home::Limited => {
                    self.try_room(additional)?
                }
                _ => true,
            };
            if room {
                self.apply(op)?;
            }
            self.watch.after(before, self.buffer())?;
            self.check()?;
        }
        Ok(())
    }

    fn apply(&mut self, op: &VecOp) -> TestCaseResult {
        let len = self.model.len();
        let token = &self.token;
        match op {
            VecOp::Push(value) => {
                self.list.push(E::make(*value, token));
                self.model.push(E::make(*value, token));
            }
            VecOp::Pop => prop_assert_eq!(self.list.pop(), self.model.pop()),
            VecOp::Insert(at, value) => {
                let index = at.index(len + 1);
                self.list.insert(index, E::make(*value, token));
                self.model.insert(index, E::make(*value, token));
            }
            VecOp::Remove(at) if len > 0 => {
                let index = at.index(len);
                prop_assert_eq!(self.list.remove(index), self.model.remove(index));
            }
            VecOp::SwapRemove(at) if len > 0 => {
                let index = at.index(len);
                prop_assert_eq!(self.list.swap_remove(index), self.model.swap_remove(index));
            }
            VecOp::Remove(_) | VecOp::SwapRemove(_) => {}
            VecOp::Truncate(keep) => {
                let keep = keep.index(len + 2);
                self.list.truncate(keep);
                self.model.truncate(keep);
            }
            VecOp::Clear => {
                self.list.clear();
                self.model.clear();
            }
            VecOp::Retain(pattern) => {
                let (mut visits, mut model_visits) = (0, 0);
                self.list.retain(|_| {
                    visits += 1;
                    pattern[(visits - 1) % pattern.len()]
                });
                self.model.retain(|_| {
                    model_visits += 1;
                    pattern[(model_visits - 1) % pattern.len()]
                });
                prop_assert_eq!(visits, model_visits, "retain visits each element once");
            }
            VecOp::Drain {
                start,
                end,
                take,
                from_back,
            } => {
                let (start, end) = (start.index(len + 1), end.index(len + 1));
                let range = start.min(end)..start.max(end);
                let count = take.index(range.len() + 1);
                let drained = take_from(self.list.drain(range.clone()), count, *from_back);
                let expected = take_from(self.model.drain(range), count, *from_back);
                prop_assert_eq!(drained, expected);
            }
            VecOp::Extend { values, exact } => {
                let make = |value: &u32| E::make(*value, token);
                if *exact {
                    self.list.extend(values.iter().map(make));
                    self.model.extend(values.iter().map(make));
                } else {
                    let kept = |value: &&u32| !value.is_multiple_of(4);
                    self.list.extend(values.iter().filter(kept).map(make));
                    self.model.extend(values.iter().filter(kept).map(make));
                }
            }
            VecOp::ExtendFromSlice(values) => {
                let items: Vec<E> = values.iter().map(|&value| E::make(value, token)).collect();
                self.list.extend_from_slice(&items);
                self.model.extend_from_slice(&items);
            }
            VecOp::Reserve(additional) => {
                self.list.reserve(*additional);
                prop_assert!(self.list.capacity() - len >= *additional);
            }
            VecOp::TryReserve(additional) => {
                self.try_room(*additional)?;
            }
            VecOp::TryReserveOverflow => {
                let (buffer, stats) = (self.buffer(), self.watch.arena.stats());
                let error = self.list.try_reserve(usize::MAX).unwrap_err();
                prop_assert!(
                    matches!(error, AllocError::SizeOverflow { .. }),
                    "{:?}",
                    error
                );
                prop_assert_eq!(self.buffer(), buffer);
                prop_assert_eq!(self.watch.arena.stats(), stats);
            }
            VecOp::ShrinkToFit => {
                let (buffer, offset) = (self.buffer(), self.watch.arena.offset());
                self.list.shrink_to_fit();
                self.model.shrink_to_fit();
                let kept_bytes = len * mem::size_of::<E>();
                prop_assert_eq!(
                    self.watch.arena.offset(),
                    self.watch
                        .offset_after_giving_up(buffer, kept_bytes, offset),
                    "{:?}: shrink_to_fit hands spare bytes back only from the top",
                    self.watch.home
                );
            }
            VecOp::Resize(new_len, value) => {
                self.list.resize(*new_len, E::make(*value, token));
                self.model.resize(*new_len, E::make(*value, token));
            }
            VecOp::Interleave(bytes) => self.watch.interleave(*bytes)?,
        }
        Ok(())
    }
}

impl VecCase<'_, u32> {
    /// Freezes the list: the slice holds the elements, the spare room goes back if
    /// the list is the newest allocation, and what is allocated next does not
    /// touch the slice.
    fn freeze(self) -> Peak {
        let VecCase {
            list,
            model,
            mut watch,
            ..
        } = self;
        let (buffer, offset) = (Buffer::of(&list, list.capacity()), watch.arena.offset());
        let frozen = list.into_slice();
        prop_assert_eq!(&*frozen, model.as_slice());
        prop_assert_eq!(
            watch.arena.offset(),
            watch.offset_after_giving_up(buffer, mem::size_of_val(frozen), offset)
        );
        watch.check_arena()?;
        if let Ok(next) = watch.arena.try_alloc_slice_fill_copy(64, u32::MAX) {
            prop_assert!(next.iter().all(|&word| word == u32::MAX));
        }
        prop_assert_eq!(&*frozen, model.as_slice());
        Ok(watch.peak_bytes)
    }
}

impl VecCase<'_, Counted> {
    /// Ends the list through `into_iter`, taking `take` elements: they are the
    /// first ones, the rest are dropped with the iterator, and the buffer goes back
    /// if it is the newest allocation.
    fn end(self, take: Index) -> Peak {
        let VecCase {
            list,
            model,
            token,
            mut watch,
        } = self;
        let (buffer, offset) = (Buffer::of(&list, list.capacity()), watch.arena.offset());
        let count = take.index(list.len() + 1);
        let taken: Vec<Counted> = list.into_iter().take(count).collect();
        prop_assert_eq!(taken.as_slice(), &model[..count]);
        prop_assert_eq!(Rc::strong_count(&token), 1 + count + model.len());
        prop_assert_eq!(
            watch.arena.offset(),
            watch.offset_after_giving_up(buffer, 0, offset),
            "{:?}: a dropped list hands its buffer back only from the top",
            watch.home
        );
        watch.check_arena()?;
        drop((taken, model));
        prop_assert_eq!(Rc::strong_count(&token), 1);
        Ok(watch.peak_bytes)
    }
}

// ---- ArenaString -------------------------------------------------------------------

#[derive(Debug, Clone)]
enum StrOp {
    Push(char),
    PushStr(String),
    Pop,
    /// At a character boundary chosen by the index.
    Insert(Index, char),
    InsertStr(Index, String),
    /// The character starting at a boundary chosen by the index.
    Remove(Index),
    /// To a character boundary, or one byte past the end (which changes nothing).
    Truncate(Index),
    Clear,
    /// Keeps the character at visit `i` if `pattern[i % pattern.len()]`.
    Retain(Vec<bool>),
    /// `write!` with a number, a quoted text and a padded character.
    Write {
        number: i64,
        text: String,
        ch: char,
    },
    ExtendChars(String),
    Reserve(usize),
    TryReserve(usize),
    TryReserveOverflow,
    Interleave(usize),
}

impl StrOp {
    fn formatted(number: i64, text: &str, ch: char) -> String {
        format!("{number}:{text:?}|{ch:>4}")
    }

    /// Bytes of room the operation may need.
    fn growth(&self) -> Option<usize> {
        match self {
            StrOp::Push(ch) | StrOp::Insert(_, ch) => Some(ch.len_utf8()),
            StrOp::PushStr(text) | StrOp::InsertStr(_, text) | StrOp::ExtendChars(text) => {
                Some(text.len())
            }
            StrOp::Write { number, text, ch } => Some(StrOp::formatted(*number, text, *ch).len()),
            StrOp::Reserve(additional) => Some(*additional),
            _ => None,
        }
    }
}

/// Mostly ASCII, with characters of two, three and four bytes and a combining mark.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range('a', 'z'),
        1 => Just(' '),
        3 => prop::sample::select(vec!['é', 'ñ', 'ö', '€', '✓', '日', '😀', '\u{301}']),
        1 => any::<char>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(text_char(), 0..12).prop_map(String::from_iter)
}

fn str_ops() -> impl Strategy<Value = Vec<StrOp>> {
    let op = prop_oneof![
        6 => text_char().prop_map(StrOp::Push),
        4 => text().prop_map(StrOp::PushStr),
        2 => Just(StrOp::Pop),
        2 => (any::<Index>(), text_char()).prop_map(|(at, ch)| StrOp::Insert(at, ch)),
        2 => (any::<Index>(), text()).prop_map(|(at, text)| StrOp::InsertStr(at, text)),
        2 => any::<Index>().prop_map(StrOp::Remove),
        1 => any::<Index>().prop_map(StrOp::Truncate),
        1 => Just(StrOp::Clear),
        1 => prop::collection::vec(any::<bool>(), 1..5).prop_map(StrOp::Retain),
        3 => (any::<i64>(), text(), text_char())
            .prop_map(|(number, text, ch)| StrOp::Write { number, text, ch }),
        1 => text().prop_map(StrOp::ExtendChars),
        1 => (0usize..64).prop_map(StrOp::Reserve),
        1 => (0usize..4096).prop_map(StrOp::TryReserve),
        1 => Just(StrOp::TryReserveOverflow),
        3 => (1usize..48).prop_map(StrOp::Interleave),
    ];
    prop::collection::vec(op, 0..=MAX_OPS)
}

/// The byte offset of character boundary `at` of `text`, among its characters'
/// starts and its end.
fn boundary(text: &str, at: &Index) -> usize {
    let nth = at.index(text.chars().count() + 1);
    text.char_indices()
        .map(|(start, _)| start)
        .chain([text.len()])
        .nth(nth)
        .expect("nth is at most the character count")
}

/// A string and the `String` it must equal.
struct StrCase<'a> {
    string: ArenaString<'a>,
    model: String,
    watch: Watch<'a>,
}

impl<'a> StrCase<'a> {
    fn new(home: Home, arena: &'a dyn AsRef<Arena>, tally: &'a Cell<Tally>) -> StrCase<'a> {
        StrCase {
            string: ArenaString::new_in(arena),
            model: String::new(),
            watch: Watch::new(arena.as_ref(), home, tally),
        }
    }

    fn buffer(&self) -> Buffer {
        Buffer::of(self.string.as_bytes(), self.string.capacity())
    }

    fn check(&self) -> TestCaseResult {
        prop_assert_eq!(self.string.as_str(), self.model.as_str());
        prop_assert!(self.string.len() <= self.string.capacity());
        Ok(())
    }

    /// As [`VecCase::try_room`], in bytes.
    fn try_room(&mut self, additional: usize) -> Result<bool, TestCaseError> {
        let was = (self.buffer(), self.watch.arena.stats());
        match self.string.try_reserve(additional) {
            Ok(()) => {
                prop_assert!(self.string.capacity() - self.string.len() >= additional);
                Ok(true)
            }
            Err(error) => {
                self.watch.refused(&error, was, self.buffer())?;
                self.check()?;
                Ok(false)
            }
        }
    }

    fn run(&mut self, ops: &[StrOp]) -> TestCaseResult {
        for op in ops {
            let before = self.watch.before(self.buffer());
            let room = match op.growth() {
                Some(additional) if self.watch.home == Home::Limited => {
                    self.try_room(additional)?
                }
                _ => true,
            };
            if room {
                self.apply(op)?;
            } else if let StrOp::Write { number, text, ch } = op {
                // One `write_str` the arena cannot hold fails and changes nothing.
                let stats = self.watch.arena.stats();
                let formatted = StrOp::formatted(*number, text, *ch);
                prop_assert!(self.string.write_str(&formatted).is_err());
                prop_assert_eq!(self.watch.arena.stats(), stats);
            }
            self.watch.after(before, self.buffer())?;
            self.check()?;
        }
        Ok(())
    }

    fn apply(&mut self, op: &StrOp) -> TestCaseResult {
        let len = self.model.len();
        match op {
            StrOp::Push(ch) => {
                self.string.push(*ch);
                self.model.push(*ch);
            }
            StrOp::PushStr(text) => {
                self.string.push_str(text);
                self.model.push_str(text);
            }
            StrOp::Pop => prop_assert_eq!(self.string.pop(), self.model.pop()),
            StrOp::Insert(at, ch) => {
                let index = boundary(&self.model, at);
                self.string.insert(index, *ch);
                self.model.insert(index, *ch);
            }
            StrOp::InsertStr(at, text) => {
                let index = boundary(&self.model, at);
                self.string.insert_str(index, text);
                self.model.insert_str(index, text);
            }
            StrOp::Remove(at) if len > 0 => {
                let (index, _) = self
                    .model
                    .char_indices()
                    .nth(at.index(self.model.chars().count()))
                    .expect("a character of a non-empty string");
                prop_assert_eq!(self.string.remove(index), self.model.remove(index));
            }
            StrOp::Remove(_) => {}
            StrOp::Truncate(at) => {
                let keep = if at.index(4) == 0 {
                    len + 1
                } else {
                    boundary(&self.model, at)
                };
                self.string.truncate(keep);
                self.model.truncate(keep);
            }
            StrOp::Clear => {
                self.string.clear();
                self.model.clear();
            }
            StrOp::Retain(pattern) => {
                let (mut visits, mut model_visits) = (0, 0);
                self.string.retain(|_| {
                    visits += 1;
                    pattern[(visits - 1) % pattern.len()]
                });
                self.model.retain(|_| {
                    model_visits += 1;
                    pattern[(model_visits - 1) % pattern.len()]
                });
                prop_assert_eq!(visits, model_visits, "retain visits each character once");
            }
            StrOp::Write { number, text, ch } => {
                let written = write!(self.string, "{number}:{text:?}|{ch:>4}");
                prop_assert!(written.is_ok(), "room was there");
                write!(self.model, "{number}:{text:?}|{ch:>4}").expect("a String takes any text");
            }
            StrOp::ExtendChars(text) => {
                self.string.extend(text.chars());
                self.model.push_str(text);
            }
            StrOp::Reserve(additional) => {
                self.string.reserve(*additional);
                prop_assert!(self.string.capacity() - len >= *additional);
            }
            StrOp::TryReserve(additional) => {
                self.try_room(*additional)?;
            }
            StrOp::TryReserveOverflow => {
                let (buffer, stats) = (self.buffer(), self.watch.arena.stats());
                let error = self.string.try_reserve(usize::MAX).unwrap_err();
                prop_assert!(
                    matches!(error, AllocError::SizeOverflow { .. }),
                    "{:?}",
                    error
                );
                prop_assert_eq!(self.buffer(), buffer);
                prop_assert_eq!(self.watch.arena.stats(), stats);
            }
            StrOp::Interleave(bytes) => self.watch.interleave(*bytes)?,
        }
        Ok(())
    }

    /// Freezes the string: as [`VecCase::freeze`].
    fn freeze(self) -> Peak {
        let StrCase {
            string,
            model,
            mut watch,
        } = self;
        let (buffer, offset) = (
            Buffer::of(string.as_bytes(), string.capacity()),
            watch.arena.offset(),
        );
        let frozen = string.into_str();
        prop_assert_eq!(&*frozen, model.as_str());
        prop_assert_eq!(
            watch.arena.offset(),
            watch.offset_after_giving_up(buffer, frozen.len(), offset)
        );
        watch.check_arena()?;
        if let Ok(next) = watch.arena.try_alloc_slice_fill_copy(64, 0xffu8) {
            prop_assert!(next.iter().all(|&byte| byte == 0xff));
        }
        prop_assert_eq!(&*frozen, model.as_str());
        Ok(watch.peak_bytes)
    }
}

// ---- the properties ------------------------------------------------------------------

/// Runs `test` on `strategy`'s cases as `proptest!` does (same configuration,
/// regressions file and failure report), so that the caller can check its tally
/// after the last case.
fn check_property<S: Strategy>(
    name: &'static str,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let mut config = contextualize_config(ProptestConfig::with_cases(cases));
    config.test_name = Some(name);
    config.source_file = Some(file!());
    let mut runner = TestRunner::new(config);
    if let Err(error) = runner.run(&strategy, test) {
        panic!("{error}\n{runner}");
    }
}

#[test]
fn arena_vec_of_u32_matches_vec_in_every_arena() {
    let tally = Cell::new(Tally::default());
    check_property(
        "arena_vec_of_u32_matches_vec_in_every_arena",
        (vec_ops(), limit_bytes()),
        |(ops, limit_bytes)| {
            in_every_arena(limit_bytes, |home, arena| {
                let mut case = VecCase::<u32>::new(home, arena, &tally);
                case.run(&ops)?;
                case.freeze()
            })
        },
    );
    tally.get().assert_every_path_taken();
}

#[test]
fn arena_vec_of_counted_values_drops_each_once_in_every_arena() {
    let tally = Cell::new(Tally::default());
    check_property(
        "arena_vec_of_counted_values_drops_each_once_in_every_arena",
        (vec_ops(), limit_bytes(), any::<Index>()),
        |(ops, limit_bytes, take)| {
            in_every_arena(limit_bytes, |home, arena| {
                let mut case = VecCase::<Counted>::new(home, arena, &tally);
                case.run(&ops)?;
                case.end(take)
            })
        },
    );
    tally.get().assert_every_path_taken();
}

#[test]
fn arena_string_matches_string_in_every_arena() {
    let tally = Cell::new(Tally::default());
    check_property(
        "arena_string_matches_string_in_every_arena",
        (str_ops(), limit_bytes()),
        |(ops, limit_bytes)| {
            in_every_arena(limit_bytes, |home, arena| {
                let mut case = StrCase::new(home, arena, &tally);
                case.run(&ops)?;
                case.freeze()
            })
        },
    );
    tally.get().assert_every_path_taken();
}
