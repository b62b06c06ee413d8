//! Handing frame data to the next frame without unsafe code in the caller.

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// A handle to a slice kept in one frame, by [`Frame::keep`](crate::Frame::keep) or
/// a worker's [`WorkerArena::keep`](crate::WorkerArena::keep), for the next frame to
/// read (with [`Frame::previous`](crate::Frame::previous)): last frame's transforms
/// for interpolation, say. A worker's handle is also how its result reaches the rest
/// of its own frame ([`Frame::read`](crate::Frame::read),
/// [`Frame::concat`](crate::Frame::concat)). It is a plain `Copy` token; reading it
/// where its memory may be gone or still written gives `None` or an error, never
/// that memory.
///
/// ```
/// let mut frames = engine::FrameArenas::new(Default::default());
/// let kept = {
///     let frame = frames.begin_frame();
///     frame.keep(frame.alloc_slice_copy(&[1.0f32, 2.0])).unwrap()
/// };
/// assert_eq!((kept.frame_index(), kept.len()), (0, 2));
/// ```
pub struct FrameSlice<T> {
    owner: u64,
    frame_index: u64,
    origin: Origin,
    ptr: NonNull<T>,
    len: usize,
    _marker: PhantomData<fn() -> T>,
}

/// Where kept data lies: the frame buffer, or a lease of a worker arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Buffer,
    Worker {
        /// The worker slot's index in the pool.
        slot: usize,
        /// The lease on that slot that kept the data.
        lease: u64,
    },
}

// SAFETY: the handle itself is only an address and a length; the data can be reached
// only through a `Frame` (`previous`, `read`, `concat`), on the thread that owns the
// frame arenas, and then only as `&[T]`. Sending the token is like sending a `&[T]`,
// hence `T: Sync`.
unsafe impl<T: Sync> Send for FrameSlice<T> {}
// SAFETY: as above: sharing the token shares at most `&[T]`.
unsafe impl<T: Sync> Sync for FrameSlice<T> {}

impl<T> FrameSlice<T> {
    /// A handle to `data` in the frame buffer of frame `frame_index`.
    pub(crate) fn new(owner: u64, frame_index: u64, data: &[T]) -> FrameSlice<T> {
        FrameSlice {
            owner,
            frame_index,
            origin: Origin::Buffer,
            ptr: NonNull::from(data).cast(),
            len: data.len(),
            _marker: PhantomData,
        }
    }

    /// A handle to `data` in worker slot `slot`'s arena, kept by lease `lease`.
    pub(crate) fn from_worker(
        owner: u64,
        frame_index: u64,
        data: &[T],
        slot: usize,
        lease: u64,
    ) -> FrameSlice<T> {
        FrameSlice {
            origin: Origin::Worker { slot, lease },
            ..FrameSlice::new(owner, frame_index, data)
        }
    }

    pub(crate) fn owner(&self) -> u64 {
        self.owner
    }

    pub(crate) fn origin(&self) -> Origin {
        self.origin
    }

    /// The frame in which the data was kept.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// assert_eq!(frame.keep(frame.alloc_slice_copy(&[0u8])).unwrap().frame_index(), 0);
    /// ```
    #[must_use]
    pub fn frame_index(&self) -> u64 {
        self.frame_index
    }

    /// Number of elements.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// assert_eq!(frame.keep(frame.alloc_slice_copy(&[0u8; 5])).unwrap().len(), 5);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the slice is empty.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// assert!(frame.keep::<u32>(&[]).unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// # Safety
    /// - the slice this handle was made from is still allocated, unchanged, for `'a`
    /// - nothing writes it during `'a`
    pub(crate) unsafe fn as_slice<'a>(self) -> &'a [T] {
        // SAFETY: the caller guarantees the memory is live and not written for 'a;
        // `ptr` and `len` came from a valid `&[T]`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Clone for FrameSlice<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for FrameSlice<T> {}

impl<T> fmt::Debug for FrameSlice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameSlice")
            .field("frame_index", &self.frame_index)
            .field("len", &self.len)
            .finish()
    }
}
