"""Shared fixtures: the corpus and the CLI used for cross-checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> str:
    """The `corsmatch` binary: $CORSMATCH_CLI (run-tests.sh builds it), else built here."""
    path = os.environ.get("CORSMATCH_CLI")
    if not path:
        subprocess.run(["cargo", "build", "--quiet", "-p", "corsmatch-cli"], cwd=ROOT, check=True)
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        path = str(target / "debug" / "corsmatch")
    assert Path(path).is_file(), f"no CLI at {path}"
    return path
