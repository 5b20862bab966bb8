#!/usr/bin/env python3
"""The Go middleware benchmark as a table: `make bench-go`.

Runs the compiled test binary (go test -c) ROUNDS times over BenchmarkMiddleware,
BenchmarkMiddlewareParallel and BenchmarkMiddlewareVaried. Within a round the three middlewares
of a row run one after the other, so they are compared side by side; the table gives, per row,
each middleware's median ns/op over the rounds and its allocations, and corsmatch's median
divided by the faster peer's (below 1: corsmatch is faster).

usage: benchtable.py TEST_BINARY [--rounds N] [--benchtime T]
"""
import argparse
import re
import statistics
import subprocess
import sys

LINE = re.compile(r"^Benchmark(\w+)/(\S+?)/(corsmatch|rs-cors|jub0bs-cors)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+\d+ B/op\s+(\d+) allocs/op)?")
PEERS = ("rs-cors", "jub0bs-cors")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--benchtime", default="0.3s")
    args = ap.parse_args()
    times, allocs, order = {}, {}, []
    for r in range(args.rounds):
        out = subprocess.run(
            [args.binary, "-test.run", "^$", "-test.bench", "^BenchmarkMiddleware", "-test.benchmem",
             "-test.benchtime", args.benchtime, "-test.count", "1"],
            check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = LINE.match(line)
            if not m:
                continue
            bench, row, who, ns, al = m.groups()
            key = ((bench.removeprefix("Middleware") or "serial").lower(), row)
            if key not in times:
                order.append(key)
                times[key] = {}
            times[key].setdefault(who, []).append(float(ns))
            allocs[(key, who)] = int(al or 0)
        print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    print(f"median ns/op of {args.rounds} rounds (allocs/op); ratio = corsmatch / the faster peer\n")
    print("| benchmark | request | corsmatch | rs/cors | jub0bs/cors | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    behind = 0
    for key in order:
        med = {who: statistics.median(v) for who, v in times[key].items()}
        cell = lambda who: f"{med[who]:,.0f} ({allocs[(key, who)]})" if who in med else "-"
        best_peer = min(med[p] for p in PEERS if p in med)
        ratio = med["corsmatch"] / best_peer
        fewest = min(allocs[(key, p)] for p in PEERS if p in med)
        mark = "" if ratio <= 1 and allocs[(key, "corsmatch")] <= fewest else " behind"
        behind += bool(mark)
        print(f"| {key[0]} | {key[1]} | {cell('corsmatch')} | {cell('rs-cors')} | {cell('jub0bs-cors')} | {ratio:.2f}{mark} |")
    print(f"\ncorsmatch is behind the faster peer (time or allocations) on {behind} of {len(order)} rows")


if __name__ == "__main__":
    main()
