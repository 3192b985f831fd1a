#!/usr/bin/env bash
# Whole-process cost of `iamkeys --apikey KEY api-keys --view my` at 10 and
# 100,000 keys, measured interleaved (10, 100k, 10, 100k, …) so that a noisy
# machine disturbs both sides alike; prints the medians and their ratio.
#   bash benches/process_ratio.sh [RUNS]     (default 31)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-31}
cargo build --release --quiet
bin=target/release/iamkeys
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in 10 100000; do
  "$bin" gen-fixture --keys "$n" -o "$work/f$n.yaml"
  "$bin" --data-dir "$work/s$n" seed "$work/f$n.yaml" >/dev/null
done
key() { grep -m1 'apikey:' "$work/f$1.yaml" | awk '{print $2}'; }
k10=$(key 10); k100k=$(key 100000)
once() { # prints microseconds
  local s e
  s=$(date +%s%N)
  "$bin" --data-dir "$work/s$1" --apikey "$2" api-keys --view my >/dev/null
  e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
}
: >"$work/t10"; : >"$work/t100k"
for _ in $(seq 1 "$runs"); do
  once 10 "$k10" >>"$work/t10"
  once 100000 "$k100k" >>"$work/t100k"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m10=$(median "$work/t10"); m100k=$(median "$work/t100k")
awk -v a="$m10" -v b="$m100k" -v r="$runs" 'BEGIN {
  printf "api-keys --view my, %d runs each, interleaved: 10 keys %.1f ms, 100,000 keys %.1f ms, ratio %.2fx\n", r, a/1000, b/1000, b/a }'
