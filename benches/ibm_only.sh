#!/usr/bin/env bash
# What working without the /iamkeys/v1/ extensions costs: median wall time
# of a command through a full `iamkeys serve` and through `serve --ibm-only`
# (two copies of one store), interleaved, on the demo and at 10,000 keys.
#   bash benches/ibm_only.sh [RUNS]     (default 11)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
cargo build --release --quiet
bin=$PWD/target/release/iamkeys
export IAMKEYS_ARGON2="m=256,t=1,p=1"
work=$(mktemp -d)
# The servers' pids, in a file: `serve` runs in a command substitution.
stop() { [ -s "$work/pids" ] && xargs kill <"$work/pids" 2>/dev/null; : >"$work/pids"; }
trap 'stop; rm -rf "$work"' EXIT
serve() { # DIR [FLAG] -> URL
  "$bin" --data-dir "$1" serve --listen 127.0.0.1:0 ${2:-} >"$1.out" 2>/dev/null &
  echo $! >>"$work/pids"
  for _ in $(seq 600); do grep -q listening "$1.out" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/listening on //p' "$1.out"
}
ms() { local s e; s=$(date +%s%N); "$bin" "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
compare() { # LABEL KEY ARGS...
  local label=$1 key=$2 full=() bare=()
  shift 2
  for _ in $(seq "$runs"); do
    full+=("$(ms --endpoint "$u_full" --apikey "$key" "$@")")
    bare+=("$(ms --endpoint "$u_bare" --apikey "$key" "$@")")
  done
  printf '%-12s %-42s full %6s ms   ibm-only %6s ms\n' "$label" "$*" \
    "$(printf '%s\n' "${full[@]}" | median)" "$(printf '%s\n' "${bare[@]}" | median)"
}
# The demo, as Grace (an Administrator).
"$bin" --data-dir "$work/demo" seed >/dev/null
cp -r "$work/demo" "$work/demo-ibm"
u_full=$(serve "$work/demo"); u_bare=$(serve "$work/demo-ibm" --ibm-only)
grace=iamk_DEMOgrace0002XIYfkq7AFQsnFA8ym9eNDZF3hxGIb
for cmd in "views" "api-keys" "api-keys --view users" "api-key grace-cli"; do
  # shellcheck disable=SC2086
  compare demo "$grace" $cmd
done
stop
# 10,000 user keys and 100 service ID keys, as the owner.
"$bin" gen-fixture --keys 10000 --users 10 --service-keys 100 -o "$work/big.yaml"
"$bin" --data-dir "$work/big" seed "$work/big.yaml" >/dev/null
cp -r "$work/big" "$work/big-ibm"
u_full=$(serve "$work/big"); u_bare=$(serve "$work/big-ibm" --ibm-only)
owner=$(grep -m1 -o 'iamk_[A-Za-z0-9]*' "$work/big.yaml")
for cmd in "views" "api-keys" "api-keys --view users --limit 20" "api-keys --view users --output json"; do
  # shellcheck disable=SC2086
  compare "10k keys" "$owner" $cmd
done
