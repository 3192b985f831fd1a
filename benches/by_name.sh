#!/usr/bin/env bash
# Naming a key by its name versus by its id, as whole processes, at KEYS
# keys in one account (default 100,000; up to 1,000,000):
#   api-key NAME            vs  api-key ID
#   api-key-lock NAME -f    vs  api-key-lock ID -f     (each followed by the
#   api-key-unlock NAME     vs  api-key-unlock ID       unlock, timed too)
# signed in with a key (one argon2id verification, production parameters),
# measured interleaved (name, id, name, id, …) so that a noisy machine
# disturbs both sides alike; prints the medians and their ratios, and how
# long `iamkeys check` takes on that store.
#   bash benches/by_name.sh [KEYS] [RUNS]     (defaults 100000 and 31)
# IAMKEYS_BIN=path uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
keys=${1:-100000}
runs=${2:-31}
if [ -z "${IAMKEYS_BIN:-}" ]; then
  cargo build --release --quiet
  bin=target/release/iamkeys
else
  bin=$IAMKEYS_BIN
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" gen-fixture --keys "$keys" -o "$work/f.yaml"
s=$(date +%s%N)
"$bin" --data-dir "$work/s" seed "$work/f.yaml" >/dev/null
e=$(date +%s%N)
seed_ms=$(( (e - s) / 1000000 ))
value=$(grep -m1 'apikey:' "$work/f.yaml" | awk '{print $2}')
# The owner's first key carries the value; the key named is a member's,
# half way through the store (every generated name is unique).
name=$(grep -m1 -o "[a-z]*-key-$(printf %06d $((keys / 2)))" "$work/f.yaml")
id=$("$bin" --data-dir "$work/s" --apikey "$value" api-key "$name" --output json |
  grep -o '"id": *"ApiKey-[^"]*"' | head -1 | sed 's/.*"\(ApiKey-[^"]*\)"/\1/')
[ -n "$id" ] || { echo "could not find the id of $name" >&2; exit 1; }
k() { "$bin" --data-dir "$work/s" --apikey "$value" "$@" >/dev/null; }
once() { # prints microseconds
  local s e
  s=$(date +%s%N)
  k "$@"
  e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
}
for f in get_name get_id lock_name lock_id unlock_name unlock_id; do : >"$work/$f"; done
k api-key "$name"; k api-key "$id" # warm the page cache
for _ in $(seq 1 "$runs"); do
  once api-key "$name" >>"$work/get_name"
  once api-key "$id" >>"$work/get_id"
  once api-key-lock "$name" -f >>"$work/lock_name"
  once api-key-unlock "$name" >>"$work/unlock_name"
  once api-key-lock "$id" -f >>"$work/lock_id"
  once api-key-unlock "$id" >>"$work/unlock_id"
done
s=$(date +%s%N)
"$bin" --data-dir "$work/s" check >/dev/null
e=$(date +%s%N)
check_ms=$(( (e - s) / 1000000 ))
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "$keys keys, $runs runs each, interleaved (medians):"
for op in get lock unlock; do
  a=$(median "$work/${op}_name"); b=$(median "$work/${op}_id")
  awk -v op="$op" -v a="$a" -v b="$b" 'BEGIN {
    printf "  %-7s by name %7.1f ms   by id %7.1f ms   ratio %.2fx\n", op, a/1000, b/1000, a/b }'
done
echo "  seed $seed_ms ms, check $check_ms ms"
