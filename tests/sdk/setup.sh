#!/usr/bin/env bash
# Makes tests/sdk/.venv with IBM's Python SDK at the pinned versions of
# requirements.txt. Idempotent: does nothing when the environment already
# holds exactly these requirements. Exit 1 with a clear message when python3
# or its venv module is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"

if ! command -v python3 >/dev/null 2>&1; then
    echo "tests/sdk/setup.sh: python3 is missing: install it (Debian: apt-get install python3 python3-venv) to run IBM's SDK against iamkeys serve" >&2
    exit 1
fi
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "tests/sdk/setup.sh: python3 has no venv module: install it (Debian: apt-get install python3-venv)" >&2
    exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
echo "$want" > "$stamp"
