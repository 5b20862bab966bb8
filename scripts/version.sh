#!/usr/bin/env bash
# Prints the workspace's version (the first `version = "..."` of the root Cargo.toml): the one
# place the shell scripts read it from.
set -euo pipefail
sed -n 's/^version = "\(.*\)"/\1/p' "$(cd "$(dirname "$0")/.." && pwd)/Cargo.toml" | head -n 1
