//! After one spike frame (6 MiB, then 64 MiB) with the default `FrameConfig`, the
//! frame arenas' committed bytes and the process's resident memory (`VmRSS` in
//! `/proc/self/status`) come back to within 1 MiB of where they were before the
//! spike, within `FrameConfig::trim_within_frames` frames.
//!
//! Resident memory is the whole process's, so this binary runs without the test
//! harness (`harness = false` in Cargo.toml): no other test allocates beside it.

mod common;
use common::{proc_status_kib, under_sanitizer};
use engine::{FrameArenas, FrameConfig};
use std::hint::black_box;

const MIB: usize = 1 << 20;
/// What an ordinary frame allocates (and writes, so its pages are resident).
const FRAME_BYTES: usize = MIB;
const SCRATCH_BYTES: usize = 64 << 10;
const TOLERANCE: usize = MIB;

/// One frame of `bytes` in the frame buffer, every byte written, plus scratch.
fn run_frame(frames: &mut FrameArenas, bytes: usize) -> u64 {
    let frame = frames.begin_frame();
    let data = frame.alloc_slice_fill_copy(bytes, frame.index() as u8);
    let scratch_sum = frame.scratch(|tmp| {
        let xs = tmp.alloc_slice_fill_copy(SCRATCH_BYTES, 1u8);
        xs.iter().map(|&x| u64::from(x)).sum::<u64>()
    });
    black_box(data[bytes / 2]) as u64 + scratch_sum
}

/// Resident bytes of this process (`VmRSS` in `/proc/self/status`).
fn resident_bytes() -> Option<usize> {
    proc_status_kib("VmRSS:").map(|kib| kib as usize * 1024)
}

struct SpikeResult {
    committed_before: usize,
    committed_peak: usize,
    committed_after: usize,
    committed_back_in: Option<u64>,
    resident_before: Option<usize>,
    resident_peak: Option<usize>,
    resident_after: Option<usize>,
    resident_back_in: Option<u64>,
}

fn spike(frames: &mut FrameArenas, spike_bytes: usize) -> SpikeResult {
    let within = u64::from(frames.config().trim_within_frames.expect("on by default"));
    let committed_before = frames.stats().committed_bytes;
    let resident_before = resident_bytes();
    black_box(run_frame(frames, spike_bytes));
    let (mut committed_peak, mut resident_peak) =
        (frames.stats().committed_bytes, resident_bytes());
    let (mut committed_back_in, mut resident_back_in) = (None, None);
    // The frame after the spike still holds it (it is the previous frame); count
    // frames from the spike's.
    for frames_after in 1..=within {
        black_box(run_frame(frames, FRAME_BYTES));
        let committed_now = frames.stats().committed_bytes;
        committed_peak = committed_peak.max(committed_now);
        if committed_back_in.is_none() && committed_now <= committed_before + TOLERANCE {
            committed_back_in = Some(frames_after);
        }
        let resident_now = resident_bytes();
        resident_peak = resident_peak.max(resident_now);
        if resident_back_in.is_none()
            && let (Some(now), Some(before)) = (resident_now, resident_before)
            && now <= before + TOLERANCE
        {
            resident_back_in = Some(frames_after);
        }
    }
    SpikeResult {
        committed_before,
        committed_peak,
        committed_after: frames.stats().committed_bytes,
        committed_back_in,
        resident_before,
        resident_peak,
        resident_after: resident_bytes(),
        resident_back_in,
    }
}

fn main() {
    let check_resident = cfg!(target_os = "linux") && !under_sanitizer();
    let mut frames = FrameArenas::new(FrameConfig::default());
    let within = frames.config().trim_within_frames.expect("on by default");
    // Warm: every arena made, every ordinary page touched.
    for _ in 0..2 * within {
        black_box(run_frame(&mut frames, FRAME_BYTES));
    }
    for spike_mib in [6, 64] {
        let result = spike(&mut frames, spike_mib * MIB);
        let mib = |bytes: usize| bytes as f64 / MIB as f64;
        let opt_mib =
            |bytes: Option<usize>| bytes.map_or("n/a".to_owned(), |b| format!("{:.2}", mib(b)));
        println!(
            "trim_spikes: one {spike_mib} MiB frame, default FrameConfig (trim within {within} frames): \
             committed {:.2} -> peak {:.2} -> {:.2} MiB, back within 1 MiB after {:?} frames; \
             resident {} -> peak {} -> {} MiB, back within 1 MiB after {:?} frames",
            mib(result.committed_before),
            mib(result.committed_peak),
            mib(result.committed_after),
            result.committed_back_in,
            opt_mib(result.resident_before),
            opt_mib(result.resident_peak),
            opt_mib(result.resident_after),
            result.resident_back_in,
        );
        // Chunked backing adds a chunk for the spike; reserved commits more of
        // the same range: either way, the frame's buffer holds the spike.
        assert!(
            result.committed_peak >= spike_mib * MIB
                && result.committed_peak > result.committed_before,
            "the spike made the arenas grow"
        );
        assert!(
            result.committed_back_in.is_some(),
            "committed bytes did not come back within {within} frames"
        );
        if check_resident {
            assert!(
                result.resident_peak.unwrap()
                    >= result.resident_before.unwrap() + spike_mib * MIB / 2,
                "the spike's pages were resident"
            );
            assert!(
                result.resident_back_in.is_some(),
                "resident memory did not come back within {within} frames"
            );
        }
    }
    if !check_resident {
        println!("trim_spikes: resident memory not checked (not Linux, or under a sanitizer)");
    }
    println!("test trim_spikes ... ok");
}
