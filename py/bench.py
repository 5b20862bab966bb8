#!/usr/bin/env python3
"""Per-call cost of a preflight from Python: corsmatch (the compiled Rust engine) against
tests/oracle.py (the same semantics in plain Python), at 10, 100 and 1,000 rules.

Workload: rule i allows the origins https://app{i}.example.org and https://*.t{i}.example.com,
the methods GET, PUT, POST, the headers content-type, x-oss-meta-*, authorization, exposes
ETag and x-oss-request-id, MaxAgeSeconds 600. The request is a preflight from
https://www.t{N-1}.example.com (so only the last rule matches), ACRM PUT, ACRH
"content-type,x-oss-meta-author,x-oss-meta-tag". Profile oss with the rule and document
limits raised to fit.

Usage: python py/bench.py [--rules 10,100,1000] [--repeat 7]
(run with target/py-venv/bin/python after py/run-tests.sh, or wherever corsmatch is installed)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import timeit
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

import corsmatch  # noqa: E402
from oracle import Oracle  # noqa: E402

ACRM = "PUT"
ACRH = "content-type,x-oss-meta-author,x-oss-meta-tag"


def workload(n: int) -> list[dict[str, Any]]:
    return [
        {
            "AllowedOrigin": [f"https://app{i}.example.org", f"https://*.t{i}.example.com"],
            "AllowedMethod": ["GET", "PUT", "POST"],
            "AllowedHeader": ["content-type", "x-oss-meta-*", "authorization"],
            "ExposeHeader": ["ETag", "x-oss-request-id"],
            "MaxAgeSeconds": 600,
        }
        for i in range(n)
    ]


def document(rules: list[dict[str, Any]]) -> str:
    parts = ["<CORSConfiguration>"]
    for r in rules:
        parts.append("<CORSRule>")
        for key in ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader"):
            parts.extend(f"<{key}>{v}</{key}>" for v in r[key])
        parts.append(f"<MaxAgeSeconds>{r['MaxAgeSeconds']}</MaxAgeSeconds></CORSRule>")
    parts.append("</CORSConfiguration>")
    return "".join(parts)


def setup(n: int) -> tuple[corsmatch.RuleSet, Oracle, str]:
    rules = workload(n)
    xml = document(rules)
    engine = corsmatch.RuleSet.from_xml(xml, "oss", max_rules=n, max_document_bytes=len(xml))
    return engine, Oracle(rules, "oss"), f"https://www.t{n - 1}.example.com"


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Seconds per call: the best of `repeat` runs of about 0.2 s each."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default="10,100,1000", help="comma-separated rule counts")
    parser.add_argument("--repeat", type=int, default=7, help="timing runs per figure (the best is kept)")
    args = parser.parse_args()
    counts = [int(n) for n in args.rules.split(",")]

    print(f"corsmatch {corsmatch.__version__}, Python {platform.python_version()} ({platform.python_implementation()}),"
          f" {platform.machine()}, {os.cpu_count()} CPUs, {cpu_model()}")
    print(f"request: OPTIONS from https://www.t{{N-1}}.example.com, ACRM {ACRM}, ACRH {ACRH!r}")
    print()
    header = f"{'rules':>6}  {'corsmatch':>12}  {'+ .headers':>12}  {'pure Python':>12}  {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for n in counts:
        engine, oracle, origin = setup(n)
        got = engine.preflight(origin, ACRM, ACRH).to_dict()
        want = oracle.preflight(origin, ACRM, ACRH)
        if got != want or got["status"] != 200 or got["rule"] != n - 1:
            print(f"engine and oracle disagree at {n} rules:\n{got}\n{want}", file=sys.stderr)
            return 1
        fast = per_call(lambda: engine.preflight(origin, ACRM, ACRH), args.repeat)
        with_headers = per_call(lambda: engine.preflight(origin, ACRM, ACRH).headers, args.repeat)
        slow = per_call(lambda: oracle.preflight(origin, ACRM, ACRH), args.repeat)
        print(f"{n:>6}  {fast * 1e9:>9.0f} ns  {with_headers * 1e9:>9.0f} ns  {slow * 1e9:>9.0f} ns  {slow / fast:>8.0f}x")
    print()
    print("corsmatch: RuleSet.preflight(origin, acrm, acrh) returning a Response;")
    print("+ .headers: the same call and building the list of (name, value) tuples;")
    print("pure Python: tests/oracle.py, the same semantics, returning the response as a dict.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
