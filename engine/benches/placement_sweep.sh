#!/usr/bin/env bash
# Runs the interleaved arena benchmark over many code layouts and memory placements,
# and prints the median and the 10th-90th percentile range of every figure.
#
# One build and one process give one placement of every contender's code and data,
# and on a modern core that alone can move a 1-3 ns loop by 10-20% (see
# engine/BENCHMARKS.md, "Placement"). So each of SEEDS builds links the benchmark
# with its functions in a different random order (lld's --shuffle-sections; only the
# benchmark is relinked), and each build runs PROCS times as a fresh process, which
# address-space randomisation places anew.
#
#   engine/benches/placement_sweep.sh [SEEDS] [PROCS]
#   GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432 engine/benches/placement_sweep.sh
#
# The second form puts the arenas' 1 MiB chunks in glibc's main heap instead of
# fresh mappings, as happens inside criterion's long-running process.
#
# Needs lld, which links Rust 1.90 and later on x86_64 Linux by default. The first run
# builds the dependencies once, into target/placement-sweep.
set -euo pipefail

seeds=${1:-20}
procs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/placement-sweep
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

cd "$root"
for seed in $(seq 1 "$seeds"); do
    CARGO_TARGET_DIR=$target cargo rustc --quiet -p engine --profile bench \
        --bench arena_interleaved -- -C "link-arg=-Wl,--shuffle-sections=.text.*=$seed"
    bench=$(ls -t "$target"/release/deps/arena_interleaved-* | grep -v '\.d$' | sed -n 1p)
    for _ in $(seq 1 "$procs"); do
        # Table rows: | workload | allocator | fastest round | median round |
        "$bench" --bench 3 | awk -F'|' '/^\| / && $4 ~ /[0-9]/ {
            gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3); gsub(/ /, "", $4)
            print $2 "|" $3 "|" $4
        }' >>"$raw"
    done
done

echo "$seeds layouts x $procs processes; ns per operation: median (p10-p90)"
echo
echo "| workload | allocator | median | p10-p90 |"
echo "|---|---|---:|---:|"
# Keep the benchmark's own row order: number each (workload, allocator) pair by
# first appearance, then sort each pair's figures.
awk -F'|' '!($1 FS $2 in first) { first[$1 FS $2] = ++n } { print first[$1 FS $2] "|" $0 }' "$raw" |
    sort -t'|' -k1,1n -k4,4g |
    awk -F'|' '
        function flush() {
            if (count == 0) return
            p10 = values[int(count * 0.1) + 1]
            p90 = values[int(count * 0.9) + 1 > count ? count : int(count * 0.9) + 1]
            median = count % 2 ? values[(count + 1) / 2] : (values[count / 2] + values[count / 2 + 1]) / 2
            printf "| %s | %s | %.3f | %.3f-%.3f |\n", workload, allocator, median, p10, p90
            count = 0
        }
        $1 != key { flush(); key = $1; workload = $2; allocator = $3 }
        { values[++count] = $4 }
        END { flush() }'
