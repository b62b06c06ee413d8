//! The single-thread contenders of `frame_building`, measured for a shared, noisy
//! machine: frame arenas, one arena, fresh `Vec`s and reused `Vec`s take turns
//! within each round, each timed for [`TIMINGS`] frames, and each figure is the
//! fastest of them (other processes only ever add time, so the fastest frame is the
//! closest to the uncontended cost). Criterion's run times each contender for
//! seconds, one after the other, so a change of load between them moves their
//! ratio; here it lands on all of them alike. The tenth-visible view moves every
//! frame, and all contenders see the same places (`frame_setup::PLACES`). Prints a
//! Markdown table, in µs per frame.
//!
//! `cargo bench -p demo --bench frame_building_interleaved [-- ROUNDS]`

#![forbid(unsafe_code)]

mod frame_setup;

use demo::lists::{InArena, OnHeap};
use demo::scene::build::{BuildInput, DrawLists};
use frame_setup::{VIEWS, build, frame_arenas, inputs, level, overlay_lines};
use std::hint::black_box;
use std::time::Instant;

/// Frames timed per contender per round; the fastest counts.
const TIMINGS: usize = 40;

/// The fastest of [`TIMINGS`] runs of `frame`, in µs. Run `i` gets the input at
/// `first + i`, round `inputs`, so that every contender sees the same views.
fn fastest<'a>(
    inputs: &'a [BuildInput<'a>],
    first: usize,
    mut frame: impl FnMut(&'a BuildInput<'a>),
) -> f64 {
    let mut best = f64::MAX;
    for run in 0..TIMINGS {
        let input = &inputs[(first + run) % inputs.len()];
        let start = Instant::now();
        frame(input);
        best = best.min(start.elapsed().as_secs_f64() * 1e6);
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; a plain number is the round count.
    let rounds = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(15);
    let level = level();
    let lines = overlay_lines();
    const CONTENDERS: [&str; 4] = ["frame_arenas", "one_arena", "fresh_vecs", "reused_vecs"];
    println!("{rounds} rounds, each the fastest of {TIMINGS} frames; µs per frame\n");
    println!("| view | contender | fastest round | median round | ÷ reused `Vec`s (median) |");
    println!("|---|---|---:|---:|---:|");
    for (view, scale) in VIEWS {
        let inputs = inputs(&level, scale);
        let mut frames = frame_arenas();
        let mut arena = engine::Arena::new("frame");
        let mut reused = DrawLists::new_in(&OnHeap);
        let mut times: [Vec<f64>; 4] = Default::default();
        for round in 0..rounds {
            let first = round * TIMINGS;
            times[0].push(fastest(&inputs, first, |input| {
                let frame = frames.begin_frame();
                let mut lists = DrawLists::new_in(&InArena(frame.arena()));
                build(&mut lists, input, &lines);
                black_box(lists.into_slices());
            }));
            times[1].push(fastest(&inputs, first, |input| {
                arena.reset();
                let mut lists = DrawLists::new_in(&InArena(&arena));
                build(&mut lists, input, &lines);
                black_box(lists.into_slices());
            }));
            times[2].push(fastest(&inputs, first, |input| {
                let mut lists = DrawLists::new_in(&OnHeap);
                build(&mut lists, input, &lines);
            }));
            times[3].push(fastest(&inputs, first, |input| {
                reused.clear();
                build(&mut reused, input, &lines);
            }));
        }
        for all in &mut times {
            all.sort_by(f64::total_cmp);
        }
        let median = |all: &[f64]| all[all.len() / 2];
        let reused_median = median(&times[3]);
        for (name, all) in CONTENDERS.iter().zip(&times) {
            println!(
                "| {view} | {name} | {:.1} | {:.1} | {:.3} |",
                all[0],
                median(all),
                median(all) / reused_median
            );
        }
    }
}
