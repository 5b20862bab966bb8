"""The engine against the pure-Python oracle on generated configurations and requests, with
adversarial shapes: shared prefixes and suffixes, empty stars, overlapping globs, case,
empty and odd header lists, strict origins, both profiles."""

from __future__ import annotations

import random
from typing import Any, Optional

import pytest

from corpus import config_xml
from corsmatch import RuleSet
from oracle import Oracle, is_serialized_origin

ORIGIN_PATTERNS = [
    "*", "https://a.example.com", "https://*.example.com", "https://*", "*.example.com", "http://a*a.com",
    "http://a*", "*a.com", "https://A.example.com", "", "null", "https://a.example.com:8443", "*com", "http*",
    "https://*example.com", "file://*", "https://a.example.com/", "https://x*y",
]
ORIGINS = [
    None, "", "https://a.example.com", "https://b.example.com", "https://.example.com", "https://example.com",
    "https://A.example.com", "http://aa.com", "http://a.com", "http://aXa.com", "https://evil.com/.example.com",
    "null", "https://a.example.com:8443", "https://xy", "https://xzy", "foo.example.com", "file://", "https://",
    "http://a", "a.com", "HTTPS://a.example.com", "https://a.example.com/", "https://[::1]:80", "https://é.example.com",
]
HEADER_PATTERNS = ["content-type", "x-oss-meta-*", "*", "X-Amz-*", "a*b", "ab", "", "Authorization", "x-*-id"]
ACRHS = [
    None, "", " , ,", "Content-Type", "content-type, X-OSS-Meta-A", "x-oss-meta-", "ab", "aXb, ab", "a", "X-AMZ-DATE",
    "authorization,content-type", "x-request-id", "x--id", "\tcontent-type\t, ", "K", "ÄB",
]
METHODS = ["GET", "PUT", "DELETE", "POST", "HEAD"]
REQUEST_METHODS = ["OPTIONS", "OPTIONS", "OPTIONS", "GET", "PUT", "POST", "PATCH", "get"]
ACRMS = [None, "GET", "PUT", "DELETE", "POST", "HEAD", "put", "PATCH", ""]
TARGETS = ["object", "bucket", "nonexistent-bucket"]
IDS = [None, "req-1", "<&>"]


def pick(rnd: random.Random, items: list[Any], lo: int, hi: int) -> list[Any]:
    return [rnd.choice(items) for _ in range(rnd.randint(lo, hi))]


def make_config(rnd: random.Random, profile: str) -> list[dict[str, Any]]:
    rules = []
    for _ in range(rnd.randint(1, 10 if profile == "oss" else 14)):
        rule: dict[str, Any] = {
            "AllowedOrigin": pick(rnd, ORIGIN_PATTERNS, 1, 3),
            "AllowedMethod": pick(rnd, METHODS, 1, 3),
            "AllowedHeader": pick(rnd, HEADER_PATTERNS, 0, 3),
            "ExposeHeader": pick(rnd, ["ETag", "x-oss-request-id", "x-amz-id-2"], 0, 2),
        }
        if rnd.random() < 0.5:
            rule["MaxAgeSeconds"] = rnd.choice([0, 1, 600, 2147483647])
        rules.append(rule)
    return rules


@pytest.mark.parametrize("seed", range(40))
def test_engine_equals_oracle(seed: int) -> None:
    rnd = random.Random(seed)
    compared = matched = 0
    for _ in range(8):
        profile = rnd.choice(["oss", "s3"])
        config = make_config(rnd, profile)
        vary: Optional[bool] = rnd.choice([None, True, False]) if profile == "oss" else None
        credentials = rnd.random() < 0.8
        strict = rnd.random() < 0.3
        kwargs: Any = dict(allow_credentials=credentials, strict_origins=strict)
        # Half through the document, half as rules: both must compile to the same thing.
        if rnd.random() < 0.5:
            rules = RuleSet.from_xml(config_xml(config, vary), profile, max_document_bytes=1 << 20, **kwargs)
        else:
            rules = RuleSet.from_rules(config, profile, response_vary=vary, **kwargs)
        oracle = Oracle(config, profile, vary, allow_credentials=credentials, strict_origins=strict)
        for _ in range(40):
            method = rnd.choice(REQUEST_METHODS)
            origin = rnd.choice(ORIGINS)
            acrm, acrh, target = rnd.choice(ACRMS), rnd.choice(ACRHS), rnd.choice(TARGETS)
            request_id, host_id = rnd.choice(IDS), rnd.choice(IDS)
            want = oracle.respond(method, origin, acrm, acrh, target, request_id, host_id)
            got = rules.evaluate(method, origin, acrm, acrh, target, request_id, host_id).to_dict()
            assert got == want, (config, vary, credentials, strict, method, origin, acrm, acrh, target)
            explained = rules.explain(method, origin, acrm, acrh, target, request_id, host_id)
            assert explained.response.to_dict() == want
            assert explained.winner == want["rule"] or explained.skipped == "refused"
            compared += 1
            matched += want["rule"] is not None
    assert compared == 320
    assert matched > 10, "the generator should produce matches"


@pytest.mark.parametrize(
    ("origin", "serialized"),
    [
        ("null", True), ("https://example.com", True), ("http://a.b:8080", True), ("http://[::1]:80", True),
        ("x-y+z.1://h", True), ("https://evil.com/.example.com", False), ("https://Example.com", False),
        ("https://a.com:", False), ("example.com", False), ("https://u@a.com", False), ("https://a.com/", False),
        ("https://a .com", False), ("HTTPS://a.com", False), ("https://", False), ("https://[]", False),
        ("https://a.com:123456", False), ("https://[::1]x", False), ("1http://a.com", False),
    ],
)
def test_oracle_serialized_origins(origin: str, serialized: bool) -> None:
    assert is_serialized_origin(origin) is serialized
    # Strict origins let a non-serialized origin match only `*`.
    rules = RuleSet.from_rules([{"AllowedOrigin": origin, "AllowedMethod": "GET"}], strict_origins=True)
    assert (rules.preflight(origin, "GET").status == 200) is serialized
