//! Memory that lives as long as a level: values of any type, destructors run on
//! unload, and growth after loading reported by call site.

mod drop_list;
mod growth;

pub use growth::{GrowthReport, GrowthSite};

use crate::arena::allocation_family;
use crate::{AllocError, Arena, ArenaConfig, ArenaStats};
use drop_list::DropList;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

/// An arena for everything a level owns: meshes, materials, object lists, GPU
/// handles. Unlike [`Arena`], it takes values that need `Drop`; their destructors run
/// in reverse order of allocation when the level [unloads](LevelArena::unload) (or
/// the arena is dropped), then the memory is reset in one step.
///
/// Loading ends with [`seal`](LevelArena::seal). What is allocated after that is
/// growth-after-load: the arena keeps it by call site so a level that keeps growing
/// during play is found at once ([`growth_report`](LevelArena::growth_report)).
///
/// # What it costs
/// An allocation is an arena bump, plus a 32-byte destructor record (in the arena)
/// for types that need `Drop`. After the seal, each allocation through the
/// `LevelArena` methods also updates its call site's total (a short linear search).
///
/// # Example
/// ```
/// use engine::LevelArena;
///
/// let mut level = LevelArena::new("level-1");
/// let names = level.alloc(vec![String::from("ship"), String::from("rock")]);
/// let heights = level.alloc_slice_copy(&[1.0f32, 2.5]);
/// assert_eq!((names.len(), heights[1]), (2, 2.5));
/// level.seal(); // loading is over
/// let report = level.unload(); // the Vec and its Strings are dropped here
/// assert_eq!(report.destructors_run, 1);
/// assert_eq!(level.stats().used_bytes, 0);
/// ```
pub struct LevelArena {
    arena: Arena,
    drops: DropList,
    /// Offset at which loading ended, once sealed.
    sealed_at: Cell<Option<usize>>,
    growth: RefCell<Vec<GrowthSite>>,
}

// SAFETY: the arena is `Send`; every value with a destructor is `Send` (the bound on
// `alloc`), so running those destructors on another thread is allowed; the raw
// pointers in the drop list point only into the arena, which moves with it.
unsafe impl Send for LevelArena {}

/// What [`LevelArena::unload`] freed.
///
/// ```
/// let mut level = engine::LevelArena::new("l");
/// level.alloc(String::from("x"));
/// let report = level.unload();
/// assert_eq!(report.destructors_run, 1);
/// assert!(report.bytes_freed >= std::mem::size_of::<String>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnloadReport {
    /// Values whose destructor ran.
    pub destructors_run: usize,
    /// Bytes that were in use.
    pub bytes_freed: usize,
    /// Bytes that had been allocated after the seal (0 if never sealed).
    pub growth_after_load_bytes: usize,
}

impl LevelArena {
    /// An empty level arena that grows as the level loads.
    ///
    /// ```
    /// let level = engine::LevelArena::new("level-1");
    /// assert_eq!(level.name(), "level-1");
    /// ```
    #[must_use]
    pub fn new(name: impl Into<Arc<str>>) -> LevelArena {
        LevelArena::with_config(name, ArenaConfig::default())
    }

    /// A level arena whose first chunk of `bytes` is allocated now.
    ///
    /// # Panics
    /// If the system allocator refuses `bytes`.
    ///
    /// ```
    /// let level = engine::LevelArena::with_capacity("level-1", 1 << 20);
    /// assert_eq!(level.stats().committed_bytes, 1 << 20);
    /// ```
    #[must_use]
    pub fn with_capacity(name: impl Into<Arc<str>>, bytes: usize) -> LevelArena {
        LevelArena::with_config(
            name,
            ArenaConfig {
                initial_capacity: bytes,
                ..ArenaConfig::default()
            },
        )
    }

    /// A level arena over an [`Arena`] built with `config` (a limit, say).
    ///
    /// # Panics
    /// As [`Arena::with_config`].
    ///
    /// ```
    /// use engine::{ArenaConfig, LevelArena};
    /// let level = LevelArena::with_config("l", ArenaConfig { limit_bytes: Some(1 << 16), ..Default::default() });
    /// assert!(level.try_alloc([0u8; 1 << 17]).is_err());
    /// ```
    #[must_use]
    pub fn with_config(name: impl Into<Arc<str>>, config: ArenaConfig) -> LevelArena {
        LevelArena {
            arena: Arena::with_config(name, config),
            drops: DropList::new(),
            sealed_at: Cell::new(None),
            growth: RefCell::new(Vec::new()),
        }
    }

    /// The arena's name.
    ///
    /// ```
    /// assert_eq!(engine::LevelArena::new("l").name(), "l");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        self.arena.name()
    }

    /// The underlying arena, for plain data that may hold references into the
    /// level (which [`alloc`](LevelArena::alloc) does not take). Allocations made
    /// through it after the seal count as untracked growth.
    ///
    /// ```
    /// let level = engine::LevelArena::new("l");
    /// let mesh = level.alloc_slice_copy(&[0.0f32; 9]);
    /// let view: &&[f32] = level.arena().alloc(&*mesh); // a reference into the level
    /// assert_eq!(view.len(), 9);
    /// ```
    #[must_use]
    pub fn arena(&self) -> &Arena {
        &self.arena
    }

    /// Marks the end of loading. Allocations after this are growth-after-load,
    /// recorded by call site. Sealing again moves the mark to the current offset
    /// and forgets the growth recorded so far.
    ///
    /// ```
    /// let level = engine::LevelArena::new("l");
    /// level.alloc(0u64);
    /// level.seal();
    /// assert!(level.is_sealed());
    /// assert_eq!(level.growth_report().total_bytes, 0);
    /// ```
    pub fn seal(&self) {
        self.sealed_at.set(Some(self.arena.offset()));
        self.growth.borrow_mut().clear();
    }

    /// Whether [`seal`](LevelArena::seal) was called since the last unload.
    ///
    /// ```
    /// assert!(!engine::LevelArena::new("l").is_sealed());
    /// ```
    #[must_use]
    pub fn is_sealed(&self) -> bool {
        self.sealed_at.get().is_some()
    }

    /// Growth after load, largest call site first; empty if not sealed. Allocates
    /// the report (call it when you look, not every frame).
    ///
    /// ```
    /// let level = engine::LevelArena::new("l");
    /// level.seal();
    /// level.alloc_str("late");
    /// let report = level.growth_report();
    /// assert_eq!((report.total_bytes, report.sites.len()), (4, 1));
    /// ```
    #[must_use]
    pub fn growth_report(&self) -> GrowthReport {
        let mut sites = self.growth.borrow().clone();
        sites.sort_by_key(|site| std::cmp::Reverse(site.bytes));
        GrowthReport {
            arena: self.arena.name_arc(),
            total_bytes: self.growth_bytes(),
            sites,
        }
    }

    /// Bytes used since the seal (0 if not sealed). Cheap: no allocation.
    ///
    /// ```
    /// let level = engine::LevelArena::new("l");
    /// level.seal();
    /// level.alloc(0u32);
    /// assert_eq!(level.growth_bytes(), 4);
    /// ```
    #[must_use]
    pub fn growth_bytes(&self) -> usize {
        self.sealed_at
            .get()
            .map_or(0, |sealed| self.arena.offset().saturating_sub(sealed))
    }

    /// Values whose destructor is still owed.
    ///
    /// ```
    /// let level = engine::LevelArena::new("l");
    /// level.alloc(String::new());
    /// level.alloc(1u32); // no destructor
    /// assert_eq!(level.pending_destructors(), 1);
    /// ```
    #[must_use]
    pub fn pending_destructors(&self) -> usize {
        self.drops.len()
    }

    /// The arena's stats.
    ///
    /// ```
    /// let level = engine::LevelArena::new("l");
    /// level.alloc(0u64);
    /// assert_eq!(level.stats().used_bytes, 8);
    /// ```
    #[must_use]
    pub fn stats(&self) -> ArenaStats {
        self.arena.stats()
    }

    /// Ends the level: runs every destructor in reverse order of allocation, then
    /// resets the memory in one step (keeping one chunk for the next level) and
    /// unseals. O(values with destructors).
    ///
    /// If a destructor panics, the remaining ones are skipped (their values leak),
    /// and the panic propagates after the memory is reset.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// struct Logged(u32, Arc<Mutex<Vec<u32>>>);
    /// impl Drop for Logged { fn drop(&mut self) { self.1.lock().unwrap().push(self.0) } }
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let mut level = engine::LevelArena::new("l");
    /// for id in 0..3 { level.alloc(Logged(id, log.clone())); }
    /// level.unload();
    /// assert_eq!(*log.lock().unwrap(), vec![2, 1, 0]); // newest first
    /// ```
    pub fn unload(&mut self) -> UnloadReport {
        struct ResetOnExit<'a>(&'a mut LevelArena);
        impl Drop for ResetOnExit<'_> {
            fn drop(&mut self) {
                self.0.arena.reset();
                self.0.sealed_at.set(None);
                self.0.growth.get_mut().clear();
            }
        }
        let report = UnloadReport {
            destructors_run: self.drops.len(),
            bytes_freed: self.arena.offset(),
            growth_after_load_bytes: self.growth_bytes(),
        };
        let guard = ResetOnExit(self);
        // SAFETY: `&mut self` proves no reference into the level is alive, and the
        // arena has not been reset or rewound since the values were recorded (only
        // `unload` resets it, and it empties the list first).
        unsafe { guard.0.drops.run_all() };
        drop(guard);
        report
    }

    /// Adds `bytes`, taken by one call at `location`, to that site's growth after
    /// the seal. The callers count only their own block: bytes that a fill closure
    /// allocated from the level meanwhile belong to the closure's own call site.
    fn note_growth(&self, location: &'static Location<'static>, bytes: usize) {
        if self.sealed_at.get().is_none() {
            return;
        }
        let mut growth = self.growth.borrow_mut();
        match growth.iter_mut().find(|site| site.location == location) {
            Some(site) => {
                site.bytes += bytes;
                site.allocations += 1;
            }
            None => growth.push(GrowthSite {
                location,
                bytes,
                allocations: 1,
            }),
        }
    }
}

allocation_family! {
    type: LevelArena,
    bound: [Send + 'static],
    new: "engine::LevelArena::new(\"level\")",
    fixed_16_bytes: "engine::LevelArena::with_config(\"level\", engine::ArenaConfig { initial_capacity: 16, growth: engine::Growth::Fixed, ..Default::default() })",
    destructors: "Values that need `Drop` are welcome: their destructors run, newest first, when the level [unloads](LevelArena::unload) or is dropped. `T: 'static` because a destructor may run long after any borrow it could hold; `T: Send` because the level may unload on another thread.",
}

// The primitives of the level's allocation family. Each records in the drop list
// what needs `Drop`, and after `seal` adds its bytes to its call site's growth.
#[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
impl LevelArena {
    #[track_caller]
    fn family_place<T: Send + 'static>(&self, make: impl FnOnce() -> T) -> &mut T {
        match self.family_try_place(make) {
            Ok(value) => value,
            Err(error) => panic!("{error}"),
        }
    }

    #[track_caller]
    fn family_try_place<T: Send + 'static>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Result<&mut T, AllocError> {
        let before = self.arena.offset();
        let (slot, reserved_end) = self.drops.alloc_with(&self.arena, make)?;
        self.note_growth(Location::caller(), reserved_end.saturating_sub(before));
        // SAFETY: `slot` is a fresh, initialized value in the arena, borrowed for the
        // lifetime of `&self`; `unload` and `drop` need `&mut self` / ownership.
        Ok(unsafe { &mut *slot.as_ptr() })
    }

    #[track_caller]
    fn family_place_slice<T: Send + 'static>(
        &self,
        len: usize,
        fill: impl FnMut(usize) -> T,
    ) -> &mut [T] {
        match self.family_try_place_slice(len, fill) {
            Ok(slice) => slice,
            Err(error) => panic!("{error}"),
        }
    }

    #[track_caller]
    fn family_try_place_slice<T: Send + 'static>(
        &self,
        len: usize,
        fill: impl FnMut(usize) -> T,
    ) -> Result<&mut [T], AllocError> {
        let before = self.arena.offset();
        let (slice, reserved_end) = self.drops.alloc_slice_with(&self.arena, len, fill)?;
        self.note_growth(Location::caller(), reserved_end.saturating_sub(before));
        // SAFETY: fresh, initialized values in the arena, borrowed for `&self`.
        Ok(unsafe { &mut *slice.as_ptr() })
    }

    #[track_caller]
    fn family_copy_slice<T: Copy>(&self, src: &[T]) -> &mut [T] {
        match self.family_try_copy_slice(src) {
            Ok(slice) => slice,
            Err(error) => panic!("{error}"),
        }
    }

    #[track_caller]
    fn family_try_copy_slice<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        let before = self.arena.offset();
        let slice = self.arena.try_alloc_slice_copy(src)?;
        self.note_growth(
            Location::caller(),
            self.arena.offset().saturating_sub(before),
        );
        Ok(slice)
    }
}

impl Drop for LevelArena {
    fn drop(&mut self) {
        // SAFETY: we own the arena and no borrow of it can outlive it; the values
        // recorded are all still allocated (see `unload`).
        unsafe { self.drops.run_all() };
    }
}

impl fmt::Debug for LevelArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LevelArena")
            .field("arena", &self.arena)
            .field("sealed", &self.is_sealed())
            .field("pending_destructors", &self.drops.len())
            .finish()
    }
}
