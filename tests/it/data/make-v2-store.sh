#!/bin/sh
# Writes tests/it/data/v2-store (a store in the schema-2 layout, without the
# name index, with keys created, renamed and deleted on it and names shared
# by several keys) and v2-store.dump (how that build resolved every name,
# for every persona: exit code, then what it printed).
# Run once with a build of schema 2 (commit 5a31ab0); kept for the record.
# Usage: make-v2-store.sh IAMKEYS_BINARY
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$here/v2-store
rm -rf "$out"
export IAMKEYS_ARGON2=m=256,t=1,p=1
k() { "$bin" --data-dir "$out" "$@"; }
k seed "$here/../../../fixtures/test/service.yaml" >/dev/null
# One name on a key of three identities (two users, one service ID), a
# rename, a deletion, a sign-in.
k --as child@alpha.test api-key-create shared-name -d "child's" >/dev/null
k --as grandchild@alpha.test api-key-create shared-name -d "grandchild's" >/dev/null
k --as admin@alpha.test service-api-key-create shared-name exporter -d "exporter's" >/dev/null
k --as grandchild@alpha.test api-key-update grandchild-key -n renamed-key >/dev/null
k --as owner@alpha.test api-key-delete bot-key -f >/dev/null
k --as creator@beta.test api-key-create ci-deploy -d "a user key named like a service ID key" >/dev/null
k --apikey iamk_TESTplain000jLHDddZzXURZBZsLPICzsGom1qdHcQ api-keys >/dev/null

names="owner-key admin-key plain-key plain-locked plain-disabled plain-expired
export-key bot-key grandchild-key renamed-key shared-name beta-owner-key
ci-deploy Plain-Key no-such-key"
people=$(grep -o 'email: [^ ]*' "$here/../../../fixtures/test/service.yaml" | cut -d' ' -f2)
{
  for who in $people; do
    for account in alpha beta gamma; do
      k --as "$who" --account "$account" views >/dev/null 2>&1 || continue
      for name in $names "Classic infrastructure API key"; do
        echo "## $who $account $name"
        set +e
        k --as "$who" --account "$account" api-key "$name" --output json >/tmp/v2-out 2>/tmp/v2-err
        echo "exit $?"
        set -e
        cat /tmp/v2-out /tmp/v2-err
      done
    done
  done
} >"$here/v2-store.dump"
rm -f "$out/iamkeys.log" "$out/lock" /tmp/v2-out /tmp/v2-err
