"""One RuleSet evaluated by many threads at once gives every thread the right answers."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator
from typing import Any, Optional

import pytest

from corsmatch import RuleSet
from oracle import Oracle

THREADS = 8
ROUNDS = 3


def workload(n: int) -> list[dict[str, Any]]:
    return [
        {
            "AllowedOrigin": [f"https://app{i}.example.org", f"https://*.t{i}.example.com"],
            "AllowedMethod": ["GET", "PUT", "POST"] if i % 3 else ["DELETE"],
            "AllowedHeader": ["content-type", "x-oss-meta-*", "authorization"],
            "ExposeHeader": ["ETag", "x-oss-request-id"],
            "MaxAgeSeconds": 600 + i,
        }
        for i in range(n)
    ]


Request = tuple[str, Optional[str], Optional[str], Optional[str], str, Optional[str]]


def requests(n: int, count: int, seed: int) -> list[Request]:
    rnd = random.Random(seed)
    big = ", ".join(f"x-oss-meta-{k}" for k in range(2000))  # over the GIL-release threshold
    out: list[Request] = []
    for _ in range(count):
        i = rnd.randrange(n + 2)
        origin = rnd.choice(
            [f"https://app{i}.example.org", f"https://www.t{i}.example.com", f"https://a.b.t{i}.example.com",
             f"https://t{i}.example.com", None, "https://evil.example"]
        )
        method = rnd.choice(["OPTIONS", "OPTIONS", "GET", "PUT", "DELETE"])
        acrm = rnd.choice(["PUT", "PUT", "GET", "DELETE", None, "put"])
        acrh = rnd.choice([None, "Content-Type", "content-type, X-OSS-Meta-A", "x-forbidden", big])
        target = rnd.choice(["object", "object", "bucket", "nonexistent-bucket"])
        request_id = rnd.choice([None, f"req-{rnd.randrange(1000)}"])
        out.append((method, origin, acrm, acrh, target, request_id))
    return out


@pytest.fixture
def busy_switching() -> Iterator[None]:
    # Switch threads as often as possible, so that calls interleave.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_threads(target: Any, count: int = THREADS) -> list[str]:
    errors: list[str] = []
    barrier = threading.Barrier(count)

    def body(k: int) -> None:
        try:
            barrier.wait()
            target(k)
        except BaseException as e:  # noqa: BLE001 - reported to the main thread
            errors.append(f"thread {k}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=body, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("profile", ["oss", "s3"])
def test_many_threads_one_rule_set(profile: Any, busy_switching: None) -> None:
    config = workload(100)
    rules = RuleSet.from_rules(config, profile, max_rules=100)
    oracle = Oracle(config, profile)
    reqs = requests(100, 300, seed=7)
    expected = [
        oracle.preflight(o, a, h, t, rid) if m == "OPTIONS" else oracle.respond(m, o, a, h, t)
        for m, o, a, h, t, rid in reqs
    ]
    assert sum(e["rule"] is not None for e in expected) > 30, "the workload should match often"
    checked = [0] * THREADS

    def work(k: int) -> None:
        order = list(range(len(reqs)))
        random.Random(k).shuffle(order)
        for _ in range(ROUNDS):
            for j in order:
                m, o, a, h, t, rid = reqs[j]
                got = rules.evaluate(m, o, a, h, t, rid).to_dict()
                if got != expected[j]:
                    raise AssertionError(f"request {reqs[j][:5]!r}: got {got}, want {expected[j]}")
                checked[k] += 1

    assert run_threads(work) == []
    assert checked == [ROUNDS * len(reqs)] * THREADS


def test_compiling_while_evaluating(busy_switching: None) -> None:
    shared = RuleSet.from_rules(workload(10), max_rules=10)
    want = shared.preflight("https://www.t9.example.com", "PUT", "content-type").to_dict()
    results: list[int] = []

    def work(k: int) -> None:
        for n in range(1, 30):
            if k % 2:
                own = RuleSet.from_rules(workload(n), "s3", max_rules=n)
                r = own.preflight(f"https://www.t{n - 1}.example.com", "PUT", "content-type")
                assert r.rule == n - 1 if (n - 1) % 3 else r.status == 403
            else:
                assert shared.preflight("https://www.t9.example.com", "PUT", "content-type").to_dict() == want
            results.append(k)

    assert run_threads(work) == []
    assert len(results) == THREADS * 29
