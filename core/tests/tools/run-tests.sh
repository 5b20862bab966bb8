#!/usr/bin/env bash
# corsmatch's readers against the real tools: botocore's parameter validation and cfn-lint
# (installed from PyPI into target/formats-venv, pinned in requirements.txt).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
if [ -z "${CORSMATCH_BIN:-}" ]; then
    cargo build --release -p corsmatch-cli
    export CORSMATCH_BIN="$root/target/release/corsmatch"
fi
venv="$root/target/formats-venv"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"
want="$( { cat "$here/requirements.txt"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi
"$venv/bin/python" "$here/check_tools.py"
