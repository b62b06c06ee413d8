//! [`ArenaString`] and [`format_in!`](crate::format_in): text in an arena.

use super::ArenaVec;
use crate::{AllocError, Arena};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::str;

/// Bytes [`ArenaString::from_fmt_in`] reserves before it formats: an overlay line.
const FORMAT_ROOM: usize = 64;

/// The writer behind [`ArenaString::from_fmt_in`]: `ArenaString`'s own `write_str`
/// turns a full arena into `fmt::Error`, which would lose the arena's error; this one
/// panics with it, so only an error from a `Display` implementation reaches
/// `from_fmt_in`'s `expect`. It owns the string, so that each write reaches the bytes
/// with no extra load, and its growth is out of line: `fmt::write` calls it once
/// for every piece of the text.
struct PanicOnFull<'a>(ArenaString<'a>);

impl fmt::Write for PanicOnFull<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if self.0.capacity() - self.0.len() < text.len() {
            self.0.grow_or_panic(text.len());
        }
        self.0.bytes.extend_from_reserved_copy(text.as_bytes());
        Ok(())
    }
}

/// A growable UTF-8 string whose bytes live in an arena: `String` for frame code.
///
/// It grows like [`ArenaVec`] (in place while it is the arena's newest allocation),
/// implements [`fmt::Write`] so `write!` formats straight into the arena, and derefs
/// to `str`. [`into_str`](ArenaString::into_str) freezes it into a `&str` that lives
/// as long as the arena borrow; [`format_in!`](crate::format_in) does all of that in
/// one call.
///
/// # Errors and panics
/// As [`ArenaVec`]: growth the arena cannot serve panics with its [`AllocError`];
/// [`try_reserve`](ArenaString::try_reserve) returns it instead.
///
/// # Example
/// ```
/// use engine::{Arena, ArenaString};
/// use std::fmt::Write;
///
/// let arena = Arena::new("text");
/// let mut line = ArenaString::new_in(&arena);
/// line.push_str("fps: ");
/// write!(line, "{}", 60).unwrap();
/// line.push('!');
/// assert_eq!(line, "fps: 60!");
/// let frozen: &str = line.into_str();
/// assert_eq!(frozen.len(), 8);
/// ```
///
/// A string cannot outlive the scope it was made in:
/// ```compile_fail
/// let mut arena = engine::Arena::new("a");
/// let escaped = arena.scope(|scope| engine::ArenaString::from_str_in("temp", scope));
/// ```
pub struct ArenaString<'a> {
    // Invariant: `bytes` is UTF-8 whenever safe code can observe it, including after
    // a panic in a caller's closure.
    bytes: ArenaVec<'a, u8>,
}

impl<'a> ArenaString<'a> {
    /// An empty string in `arena` (anything that lends an [`Arena`], as for
    /// [`ArenaVec::new_in`]). Allocates nothing until the first byte.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert!(engine::ArenaString::new_in(&arena).is_empty());
    /// ```
    #[must_use]
    pub fn new_in<A: AsRef<Arena> + ?Sized>(arena: &'a A) -> ArenaString<'a> {
        ArenaString {
            bytes: ArenaVec::new_in(arena),
        }
    }

    /// An empty string with room for `capacity` bytes, allocated now.
    ///
    /// # Panics
    /// If the arena cannot hold them.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert!(engine::ArenaString::with_capacity_in(32, &arena).capacity() >= 32);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn with_capacity_in<A: AsRef<Arena> + ?Sized>(
        capacity: usize,
        arena: &'a A,
    ) -> ArenaString<'a> {
        ArenaString {
            bytes: ArenaVec::with_capacity_in(capacity, arena),
        }
    }

    /// A copy of `text` in `arena`.
    ///
    /// # Panics
    /// If the arena cannot hold it.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert_eq!(engine::ArenaString::from_str_in("ship", &arena), "ship");
    /// ```
    #[must_use]
    #[track_caller]
    pub fn from_str_in<A: AsRef<Arena> + ?Sized>(text: &str, arena: &'a A) -> ArenaString<'a> {
        let mut string = ArenaString::with_capacity_in(text.len(), arena);
        string.push_str(text);
        string
    }

    /// The text of `args` (what `format_args!` makes) in `arena`; the call behind
    /// [`format_in!`](crate::format_in).
    ///
    /// # Panics
    /// If the arena cannot hold the text (with the arena's [`AllocError`]), or a
    /// `Display` implementation returns an error of its own (as `format!` does).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let text = engine::ArenaString::from_fmt_in(format_args!("{}-{}", 1, 2), &arena);
    /// assert_eq!(text, "1-2");
    /// ```
    #[must_use]
    #[track_caller]
    pub fn from_fmt_in<A: AsRef<Arena> + ?Sized>(
        args: fmt::Arguments<'_>,
        arena: &'a A,
    ) -> ArenaString<'a> {
        if let Some(literal) = args.as_str() {
            return ArenaString::from_str_in(literal, arena);
        }
        // Room for a typical line up front, so that the pieces land without a
        // growth each; `into_str` hands back what is left.
        // A limited arena may lack that room yet hold the text: then it grows as it
        // goes.
        let bytes = ArenaVec::try_with_capacity_in(FORMAT_ROOM, arena)
            .unwrap_or_else(|_| ArenaVec::new_in(arena));
        let mut writer = PanicOnFull(ArenaString { bytes });
        fmt::Write::write_fmt(&mut writer, args)
            .expect("a formatting trait implementation returned an error");
        writer.0
    }

    /// Grows the string to hold `additional` more bytes, at least doubling, or
    /// panics with the arena's error. Out of line, so that the writer's check for
    /// room stays a compare and a copy.
    #[cold]
    #[inline(never)]
    fn grow_or_panic(&mut self, additional: usize) {
        self.bytes.reserve(additional);
    }

    /// The arena the string lives in.
    ///
    /// ```
    /// let arena = engine::Arena::new("text");
    /// assert_eq!(engine::ArenaString::new_in(&arena).arena().name(), "text");
    /// ```
    #[must_use]
    pub fn arena(&self) -> &'a Arena {
        self.bytes.arena()
    }

    /// Length in bytes.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert_eq!(engine::ArenaString::from_str_in("é", &arena).len(), 2);
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the string is empty.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert!(!engine::ArenaString::from_str_in("x", &arena).is_empty());
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes the string holds before it must grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert!(engine::ArenaString::from_str_in("abc", &arena).capacity() >= 3);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// The text.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert_eq!(engine::ArenaString::from_str_in("abc", &arena).as_str(), "abc");
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn as_str(&self) -> &str {
        // SAFETY: the bytes are UTF-8 (the type's invariant).
        unsafe { str::from_utf8_unchecked(&self.bytes) }
    }

    /// The text, mutable (for `make_ascii_uppercase` and the like, which keep it
    /// UTF-8).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("abc", &arena);
    /// text.as_mut_str().make_ascii_uppercase();
    /// assert_eq!(text, "ABC");
    /// ```
    #[must_use]
    pub fn as_mut_str(&mut self) -> &mut str {
        // SAFETY: the bytes are UTF-8 (the invariant), and `&mut str` lets safe code
        // write only UTF-8 back.
        unsafe { str::from_utf8_unchecked_mut(&mut self.bytes) }
    }

    /// Appends `text`.
    ///
    /// # Panics
    /// If the string must grow and the arena cannot hold it.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::new_in(&arena);
    /// text.push_str("frame ");
    /// text.push_str("42");
    /// assert_eq!(text, "frame 42");
    /// ```
    #[inline]
    #[track_caller]
    pub fn push_str(&mut self, text: &str) {
        self.bytes.reserve(text.len());
        self.bytes.extend_from_reserved_copy(text.as_bytes());
    }

    /// Appends `ch`.
    ///
    /// # Panics
    /// As [`push_str`](ArenaString::push_str).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::new_in(&arena);
    /// text.push('ö');
    /// assert_eq!((text.as_str(), text.len()), ("ö", 2));
    /// ```
    #[inline]
    #[track_caller]
    pub fn push(&mut self, ch: char) {
        if ch.is_ascii() {
            self.bytes.push(ch as u8);
        } else {
            self.push_str(ch.encode_utf8(&mut [0; 4]));
        }
    }

    /// Removes and returns the last character.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("hé", &arena);
    /// assert_eq!((text.pop(), text.pop(), text.pop()), (Some('é'), Some('h'), None));
    /// ```
    pub fn pop(&mut self) -> Option<char> {
        let ch = self.as_str().chars().next_back()?;
        self.bytes.truncate(self.len() - ch.len_utf8());
        Some(ch)
    }

    /// Keeps the first `len` bytes; nothing if the string is not longer.
    ///
    /// # Panics
    /// If `len` is not on a character boundary.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("hello", &arena);
    /// text.truncate(2);
    /// assert_eq!(text, "he");
    /// ```
    #[track_caller]
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            assert!(
                self.as_str().is_char_boundary(len),
                "ArenaString::truncate: byte {len} is not a character boundary"
            );
            self.bytes.truncate(len);
        }
    }

    /// Empties the string, keeping its capacity.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("hello", &arena);
    /// text.clear();
    /// assert!(text.is_empty() && text.capacity() >= 5);
    /// ```
    pub fn clear(&mut self) {
        self.bytes.clear();
    }

    /// Inserts `ch` at byte `index`. O(len - index).
    ///
    /// # Panics
    /// If `index` is past the end or not on a character boundary, or as
    /// [`push_str`](ArenaString::push_str).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("ac", &arena);
    /// text.insert(1, 'b');
    /// assert_eq!(text, "abc");
    /// ```
    #[track_caller]
    pub fn insert(&mut self, index: usize, ch: char) {
        self.insert_str(index, ch.encode_utf8(&mut [0; 4]));
    }

    /// Inserts `text` at byte `index`. O(len - index + text.len()).
    ///
    /// # Panics
    /// As [`insert`](ArenaString::insert).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("fps", &arena);
    /// text.insert_str(0, "max ");
    /// assert_eq!(text, "max fps");
    /// ```
    #[track_caller]
    pub fn insert_str(&mut self, index: usize, text: &str) {
        assert!(
            self.as_str().is_char_boundary(index),
            "ArenaString::insert_str: byte {index} is not a character boundary (len {})",
            self.len()
        );
        self.bytes.extend_from_slice(text.as_bytes());
        // Whole characters move: `text` goes from the end to `index`, the tail after it.
        self.bytes[index..].rotate_right(text.len());
    }

    /// Removes and returns the character at byte `index`. O(len - index).
    ///
    /// # Panics
    /// If `index` is not the start of a character in the string.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("año", &arena);
    /// assert_eq!(text.remove(1), 'ñ');
    /// assert_eq!(text, "ao");
    /// ```
    #[track_caller]
    pub fn remove(&mut self, index: usize) -> char {
        let Some(ch) = self
            .as_str()
            .get(index..)
            .and_then(|rest| rest.chars().next())
        else {
            panic!(
                "ArenaString::remove: byte {index} does not start a character (len {})",
                self.len()
            )
        };
        self.bytes.drain(index..index + ch.len_utf8());
        ch
    }

    /// Keeps the characters for which `keep` returns true. O(len).
    ///
    /// If `keep` panics, the string keeps the characters accepted so far (it stays
    /// valid UTF-8).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::from_str_in("f p s", &arena);
    /// text.retain(|ch| ch != ' ');
    /// assert_eq!(text, "fps");
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(char) -> bool) {
        /// Cuts the string to the characters kept so far, also when `keep` panics:
        /// beyond `written` the bytes may be a mix of moved characters.
        struct Kept<'s, 'a> {
            bytes: &'s mut ArenaVec<'a, u8>,
            written: usize,
        }
        impl Drop for Kept<'_, '_> {
            fn drop(&mut self) {
                self.bytes.truncate(self.written);
            }
        }
        let len = self.len();
        let mut kept = Kept {
            bytes: &mut self.bytes,
            written: 0,
        };
        let mut read = 0;
        while read < len {
            // `read` starts a character of the unchanged part `read..len` (writes
            // land below `read`), and its lead byte gives its width.
            let width = match kept.bytes[read] {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let ch = str::from_utf8(&kept.bytes[read..read + width])
                .ok()
                .and_then(|text| text.chars().next())
                .expect("the unread part of an ArenaString is whole characters");
            if keep(ch) {
                let written = kept.written;
                kept.bytes.copy_within(read..read + width, written);
                kept.written += width;
            }
            read += width;
        }
    }

    /// Makes room for at least `additional` more bytes.
    ///
    /// # Panics
    /// If the arena cannot give the room.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::new_in(&arena);
    /// text.reserve(64);
    /// assert!(text.capacity() >= 64);
    /// ```
    #[track_caller]
    pub fn reserve(&mut self, additional: usize) {
        self.bytes.reserve(additional);
    }

    /// Fallible [`reserve`](ArenaString::reserve).
    ///
    /// # Errors
    /// As [`ArenaVec::try_reserve`]; the string and the arena are then unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 16);
    /// let mut text = engine::ArenaString::new_in(&arena);
    /// assert!(text.try_reserve(64).is_err());
    /// assert_eq!(text.capacity(), 0);
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        self.bytes.try_reserve(additional)
    }

    /// Hands unused capacity back to the arena if the string is its newest
    /// allocation (see [`ArenaVec::shrink_to_fit`]).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::with_capacity_in(64, &arena);
    /// text.push_str("hud");
    /// text.shrink_to_fit();
    /// assert_eq!(arena.stats().used_bytes, 3);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// Freezes the string into a `&mut str` that lives as long as the arena borrow;
    /// spare capacity is handed back if the string is the arena's newest allocation.
    /// Allocates nothing.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut text = engine::ArenaString::with_capacity_in(64, &arena);
    /// text.push_str("kept");
    /// let kept: &str = text.into_str();
    /// assert_eq!((kept, arena.stats().used_bytes), ("kept", 4));
    /// ```
    #[must_use]
    pub fn into_str(self) -> &'a mut str {
        let bytes = self.bytes.into_slice();
        // SAFETY: the bytes are UTF-8 (the type's invariant).
        unsafe { str::from_utf8_unchecked_mut(bytes) }
    }
}

impl fmt::Write for ArenaString<'_> {
    /// Appends `text`.
    ///
    /// # Errors
    /// [`fmt::Error`] when the arena cannot hold it (the string is then unchanged),
    /// so `write!` into a limited arena fails instead of panicking.
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.bytes.try_reserve(text.len()).map_err(|_| fmt::Error)?;
        self.bytes.extend_from_reserved_copy(text.as_bytes());
        Ok(())
    }

    fn write_char(&mut self, ch: char) -> fmt::Result {
        self.write_str(ch.encode_utf8(&mut [0; 4]))
    }
}

impl Deref for ArenaString<'_> {
    type Target = str;

    #[inline(always)]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl DerefMut for ArenaString<'_> {
    fn deref_mut(&mut self) -> &mut str {
        self.as_mut_str()
    }
}

impl fmt::Display for ArenaString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for ArenaString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Clone for ArenaString<'_> {
    /// A copy in the same arena.
    #[track_caller]
    fn clone(&self) -> Self {
        ArenaString::from_str_in(self, self.arena())
    }
}

impl Hash for ArenaString<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq for ArenaString<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ArenaString<'_> {}

impl PartialEq<str> for ArenaString<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ArenaString<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ArenaString<'_> {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<ArenaString<'_>> for str {
    fn eq(&self, other: &ArenaString<'_>) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<ArenaString<'_>> for &str {
    fn eq(&self, other: &ArenaString<'_>) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for ArenaString<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ArenaString<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl AsRef<str> for ArenaString<'_> {
    fn as_ref(&self) -> &str {
        self
    }
}

impl AsRef<[u8]> for ArenaString<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for ArenaString<'_> {
    fn borrow(&self) -> &str {
        self
    }
}

impl Extend<char> for ArenaString<'_> {
    #[track_caller]
    fn extend<I: IntoIterator<Item = char>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for ch in iter {
            self.push(ch);
        }
    }
}

impl<'x> Extend<&'x str> for ArenaString<'_> {
    #[track_caller]
    fn extend<I: IntoIterator<Item = &'x str>>(&mut self, iter: I) {
        for text in iter {
            self.push_str(text);
        }
    }
}

/// Formats into an arena, like `format!`, and returns the text as a `&str` that
/// lives as long as the arena borrow. No heap allocation: the text is written
/// straight into the arena and its spare room handed back.
///
/// The first argument is anything that lends an [`Arena`] (`&arena`, `&frame`,
/// `frame.arena()`, a scope, `&level`), the rest is `format!`'s. For a string to keep
/// appending to, use [`ArenaString`] with `write!`.
///
/// # Panics
/// If the arena cannot hold the text, or a `Display` implementation returns an
/// error of its own.
///
/// ```
/// use engine::{format_in, Arena};
///
/// let arena = Arena::new("overlay");
/// let fps = 60;
/// let label: &str = format_in!(&arena, "fps: {fps} ({:.1} ms)", 1000.0 / 60.0);
/// assert_eq!(label, "fps: 60 (16.7 ms)");
/// assert_eq!(arena.stats().used_bytes, label.len());
/// ```
#[macro_export]
macro_rules! format_in {
    ($arena:expr, $($arg:tt)+) => {
        &*$crate::ArenaString::from_fmt_in(::core::format_args!($($arg)+), $arena).into_str()
    };
}
