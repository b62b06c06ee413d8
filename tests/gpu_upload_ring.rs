//! `engine::gpu::GpuUploadRing` on a real device (lavapipe in CI): alignment, data
//! arriving on the GPU, region reuse, growth and its consolidation, stats.

use engine::gpu::{GpuUploadRing, GpuUploadRingConfig, UploadSlice};

fn device() -> (wgpu::Device, wgpu::Queue) {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
    let adapter =
        pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
            .expect("a wgpu adapter (install mesa-vulkan-drivers for lavapipe)");
    pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: wgpu::Limits::downlevel_defaults().using_alignment(adapter.limits()),
        ..Default::default()
    }))
    .expect("a device")
}

fn ring(device: &wgpu::Device, initial_bytes_per_frame: u64) -> GpuUploadRing {
    GpuUploadRing::new(
        device,
        &GpuUploadRingConfig {
            label: "test ring",
            // COPY_SRC so the tests can read the GPU side back.
            usage: wgpu::BufferUsages::VERTEX
                | wgpu::BufferUsages::UNIFORM
                | wgpu::BufferUsages::COPY_SRC,
            frames_in_flight: 2,
            initial_bytes_per_frame,
            budget_bytes: Some(1 << 20),
            trim: None,
        },
    )
}

/// Copies each slice's GPU bytes into one readback buffer (after `encoder`'s work).
fn read_back(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    mut encoder: wgpu::CommandEncoder,
    slices: &[&UploadSlice],
) -> Vec<Vec<u8>> {
    let total: u64 = slices.iter().map(|s| s.size().next_multiple_of(4)).sum();
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: total,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut at = 0;
    for slice in slices {
        let size = slice.size().next_multiple_of(4);
        encoder.copy_buffer_to_buffer(slice.buffer(), slice.offset(), &readback, at, size);
        at += size;
    }
    queue.submit([encoder.finish()]);
    readback
        .slice(..)
        .map_async(wgpu::MapMode::Read, |result| result.expect("readback maps"));
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let bytes = readback.slice(..).get_mapped_range().unwrap().to_vec();
    let mut at = 0;
    slices
        .iter()
        .map(|slice| {
            let part = bytes[at..at + slice.size() as usize].to_vec();
            at += slice.size().next_multiple_of(4) as usize;
            part
        })
        .collect()
}

#[test]
fn offsets_follow_the_device_alignment() {
    let (device, _queue) = device();
    let mut ring = ring(&device, 64 * 1024);
    let uniform_alignment = u64::from(device.limits().min_uniform_buffer_offset_alignment);
    assert_eq!(ring.uniform_alignment(), uniform_alignment);
    ring.begin_frame();
    let a = ring.alloc_slice_copy(&[1u8, 2, 3], 1);
    let b = ring.alloc_uniform(&[0.5f32; 4]);
    let c = ring.alloc_slice_copy(&[7u16; 3], 8);
    let d = ring.alloc_uniform(&1u32);
    assert_eq!(a.offset() % 4, 0, "copy alignment is the minimum");
    assert_eq!(b.offset() % uniform_alignment, 0);
    assert_eq!(c.offset() % 8, 0);
    assert_eq!(d.offset() % uniform_alignment, 0);
    assert!(b.offset() >= a.offset() + a.size() && c.offset() >= b.offset() + b.size());
    let stride = ring.uniform_stride::<[f32; 8]>();
    assert_eq!(stride % uniform_alignment, 0);
    assert!(stride >= 32);
}

#[test]
fn data_reaches_the_gpu() {
    let (device, queue) = device();
    let mut ring = ring(&device, 64 * 1024);
    for frame in 0..5u32 {
        ring.begin_frame();
        let values: Vec<u32> = (0..1000).map(|i| i * 7 + frame).collect();
        let bulk = ring.alloc_slice_copy(&values, 4);
        let uniform = ring.alloc_uniform(&[frame as f32, 1.0, 2.0, 3.0]);
        let stride = ring.uniform_stride::<[u32; 4]>();
        let per_draw = ring.alloc_strided(&[[1u32, 2, 3, 4], [5, 6, 7, 8], [frame; 4]], stride);
        let mut encoder = device.create_command_encoder(&Default::default());
        ring.finish_frame(&mut encoder);
        let back = read_back(&device, &queue, encoder, &[&bulk, &uniform, &per_draw]);
        ring.frame_submitted(queue.submit([]));
        assert_eq!(back[0], bytemuck::cast_slice::<u32, u8>(&values));
        assert_eq!(back[1], bytemuck::bytes_of(&[frame as f32, 1.0, 2.0, 3.0]));
        let draw = |i: usize| &back[2][i * stride as usize..i * stride as usize + 16];
        assert_eq!(draw(0), bytemuck::bytes_of(&[1u32, 2, 3, 4]));
        assert_eq!(draw(2), bytemuck::bytes_of(&[frame; 4]));
    }
}

#[test]
fn regions_are_reused_without_growing() {
    let (device, queue) = device();
    let mut ring = ring(&device, 16 * 1024);
    let committed = ring.stats().committed_bytes;
    let mut buffers = Vec::new();
    for frame in 0..20u32 {
        ring.begin_frame();
        let slice = ring.alloc_slice_copy(&[frame; 1024], 4);
        buffers.push(slice.buffer_id());
        let mut encoder = device.create_command_encoder(&Default::default());
        ring.finish_frame(&mut encoder);
        ring.frame_submitted(queue.submit([encoder.finish()]));
    }
    let stats = ring.stats();
    assert_eq!(
        stats.committed_bytes, committed,
        "steady frames need no new buffers"
    );
    assert_eq!(
        (stats.grow_count, stats.chunk_count, stats.reset_count),
        (0, 2, 20)
    );
    assert_eq!(stats.used_bytes, 4096);
    let spans: Vec<(usize, usize)> = ring.chunk_spans().collect();
    assert_eq!(spans.len(), 2);
    assert_eq!(
        spans.iter().map(|(_, bytes)| bytes).sum::<usize>(),
        stats.committed_bytes
    );
    // Two regions, used in turn.
    assert_eq!(buffers[0], buffers[2]);
    assert_eq!(buffers[1], buffers[3]);
    assert_ne!(buffers[0], buffers[1]);
}

#[test]
fn a_big_frame_grows_then_the_ring_settles() {
    let (device, queue) = device();
    let mut ring = ring(&device, 1024);
    let big: Vec<u32> = (0..10_000).collect();
    let mut encoder = device.create_command_encoder(&Default::default());
    ring.begin_frame();
    let small = ring.alloc_slice_copy(&[1u32; 16], 4);
    let large = ring.alloc_slice_copy(&big, 4);
    assert_ne!(
        small.buffer_id(),
        large.buffer_id(),
        "the overflow went to a new chunk"
    );
    ring.finish_frame(&mut encoder);
    let back = read_back(&device, &queue, encoder, &[&small, &large]);
    assert_eq!(back[1], bytemuck::cast_slice::<u32, u8>(&big));
    ring.frame_submitted(queue.submit([]));
    let grown = ring.stats();
    assert!(grown.grow_count >= 1);
    assert!(grown.high_water_bytes >= 40_000);

    // The same load every frame: after one pass over the regions, nothing grows.
    for _ in 0..6 {
        ring.begin_frame();
        let _ = ring.alloc_slice_copy(&[1u32; 16], 4);
        let _ = ring.alloc_slice_copy(&big, 4);
        let mut encoder = device.create_command_encoder(&Default::default());
        ring.finish_frame(&mut encoder);
        ring.frame_submitted(queue.submit([encoder.finish()]));
    }
    let settled = ring.stats();
    let grow_count = settled.grow_count;
    for _ in 0..6 {
        ring.begin_frame();
        let _ = ring.alloc_slice_copy(&big, 4);
        let mut encoder = device.create_command_encoder(&Default::default());
        ring.finish_frame(&mut encoder);
        ring.frame_submitted(queue.submit([encoder.finish()]));
    }
    let stats = ring.stats();
    assert_eq!(stats.grow_count, grow_count);
    assert_eq!(
        stats.chunk_count, 2,
        "one chunk per region after consolidation"
    );
    assert_eq!(stats.committed_bytes, settled.committed_bytes);
}

#[test]
fn an_abandoned_frame_starts_over() {
    let (device, queue) = device();
    let mut ring = ring(&device, 4096);
    ring.begin_frame();
    let _ = ring.alloc_slice_copy(&[0u8; 1000], 4);
    ring.begin_frame(); // e.g. the window was minimized: nothing was submitted
    assert_eq!(ring.stats().used_bytes, 0);
    assert_eq!(ring.frame_count(), 1);
    let slice = ring.alloc_slice_copy(&[9u8; 8], 4);
    assert_eq!(slice.offset(), 0);
    let mut encoder = device.create_command_encoder(&Default::default());
    ring.finish_frame(&mut encoder);
    ring.frame_submitted(queue.submit([encoder.finish()]));
    // Finishing without submitting is survivable too.
    ring.begin_frame();
    let mut encoder = device.create_command_encoder(&Default::default());
    ring.finish_frame(&mut encoder);
    drop(encoder);
    for _ in 0..3 {
        ring.begin_frame();
        let mut encoder = device.create_command_encoder(&Default::default());
        ring.finish_frame(&mut encoder);
        ring.frame_submitted(queue.submit([encoder.finish()]));
    }
}

#[test]
#[should_panic(expected = "outside begin_frame")]
fn allocating_outside_a_frame_panics() {
    let (device, _queue) = device();
    let mut ring = ring(&device, 4096);
    let _ = ring.alloc_slice_copy(&[0u32; 4], 4);
}

/// Audit finding 2: `offset + size` wrapped in release builds, so a huge request was
/// accepted and later allocations overlapped earlier ones.
#[test]
fn a_size_that_would_wrap_the_offset_is_an_error_naming_it() {
    let (device, _queue) = device();
    let mut ring = ring(&device, 64 * 1024);
    ring.begin_frame();
    let first = ring.alloc_slice_copy(&[7u8; 16], 4);
    let before = ring.stats();
    let err = ring.try_push_aligned(u64::MAX - 15, 4).unwrap_err();
    assert!(
        matches!(err, engine::gpu::UploadError::TooLarge { size, .. } if size == u64::MAX - 15),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&(u64::MAX - 15).to_string()),
        "{err}"
    );
    assert_eq!(ring.stats(), before, "a refused request changes nothing");
    let bad_align = ring.try_push_aligned(16, 3).unwrap_err();
    assert!(matches!(
        bad_align,
        engine::gpu::UploadError::BadAlignment { align: 3, .. }
    ));
    // Later allocations still come after the first one.
    let next = ring.alloc_slice_copy(&[9u8; 16], 4);
    assert!(
        next.offset() >= first.offset() + first.size() || next.buffer_id() != first.buffer_id()
    );
}

#[test]
#[should_panic(expected = "is larger than a GPU buffer may be")]
fn push_aligned_panics_with_the_size_it_refused() {
    let (device, _queue) = device();
    let mut ring = ring(&device, 64 * 1024);
    ring.begin_frame();
    let _ = ring.push_aligned(u64::MAX, 4);
}

/// One frame of uploads: `words` `u32`s in one slice (none if 0).
fn upload_frame(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    ring: &mut GpuUploadRing,
    words: usize,
) {
    ring.begin_frame();
    if words > 0 {
        let data = vec![7u32; words];
        let _ = ring.alloc_slice_copy(&data, 4);
    }
    let mut encoder = device.create_command_encoder(&Default::default());
    ring.finish_frame(&mut encoder);
    ring.frame_submitted(queue.submit([encoder.finish()]));
}

fn trimming_ring(device: &wgpu::Device, within: u32) -> GpuUploadRing {
    GpuUploadRing::new(
        device,
        &GpuUploadRingConfig {
            label: "trimming ring",
            usage: wgpu::BufferUsages::VERTEX,
            frames_in_flight: 2,
            initial_bytes_per_frame: 4096,
            budget_bytes: None,
            trim: Some(engine::TrimPolicy {
                within_resets: within,
            }),
        },
    )
}

#[test]
fn a_spike_goes_back_within_the_trim_window_and_the_frames_in_flight() {
    let (device, queue) = device();
    for within in [2, 5, 8] {
        for quiet_frames_first in [0, 1, 3] {
            let mut ring = trimming_ring(&device, within);
            let usual = ring.stats().committed_bytes;
            for _ in 0..quiet_frames_first {
                upload_frame(&device, &queue, &mut ring, 100);
            }
            upload_frame(&device, &queue, &mut ring, 100_000); // a 400 KB spike
            let frames_after = u64::from(within) + 2; // + frames_in_flight
            let mut peak = ring.stats().committed_bytes;
            for _ in 0..frames_after {
                upload_frame(&device, &queue, &mut ring, 100);
                peak = peak.max(ring.stats().committed_bytes);
            }
            let stats = ring.stats();
            let case = format!("within {within}, spike after {quiet_frames_first} frames");
            assert!(
                peak >= 2 * 400_000,
                "{case}: the spike grew the ring ({peak})"
            );
            assert_eq!(stats.committed_bytes, usual, "{case}: back to the start");
            assert!(stats.trim_count >= 1, "{case}: {stats:?}");
            let trimmed = stats.trimmed_bytes as usize;
            assert!(trimmed >= peak - usual, "{case}: {trimmed} bytes trimmed");
        }
    }
}

#[test]
fn a_steady_load_never_trims() {
    let (device, queue) = device();
    let mut ring = trimming_ring(&device, 2);
    for _ in 0..4 {
        upload_frame(&device, &queue, &mut ring, 100_000);
    }
    let settled = ring.stats();
    for _ in 0..30 {
        upload_frame(&device, &queue, &mut ring, 100_000);
    }
    let stats = ring.stats();
    assert_eq!(
        (stats.trim_count, stats.grow_count),
        (0, settled.grow_count)
    );
    assert_eq!(stats.committed_bytes, settled.committed_bytes);
}

#[test]
fn without_a_policy_a_spike_stays() {
    let (device, queue) = device();
    let mut ring = ring(&device, 4096);
    upload_frame(&device, &queue, &mut ring, 100_000);
    for _ in 0..20 {
        upload_frame(&device, &queue, &mut ring, 100);
    }
    let stats = ring.stats();
    assert_eq!(stats.trim_count, 0);
    assert!(stats.committed_bytes >= 2 * 2 * 400_000, "{stats:?}");
}
