#!/bin/sh
# Writes tests/it/data/v1-store (a store in the schema-1 record layout, with
# some activity on it) and v1-store.dump (what that build showed of it).
# Run once with a build of schema 1 (commit 85994d8); kept for the record.
# Usage: make-v1-store.sh IAMKEYS_BINARY
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$here/v1-store
rm -rf "$out"
export IAMKEYS_ARGON2=m=256,t=1,p=1
k() { "$bin" --data-dir "$out" "$@"; }
k seed "$here/../../../fixtures/test/service.yaml" >/dev/null
# Activity: two sign-ins, five wrong guesses, an edit, a setting.
k --apikey iamk_TESTplain000jLHDddZzXURZBZsLPICzsGom1qdHcQ api-keys >/dev/null
k --apikey iamk_TESTplain000jLHDddZzXURZBZsLPICzsGom1qdHcQ api-keys >/dev/null
wrong=$(python3 -c '
import zlib
b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
body = "iamk_TESTgrand000" + "W" * 24
n = zlib.crc32(body.encode())
s = ""
for _ in range(6):
    s = b62[n % 62] + s
    n //= 62
print(body + s)')
for _ in 1 2 3 4 5; do k --apikey "$wrong" api-keys >/dev/null 2>&1 || true; done
k --as owner@alpha.test api-key-update plain-key -d "edited before the upgrade" >/dev/null
k --as owner@beta.test account-settings --restrict-api-key-creation true >/dev/null

# The dump: what each owner sees, every key in full, every persona's views.
for who in owner@alpha.test owner@beta.test owner@gamma.test; do
  echo "## $who account-settings"
  k --as "$who" account-settings --output json
  for view in users service-ids classic; do
    echo "## $who api-keys --view $view"
    k --as "$who" api-keys --view "$view" --output json | tee /tmp/v1-list.json
    for id in $(jq -r '.apikeys[].id' /tmp/v1-list.json); do
      echo "## $who api-key $id"
      k --as "$who" api-key "$id" --output json
    done
  done
done
for who in $(grep -o 'email: [^ ]*' "$here/../../../fixtures/test/service.yaml" | cut -d' ' -f2); do
  echo "## $who views"
  k --as "$who" views --output json
done
rm -f "$out/iamkeys.log" /tmp/v1-list.json
