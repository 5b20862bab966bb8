#!/usr/bin/env bash
# The browser test: corsmatch serve against headless Chromium (e2e/cors.test.mjs); exits
# non-zero on any failure.
#  1. builds target/release/corsmatch;
#  2. installs Debian's chromium when /usr/bin/chromium is missing (apt-get, as root);
#  3. npm ci: playwright-core only, which downloads no browser;
#  4. node --test cors.test.mjs, which starts its servers on loopback ports it is given
#     (port 0) and stops them itself; `timeout` bounds the whole run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "== build corsmatch (release)"
cargo build --release -p corsmatch-cli
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export CORSMATCH_BIN="$target_dir/release/corsmatch"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    echo "== install chromium (Debian)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
"$CHROMIUM" --version

if ! command -v node >/dev/null 2>&1; then
    echo "== install node (Debian)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "e2e: playwright-core needs Node.js 20 or newer; this is $(node --version)" >&2
    exit 2
fi

echo "== npm ci (e2e)"
cd "$root/e2e"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

echo "== node --test cors.test.mjs"
timeout --kill-after=10 240 node --test --test-concurrency=1 cors.test.mjs
