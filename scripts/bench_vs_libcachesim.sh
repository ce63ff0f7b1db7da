#!/usr/bin/env bash
# Replays one trace through every policy with edgetwin and with libCacheSim's `cachesim`, one process per run, and
# prints each one's miss ratio, throughput (as each tool reports it), wall time and peak memory (/usr/bin/time).
# Figures only: nothing is asserted. Needs a built cachesim (libCacheSim's CMake build; see its README) and GNU time.
#
#   scripts/bench_vs_libcachesim.sh TRACE.oracleGeneral.bin 100000 /path/to/libCacheSim/_build/bin/cachesim
set -euo pipefail
trace=$(realpath "${1:?trace file}"); objects=${2:?cache size in objects}; cachesim=$(realpath "${3:?cachesim path}")
cd "$(dirname "$0")/.."
cargo build --release -q -p edgetwin
edgetwin=$PWD/target/release/edgetwin
# cachesim writes a result file into the current folder: keep it out of the checkout.
cd "$(mktemp -d)"
printf '%-7s %-10s %-12s %-12s %s\n' policy tool miss_ratio M_req/s "wall s, peak KiB"
for p in lru lfu fifo sieve s3fifo arc belady; do
  out=$( { /usr/bin/time -f 'TIME %e %M' "$edgetwin" trace replay "$trace" --policy "$p" \
      --size "${objects}objects"; } 2>&1 )
  miss=$(grep -o 'miss ratio [0-9.]*' <<<"$out" | head -n 1 | cut -d' ' -f3)
  rate=$(grep -o '([0-9.]* M requests/s end to end' <<<"$out" | tr -d '(' | cut -d' ' -f1)
  printf '%-7s %-10s %-12s %-12s %s\n' "$p" edgetwin "$miss" "$rate" "$(grep TIME <<<"$out" | cut -d' ' -f2-)"
  out=$( { /usr/bin/time -f 'TIME %e %M' "$cachesim" "$trace" oracleGeneral "$p" "$objects" --ignore-obj-size 1; } 2>&1 )
  miss=$(grep -o 'miss ratio [0-9.]*' <<<"$out" | head -n 1 | cut -d' ' -f3)
  rate=$(grep -o 'throughput [0-9.]* MQPS' <<<"$out" | cut -d' ' -f2)
  printf '%-7s %-10s %-12s %-12s %s\n' "$p" libCacheSim "$miss" "$rate" "$(grep TIME <<<"$out" | cut -d' ' -f2-)"
done
