#!/usr/bin/env bash
# The Python package: install it with `pip install ./py` (maturin as PEP 517 backend) into a
# virtual environment, check the type stubs against it with mypy.stubtest, and run pytest
# (the shared case corpus, errors, threads, the pure-Python oracle, the ASGI middleware).
# Also proves that `pip install ./py` works in a brand-new virtual environment.
#
# Usage: py/run-tests.sh [pytest args...]      (PYTHON=python3.X to choose the interpreter)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/py-venv"
PYTHON="${PYTHON:-python3}"
PIP_QUIET=(--quiet --disable-pip-version-check)

log() { printf '== py: %s\n' "$*"; }

# The tools venv is kept between runs and rebuilt when the pinned requirements change.
STAMP="$VENV/.requirements"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$HERE/requirements-test.txt" "$STAMP"; then
    log "creating $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install "${PIP_QUIET[@]}" -r "$HERE/requirements-test.txt"
    cp "$HERE/requirements-test.txt" "$STAMP"
fi

log "pip install ./py (maturin, release, abi3)"
"$VENV/bin/python" -m pip install "${PIP_QUIET[@]}" --force-reinstall --no-deps "$HERE"

log "pip install ./py in a brand-new virtual environment"
FRESH="$(mktemp -d "${TMPDIR:-/tmp}/corsmatch-fresh-venv.XXXXXX")"
trap 'rm -rf "$FRESH"' EXIT
"$PYTHON" -m venv "$FRESH"
"$FRESH/bin/python" -m pip install "${PIP_QUIET[@]}" "$HERE"
(cd "$FRESH" && "$FRESH/bin/python" - <<'PY'
import corsmatch
rules = corsmatch.RuleSet.from_xml(
    b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
    b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
r = rules.preflight("https://a.example", "GET")
assert (r.status, r.headers[0]) == (200, ("Access-Control-Allow-Origin", "*")), r
print("fresh venv: corsmatch", corsmatch.__version__, "imports and answers")
PY
)

# The CLI, for comparing to_dict() with `corsmatch eval` / `explain --json` output.
log "building the CLI for the cross-check"
(cd "$ROOT" && cargo build --quiet -p corsmatch-cli)
export CORSMATCH_CLI="$TARGET/debug/corsmatch"

# From a directory without a `corsmatch` folder, so that the installed package is tested;
# caches go under target/.
cd "$HERE/tests"
export MYPY_CACHE_DIR="$VENV/mypy-cache"
export PYTHONPYCACHEPREFIX="$VENV/pycache"
log "mypy.stubtest corsmatch; mypy --strict -p corsmatch"
"$VENV/bin/python" -m mypy.stubtest corsmatch
"$VENV/bin/python" -m mypy --strict --no-incremental -p corsmatch

log "pytest"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "py: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
