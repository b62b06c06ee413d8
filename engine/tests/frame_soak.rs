//! 10,000 frames of varying (bounded) size: once warm, the frame arenas (scratch
//! included) never grow again; trimming (on by default) may give back what the
//! first frames' growth over-reserved, once, and then they hold a constant amount
//! of memory.

use allocator_api2::vec::Vec as ArenaVec;
use engine::{FrameArenas, FrameConfig, FrameSlice};

const FRAMES: u64 = 10_000;
const WARM_UP: u64 = 100;
/// By then every arena has closed at least two trim windows after its growth
/// (`FrameConfig::trim_within_frames` is 240 by default).
const SETTLED: u64 = 1000;
const MAX_OBJECTS: usize = 3000;

/// A small deterministic generator (xorshift64*), so every run is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// Per-arena (committed bytes, chunk count, grow count).
fn memory(frames: &FrameArenas) -> Vec<(usize, usize, u64)> {
    frames
        .arenas()
        .map(|arena| {
            let stats = arena.stats();
            (stats.committed_bytes, stats.chunk_count, stats.grow_count)
        })
        .collect()
}

#[test]
fn committed_memory_stays_flat_over_10k_frames() {
    let mut frames = FrameArenas::new(FrameConfig {
        name: "soak",
        budget_bytes: 8 * 1024,
        worker_count: 2,
        worker_budget_bytes: 1024,
        scratch_capacity_bytes: 512,
        ..Default::default()
    });
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut kept: Option<(FrameSlice<u32>, u32)> = None;
    let mut warm: Option<Vec<(usize, usize, u64)>> = None;
    let mut settled: Option<Vec<(usize, usize, u64)>> = None;
    let mut committed_when_settled = 0;
    let mut largest_frame = 0;
    let mut smallest_frame = usize::MAX;

    for tick in 0..FRAMES {
        // The first frames on each buffer are the biggest this game ever makes;
        // after that, anything up to that size.
        let objects = if tick < 4 {
            MAX_OBJECTS
        } else {
            1 + rng.below(MAX_OBJECTS)
        };
        let frame = frames.begin_frame();
        let (culler, lighter) = (frame.workers().acquire(), frame.workers().acquire());
        if let Some((handle, seed)) = kept {
            let previous = frame.previous(handle).expect("last frame's data");
            assert_eq!(previous[0], seed, "frame {tick}");
            assert_eq!(
                previous[previous.len() - 1],
                seed + previous.len() as u32 - 1
            );
        }
        let seed = tick as u32 * 7;
        let ids = frame.alloc_slice_fill_with(objects, |i| seed + i as u32);
        let mut keys = ArenaVec::new_in(frame.arena());
        keys.extend(ids.iter().map(|&id| u64::from(id) << 8));
        keys.sort_unstable_by(|a, b| b.cmp(a));
        // Scratch as big as the frame's ids, nested in some frames (in all of the
        // first ones, the biggest).
        let nested = tick < 4 || rng.below(4) == 0;
        let odd_ids = frame.scratch(|tmp| {
            let mut odd = ArenaVec::new_in(&**tmp);
            odd.extend(ids.iter().copied().filter(|id| id % 2 == 1));
            let doubled = if nested {
                frame.scratch(|inner| {
                    let doubled = inner.alloc_slice_fill_with(odd.len(), |i| odd[i] * 2);
                    doubled.iter().filter(|&&id| id % 4 == 2).count()
                })
            } else {
                odd.len()
            };
            assert_eq!(doubled, odd.len());
            odd.len()
        });
        assert_eq!(odd_ids, ids.iter().filter(|&&id| id % 2 == 1).count());
        let transforms = frame.alloc_slice_fill_copy(objects / 4, [1.0f32; 16]);
        let name = frame.alloc_str(if objects % 2 == 0 {
            "even"
        } else {
            "odd frame"
        });
        let culled = culler.alloc_slice_fill_with(objects / 8, |i| i as u16);
        let lights = lighter.alloc_slice_fill_copy(1 + objects % 64, [0.5f32; 8]);
        assert_eq!(keys.len(), objects);
        assert_eq!((transforms.len(), culled.len()), (objects / 4, objects / 8));
        assert!(!name.is_empty() && !lights.is_empty());
        kept = Some((frame.keep(ids).unwrap(), seed));
        drop((keys, culler, lighter));

        let used = frames.stats().used_bytes;
        largest_frame = largest_frame.max(used);
        smallest_frame = smallest_frame.min(used);
        let memory_now = memory(&frames);
        if tick + 1 == WARM_UP {
            warm = Some(memory_now.clone());
        } else if let Some(warm) = &warm {
            for ((now, at_warm_up), arena) in memory_now.iter().zip(warm).zip(frames.arenas()) {
                assert_eq!(
                    now.2,
                    at_warm_up.2,
                    "frame {tick}: `{}` grew after warm-up",
                    arena.name()
                );
                assert!(
                    now.0 <= at_warm_up.0,
                    "frame {tick}: `{}` took memory after warm-up",
                    arena.name()
                );
            }
        }
        if tick + 1 == SETTLED {
            settled = Some(memory_now);
            committed_when_settled = frames.stats().committed_bytes;
        } else if let Some(settled) = &settled {
            assert_eq!(
                &memory_now, settled,
                "frame {tick}: the arenas changed after settling"
            );
            assert_eq!(frames.stats().committed_bytes, committed_when_settled);
        }
    }
    // The frames did vary, and went well past the starting budget.
    assert!(
        smallest_frame * 10 < largest_frame,
        "{smallest_frame}..{largest_frame}"
    );
    assert!(largest_frame > 8 * 1024);
    assert!(frames.last_overflow().1 > 0);
    let settled = settled.unwrap();
    // One chunk per frame buffer, sized to the frames' need.
    assert_eq!((settled[0].1, settled[1].1), (1, 1));
    for (arena, (committed, _, _)) in frames.arenas().zip(&settled) {
        let stats = arena.stats();
        assert!(
            stats.trim_count <= 1,
            "`{}` trimmed {} times",
            stats.name,
            stats.trim_count
        );
        if stats.trim_count == 0 {
            assert!(*committed >= stats.high_water_bytes);
        }
    }
}
