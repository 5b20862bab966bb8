#!/usr/bin/env bash
# The real-client tests: `corsmatch serve` (both profiles) driven by boto3, oss2, the AWS CLI
# and requests, and its CORS answers compared with `corsmatch eval` (e2e/clients/*.py).
#  1. builds target/release/corsmatch (or uses $CORSMATCH_BIN when set);
#  2. creates target/clients-venv with the pinned requirements.txt, or reuses it when the
#     stamp file holds the same hash of requirements.txt (and of the interpreter);
#  3. runs pytest on every test file in e2e/clients, bounded by `timeout`.
# The servers pick their own loopback ports (--addr 127.0.0.1:0) and are stopped by the tests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ -z "${CORSMATCH_BIN:-}" ]; then
    echo "== build corsmatch (release)"
    cargo build --release -p corsmatch-cli
    target_dir="$(cargo metadata --format-version 1 --no-deps \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    export CORSMATCH_BIN="$target_dir/release/corsmatch"
fi
if [ ! -x "$CORSMATCH_BIN" ]; then
    echo "e2e/clients: no corsmatch binary at $CORSMATCH_BIN" >&2
    exit 2
fi

venv="$root/target/clients-venv"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"
want="$( { cat "$here/requirements.txt"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "== create $venv"
    rm -rf "$venv"
    mkdir -p "$root/target"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" > "$stamp"
else
    echo "== reuse $venv (requirements unchanged)"
fi

echo "== pytest e2e/clients"
export PYTHONDONTWRITEBYTECODE=1
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} -p no:cacheprovider"
set +e
timeout --kill-after=10 600 target/clients-venv/bin/python -m pytest -q e2e/clients
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "e2e/clients: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
