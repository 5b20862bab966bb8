"""bench.py times what it claims to: its workload compiles, both sides agree on its request
and on requests aimed at every rule, and the script runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench.py"
sys.path.insert(0, str(BENCH.parent))

import bench  # noqa: E402


@pytest.mark.parametrize("n", [10, 100])
def test_workload_agrees_with_the_oracle(n: int) -> None:
    engine, oracle, origin = bench.setup(n)
    assert engine.rule_count == n
    r = engine.preflight(origin, bench.ACRM, bench.ACRH)
    assert (r.status, r.rule) == (200, n - 1)
    assert r.header("Access-Control-Allow-Headers") == "content-type, x-oss-meta-author, x-oss-meta-tag"
    for i in range(0, n, 7):
        for origin in (f"https://app{i}.example.org", f"https://x.t{i}.example.com", f"https://t{i}.example.com"):
            for acrm, acrh in (("PUT", bench.ACRH), ("DELETE", None), ("GET", "authorization, x-other")):
                assert engine.preflight(origin, acrm, acrh).to_dict() == oracle.preflight(origin, acrm, acrh)


def test_script_runs() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--rules", "10", "--repeat", "1"], capture_output=True,
                         text=True, check=True).stdout
    assert "speed-up" in out and "\n    10 " in out
