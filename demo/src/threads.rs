//! The threads that build a frame: the render thread, and with `--threads N` a rayon
//! pool of `N - 1` more that it joins.
//!
//! The render thread is a member of the pool (rayon's `use_current_thread`), so a
//! parallel iterator started on it pushes its jobs onto its own queue and the other
//! threads steal them. A pool that a thread is not part of would be handed each
//! frame's work through rayon's shared injector queue, which allocates a block
//! every 63 jobs: the frame's building would then touch the heap now and then, and
//! the demo shows (and its tests check) that it never does.
//!
//! A thread can belong to one such pool for its whole life (rayon keeps the
//! membership), so the pool is made once per thread and size and shared by every
//! [`FrameThreads`] of that thread. Asking for another size on the same thread
//! (a test that tries several) gets a pool the thread is not part of: it works, and
//! its frames may allocate in rayon's queue.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

thread_local! {
    /// The pool this thread is a member of, and its size.
    static MEMBER_OF: RefCell<Option<(usize, Arc<rayon::ThreadPool>)>> = const { RefCell::new(None) };
}

/// How a frame is built: on the calling thread alone, or split over a rayon pool.
#[derive(Clone)]
pub struct FrameThreads {
    count: usize,
    pool: Option<Arc<rayon::ThreadPool>>,
    member: bool,
}

impl FrameThreads {
    /// `count` threads in all, the calling thread included (1: no pool).
    ///
    /// # Errors
    /// If rayon cannot start the pool's threads.
    ///
    /// ```
    /// let threads = demo::threads::FrameThreads::new(2).unwrap();
    /// assert_eq!(threads.count(), 2);
    /// assert!(threads.pool().is_some());
    /// assert!(demo::threads::FrameThreads::new(1).unwrap().pool().is_none());
    /// ```
    pub fn new(count: usize) -> Result<FrameThreads, rayon::ThreadPoolBuildError> {
        let count = count.max(1);
        if count == 1 {
            return Ok(FrameThreads {
                count,
                pool: None,
                member: false,
            });
        }
        let known = MEMBER_OF.with_borrow(|member_of| member_of.clone());
        let (pool, member) = match known {
            Some((size, pool)) if size == count => (pool, true),
            Some(_) => (Arc::new(Self::builder(count).build()?), false),
            None => {
                let pool = Arc::new(Self::builder(count).use_current_thread().build()?);
                MEMBER_OF
                    .with_borrow_mut(|member_of| *member_of = Some((count, Arc::clone(&pool))));
                (pool, true)
            }
        };
        Ok(FrameThreads {
            count,
            pool: Some(pool),
            member,
        })
    }

    fn builder(count: usize) -> rayon::ThreadPoolBuilder {
        rayon::ThreadPoolBuilder::new()
            .num_threads(count)
            .thread_name(|index| format!("frame-builder-{index}"))
    }

    /// Threads in all, the calling thread included.
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// The pool, if there is more than one thread.
    #[must_use]
    pub fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool.as_deref()
    }

    /// Whether the calling thread is a member of the pool, so that its frames never
    /// allocate in rayon's queue (see the [module docs](self)).
    #[must_use]
    pub fn joins_the_pool(&self) -> bool {
        self.member
    }
}

impl fmt::Debug for FrameThreads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameThreads")
            .field("count", &self.count)
            .field("joins_the_pool", &self.member)
            .finish()
    }
}
