#!/usr/bin/env bash
# The browser tests: corsmatch serve against headless Chromium; exits non-zero on any failure.
#  1. builds target/release/corsmatch;
#  2. installs Debian's chromium when /usr/bin/chromium is missing (apt-get, as root);
#  3. npm ci: playwright-core (which downloads no browser), the AWS SDK for JavaScript v3,
#     ali-oss and esbuild, at the versions of package-lock.json;
#  4. node --test cors.test.mjs: the browser's own CORS checks against serve;
#  5. sdk/sdk.test.mjs: each SDK's operations in the page, against serve with --credentials;
#  6. sdk/record.mjs --check: the SDKs' requests recorded again, compared with core/sdk/*.json
#     (the data `corsmatch doctor` replays); a difference fails with a diff;
#  7. sdk/matrix.test.mjs: for each classic mistake, the operations the doctor says fail are
#     the ones that fail in Chromium, and its fixed configuration makes them all work.
# Every test starts its servers on loopback ports chosen at run time and stops them itself;
# `timeout` bounds each step.
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

echo "== the SDKs in Chromium (sdk/sdk.test.mjs)"
timeout --kill-after=10 180 node --test --test-concurrency=1 sdk/sdk.test.mjs

echo "== the recorded SDK profiles still hold (sdk/record.mjs --check)"
timeout --kill-after=10 300 node sdk/record.mjs --check

echo "== the browser agrees with corsmatch doctor (sdk/matrix.test.mjs)"
timeout --kill-after=10 300 node --test sdk/matrix.test.mjs
