#!/usr/bin/env bash
# Whole-process cost of a command at 10 keys and at a large size (default
# 1,000,000), measured interleaved (10, large, 10, large, …) so that a noisy
# machine disturbs both sides alike; prints the medians and their ratio for
#   views (signed in with --apikey: one argon2 verification),
#   views (--as, no argon2 to hide behind),
#   api-keys --view my --output json (--as),
# each by the account owner, who holds 10 keys at either size.
#   bash benches/process_ratio.sh [RUNS] [KEYS]     (default 31 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-31}
large=${2:-1000000}
cargo build --release --quiet
bin=target/release/iamkeys
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in 10 "$large"; do
  "$bin" gen-fixture --keys "$n" -o "$work/f$n.yaml"
  "$bin" --data-dir "$work/s$n" seed "$work/f$n.yaml" >/dev/null
  # The first open after seeding writes sled's first snapshot: not measured.
  "$bin" --data-dir "$work/s$n" --as owner@scale.example views >/dev/null
done
# Every start of sled writes (it zeroes its free segments) and syncs the
# log: measured while the disk is still writing the new stores back, that
# sync waits for it. The measure is of a command, not of the seed.
sync
key() { grep -m1 'apikey:' "$work/f$1.yaml" | awk '{print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
once() { # prints microseconds
  local s e
  s=$(date +%s%N)
  "$bin" --data-dir "$work/s$1" "${@:2}" >/dev/null
  e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
}
measure() { # label, then the arguments after --data-dir
  local label=$1; shift
  : >"$work/a"; : >"$work/b"
  for _ in $(seq 1 "$runs"); do
    once 10 "$@" >>"$work/a"
    once "$large" "$@" >>"$work/b"
  done
  awk -v a="$(median <"$work/a")" -v b="$(median <"$work/b")" -v l="$label" -v n="$large" -v r="$runs" \
    'BEGIN { printf "%-40s 10 keys %6.1f ms  %d keys %6.1f ms  ratio %.2fx  (%d runs each)\n", l, a/1000, n, b/1000, b/a, r }'
}
k10=$(key 10); klarge=$(key "$large")
# Each side signs in with a key of its own store.
measure_keys() {
  : >"$work/a"; : >"$work/b"
  for _ in $(seq 1 "$runs"); do
    once 10 --apikey "$k10" views >>"$work/a"
    once "$large" --apikey "$klarge" views >>"$work/b"
  done
  awk -v a="$(median <"$work/a")" -v b="$(median <"$work/b")" -v n="$large" -v r="$runs" \
    'BEGIN { printf "%-40s 10 keys %6.1f ms  %d keys %6.1f ms  ratio %.2fx  (%d runs each)\n", "views --apikey", a/1000, n, b/1000, b/a, r }'
}
measure_keys
measure "views --as" --as owner@scale.example views
measure "api-keys --view my --output json --as" --as owner@scale.example api-keys --view my --output json
