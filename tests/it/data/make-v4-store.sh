#!/bin/sh
# Writes tests/it/data/v4-store (a store in the schema-4 layout: packed
# entries, none compressed, with keys created, renamed, locked and deleted
# on it) and v4-store.dump (what that build listed of it: every View of
# every persona, as JSON, then every name resolved).
# Run once with a build of schema 4 (commit 932bba4); kept for the record.
# Usage: make-v4-store.sh IAMKEYS_BINARY
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$here/v4-store
rm -rf "$out"
export IAMKEYS_ARGON2=m=256,t=1,p=1
k() { "$bin" --data-dir "$out" "$@"; }
k seed "$here/../../../fixtures/test/service.yaml" >/dev/null
k --as child@alpha.test api-key-create shared-name -d "child's" >/dev/null
k --as grandchild@alpha.test api-key-create shared-name -d "grandchild's" >/dev/null
k --as admin@alpha.test service-api-key-create shared-name exporter -d "exporter's" >/dev/null
k --as grandchild@alpha.test api-key-update grandchild-key -n renamed-key >/dev/null
k --as owner@alpha.test api-key-delete bot-key -f >/dev/null
k --as owner@alpha.test api-key-lock owner-key -f >/dev/null
k --apikey iamk_TESTplain000jLHDddZzXURZBZsLPICzsGom1qdHcQ api-keys >/dev/null
people=$(grep -o 'email: [^ ]*' "$here/../../../fixtures/test/service.yaml" | cut -d' ' -f2)
{
  for who in $people; do
    for account in alpha beta gamma; do
      k --as "$who" --account "$account" views >/dev/null 2>&1 || continue
      for view in my users service-ids classic; do
        echo "## $who $account $view"
        set +e
        k --as "$who" --account "$account" api-keys --view "$view" --output json >/tmp/v4-out 2>/tmp/v4-err
        echo "exit $?"
        set -e
        cat /tmp/v4-out /tmp/v4-err
      done
    done
  done
} >"$here/v4-store.dump"
rm -f "$out/iamkeys.log" "$out/lock" /tmp/v4-out /tmp/v4-err
