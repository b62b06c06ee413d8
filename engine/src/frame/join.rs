//! Reading kept slices inside a frame, and joining them into one.
//!
//! A handle from a worker of this frame may be read once the worker's lease has
//! ended: every reference into its data borrowed the guard, so none is left to
//! write it, and the lease's `Release` store pairs with the `Acquire` load of the
//! check. A handle from the previous frame may always be read (as `previous`). A
//! handle from this frame's own buffer is refused: the `&'f mut` it was kept from
//! may still be alive, on any thread.

use super::Frame;
use super::handoff::{FrameSlice, Origin};
use crate::AllocError;
use std::fmt;

/// Why [`Frame::read`] (or [`Frame::concat`]) cannot read a [`FrameSlice`] now.
///
/// ```
/// use engine::{FrameArenas, FrameReadError};
///
/// let mut frames = FrameArenas::new(Default::default());
/// let frame = frames.begin_frame();
/// let worker = frame.workers().acquire();
/// let kept = worker.keep(worker.alloc_slice_copy(&[1u8])).unwrap();
/// assert_eq!(frame.read(kept), Err(FrameReadError::WorkerStillLent { worker: 0 }));
/// drop(worker);
/// assert_eq!(frame.read(kept), Ok(&[1u8][..]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameReadError {
    /// The handle was made by another [`FrameArenas`](crate::FrameArenas).
    OtherFrameArenas,
    /// The handle was kept in frame `kept_in`, two or more frames before this one
    /// (`frame`): its memory has been reset since.
    Expired {
        /// The frame that kept it.
        kept_in: u64,
        /// The frame that tried to read it.
        frame: u64,
    },
    /// The handle was kept from this frame's own buffer, where the slice it was
    /// made from may still be written: use that slice, or read the handle in the
    /// next frame.
    ThisFramesBuffer,
    /// The worker arena that kept it is still lent: its [`WorkerArena`](crate::WorkerArena)
    /// guard, which may still write the data, has not been dropped.
    WorkerStillLent {
        /// The worker's index ([`WorkerArena::index`](crate::WorkerArena::index)).
        worker: usize,
    },
}

/// Why [`Frame::try_concat`] failed: a part it cannot read, or no room for the
/// result. Nothing was allocated either way.
///
/// ```
/// use engine::{ConcatError, FrameArenas, FrameReadError};
///
/// let mut frames = FrameArenas::new(Default::default());
/// let frame = frames.begin_frame();
/// let own = frame.keep(frame.alloc_slice_copy(&[1u8])).unwrap();
/// let error = frame.try_concat(&[own]).unwrap_err();
/// assert_eq!(error, ConcatError::Part { index: 0, error: FrameReadError::ThisFramesBuffer });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConcatError {
    /// `parts[index]` cannot be read now.
    Part {
        /// Its position in `parts`.
        index: usize,
        /// Why.
        error: FrameReadError,
    },
    /// The frame buffer could not hold the result.
    Alloc(AllocError),
}

impl fmt::Display for FrameReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameReadError::OtherFrameArenas => {
                write!(f, "the slice was kept by another FrameArenas")
            }
            FrameReadError::Expired { kept_in, frame } => write!(
                f,
                "the slice was kept in frame {kept_in} and frame {frame} cannot read it: kept data lasts one frame more"
            ),
            FrameReadError::ThisFramesBuffer => write!(
                f,
                "the slice was kept from this frame's own buffer, where it may still be written: use the slice itself, or read the handle next frame"
            ),
            FrameReadError::WorkerStillLent { worker } => write!(
                f,
                "worker arena {worker} that kept the slice is still lent: drop its WorkerArena before reading what it kept"
            ),
        }
    }
}

impl std::error::Error for FrameReadError {}

impl fmt::Display for ConcatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConcatError::Part { index, error } => write!(f, "concat: part {index}: {error}"),
            ConcatError::Alloc(error) => write!(f, "concat: {error}"),
        }
    }
}

impl std::error::Error for ConcatError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConcatError::Part { error, .. } => Some(error),
            ConcatError::Alloc(error) => Some(error),
        }
    }
}

impl<'f> Frame<'f> {
    /// The data of a [`FrameSlice`] that this frame can read now: one a worker kept
    /// in this frame, once its [`WorkerArena`](crate::WorkerArena) has gone back to
    /// the pool, or any kept in the previous frame (as [`previous`](Frame::previous)).
    /// The data stays readable for the rest of the frame.
    ///
    /// # Errors
    /// A [`FrameReadError`] that says why not: the worker still holds its arena, the
    /// handle is too old, it was kept from this frame's own buffer, or by another
    /// `FrameArenas`.
    ///
    /// # What it costs
    /// A few compares, and for a worker's handle of this frame one atomic load
    /// (plus a walk of one link per 64 workers).
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let kept = {
    ///     let worker = frame.workers().acquire();
    ///     worker.keep(worker.alloc_str("built by a worker").as_bytes()).unwrap()
    /// };
    /// assert_eq!(frame.read(kept), Ok(&b"built by a worker"[..]));
    /// drop(frame);
    /// let frame = frames.begin_frame();
    /// assert!(frame.read(kept).is_ok()); // and in the next frame
    /// drop(frame);
    /// let frame = frames.begin_frame();
    /// assert!(frame.read(kept).is_err()); // not after
    /// ```
    pub fn read<T>(&self, kept: FrameSlice<T>) -> Result<&'f [T], FrameReadError> {
        self.check_readable(&kept)?;
        // SAFETY: `check_readable` found one of two cases.
        // - Kept in the previous frame: as in `previous`, its buffer or worker arena
        //   is reset only by a `begin_frame` that cannot run while `'f` lasts, and
        //   nothing writes it in this frame.
        // - Kept by a worker lease of this frame that has ended: `keep` checked the
        //   bytes were live in that worker's arena, which is reset only by a
        //   `begin_frame` (not while `'f` lasts), and no later lease writes below
        //   the hand-back floor that `keep` raised over them. Every reference the
        //   lease had into them borrowed its guard, which is gone, and the `Acquire`
        //   load that saw the lease end orders the lease's writes before this read.
        Ok(unsafe { kept.as_slice::<'f>() })
    }

    /// The data of `parts`, one after the other, copied into one slice in the
    /// frame buffer: a worker's results joined for the rest of the frame. Each part
    /// must be readable by [`read`](Frame::read): kept by a worker whose guard is
    /// dropped, or kept in the previous frame.
    ///
    /// # Panics
    /// If a part cannot be read (the message says which and why), or the frame
    /// buffer cannot hold the result. [`try_concat`](Frame::try_concat) returns
    /// those as errors.
    ///
    /// # What it costs
    /// A check per part, one allocation, and a copy of every element.
    ///
    /// ```
    /// use engine::{FrameArenas, FrameConfig};
    ///
    /// let mut frames = FrameArenas::new(FrameConfig { worker_count: 2, ..Default::default() });
    /// let frame = frames.begin_frame();
    /// let parts: Vec<_> = (0..2u32)
    ///     .map(|job| {
    ///         let worker = frame.workers().acquire();
    ///         worker.keep(worker.alloc_slice_fill_with(2, |i| job * 2 + i as u32)).unwrap()
    ///     })
    ///     .collect();
    /// let all: &mut [u32] = frame.concat(&parts);
    /// all.reverse();
    /// assert_eq!(all, [3, 2, 1, 0]);
    /// ```
    #[track_caller]
    pub fn concat<T: Copy>(&self, parts: &[FrameSlice<T>]) -> &'f mut [T] {
        match self.try_concat(parts) {
            Ok(all) => all,
            Err(error) => concat_failed(&error),
        }
    }

    /// [`concat`](Frame::concat), returning an error instead of panicking.
    ///
    /// # Errors
    /// [`ConcatError::Part`] for the first part that cannot be read,
    /// [`ConcatError::Alloc`] if the frame buffer cannot hold the result (the
    /// element count overflowing `usize` included). Nothing is allocated then.
    ///
    /// ```
    /// use engine::{ConcatError, FrameArenas, FrameReadError};
    ///
    /// let mut frames = FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let worker = frame.workers().acquire();
    /// let kept = worker.keep(worker.alloc_slice_copy(&[5u64])).unwrap();
    /// assert_eq!(
    ///     frame.try_concat(&[kept]),
    ///     Err(ConcatError::Part { index: 0, error: FrameReadError::WorkerStillLent { worker: 0 } })
    /// );
    /// drop(worker);
    /// assert_eq!(frame.try_concat(&[kept, kept]).unwrap(), &[5, 5]);
    /// ```
    pub fn try_concat<T: Copy>(&self, parts: &[FrameSlice<T>]) -> Result<&'f mut [T], ConcatError> {
        let mut total: usize = 0;
        for (index, part) in parts.iter().enumerate() {
            self.check_readable(part)
                .map_err(|error| ConcatError::Part { index, error })?;
            total = total.checked_add(part.len()).ok_or_else(|| {
                ConcatError::Alloc(self.arena.size_overflow(usize::MAX, size_of::<T>()))
            })?;
        }
        // SAFETY: every part passed `check_readable` above, so each may be read for
        // `'f` (see `read`); nothing between the checks and here ends a frame.
        let slices = parts.iter().map(|part| unsafe { part.as_slice::<'f>() });
        self.arena
            .try_alloc_concat(total, slices)
            .map_err(ConcatError::Alloc)
    }

    /// Whether `kept` may be read now, and if not why.
    fn check_readable<T>(&self, kept: &FrameSlice<T>) -> Result<(), FrameReadError> {
        if kept.owner() != self.owner {
            return Err(FrameReadError::OtherFrameArenas);
        }
        let kept_in = kept.frame_index();
        if kept_in + 1 == self.index {
            return Ok(());
        }
        if kept_in != self.index {
            return Err(FrameReadError::Expired {
                kept_in,
                frame: self.index,
            });
        }
        match kept.origin() {
            Origin::Buffer => Err(FrameReadError::ThisFramesBuffer),
            Origin::Worker { slot, lease } if self.workers.lease_ended(slot, lease) => Ok(()),
            Origin::Worker { slot, .. } => Err(FrameReadError::WorkerStillLent { worker: slot }),
        }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn concat_failed(error: &ConcatError) -> ! {
    panic!("{error}")
}
