"""The Python API: Response, Explanation, RuleSet's properties, the large-request path."""

from __future__ import annotations

import pytest

import corsmatch
from corsmatch import Explanation, Response, RuleSet, RuleVerdict
from oracle import Oracle

WEB_UPLOAD = [
    {
        "AllowedOrigin": ["https://www.example.com", "https://*.example.org"],
        "AllowedMethod": ["PUT", "GET"],
        "AllowedHeader": ["content-type", "x-oss-meta-*"],
        "ExposeHeader": ["ETag", "x-oss-request-id"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigin": "*", "AllowedMethod": "GET"},
]
XML = (
    "<CORSConfiguration><CORSRule>"
    "<AllowedOrigin>https://www.example.com</AllowedOrigin><AllowedOrigin>https://*.example.org</AllowedOrigin>"
    "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
    "<AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-oss-meta-*</AllowedHeader>"
    "<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-oss-request-id</ExposeHeader>"
    "<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>"
    "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
    "</CORSConfiguration>"
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.from_xml(XML)


def test_version() -> None:
    assert corsmatch.__version__ == corsmatch.CORE_VERSION
    assert corsmatch.__version__.count(".") == 2


def test_allowed_preflight(rules: RuleSet) -> None:
    r = rules.preflight("https://www.example.com", "PUT", "Content-Type, X-OSS-Meta-Author")
    assert isinstance(r, Response)
    assert (r.status, r.rule, r.allowed) == (200, 0, True)
    assert (r.error_code, r.error_message, r.body) == (None, None, None)
    want = [
        ("Access-Control-Allow-Origin", "https://www.example.com"),
        ("Access-Control-Allow-Methods", "PUT, GET"),
        ("Access-Control-Allow-Headers", "content-type, x-oss-meta-author"),
        ("Access-Control-Expose-Headers", "ETag, x-oss-request-id"),
        ("Access-Control-Max-Age", "600"),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    assert r.headers == want
    assert all(type(n) is str and type(v) is str for n, v in r.headers)
    assert r.header("access-control-max-age") == "600"
    assert r.header("ACCESS-CONTROL-ALLOW-METHODS") == "PUT, GET"
    assert r.header("Vary") is None
    assert r.to_dict() == {"status": 200, "headers": [list(p) for p in want], "error": None, "rule": 0}
    assert "status=200" in repr(r) and "rule=0" in repr(r)
    # The same rule answers the same strings every time.
    again = rules.preflight("https://a.example.org", "GET")
    assert again.header("Access-Control-Allow-Methods") == "PUT, GET"
    assert again.header("Access-Control-Allow-Origin") == "https://a.example.org"


def test_refused_preflight(rules: RuleSet) -> None:
    r = rules.preflight("https://evil.example", "PUT", request_id="req-1", host_id="host<1>")
    assert (r.status, r.rule, r.allowed, r.headers) == (403, None, False, [])
    assert r.error_code == "AccessForbidden"
    assert r.error_message is not None and r.error_message.startswith("CORSResponse: This CORS request is not allowed.")
    assert r.body == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessForbidden</Code>'
        f"<Message>{r.error_message}</Message><RequestId>req-1</RequestId><HostId>host&lt;1&gt;</HostId></Error>"
    )
    d = r.to_dict()
    assert d == {
        "status": 403,
        "headers": [],
        "error": {"code": "AccessForbidden", "message": r.error_message, "body": r.body},
        "rule": None,
    }
    assert "AccessForbidden" in repr(r)
    r = rules.preflight(None, "PUT")
    assert (r.status, r.error_code, r.error_message) == (400, "BadRequest", "Insufficient information. Origin request header needed.")
    r = rules.preflight("https://www.example.com", "PATCH")
    assert (r.status, r.error_message) == (400, "Invalid Access-Control-Request-Method: PATCH")
    r = rules.preflight("https://www.example.com", "PUT", target="nonexistent-bucket")
    assert (r.status, r.error_code) == (404, "NoSuchBucket")


def test_actual_requests(rules: RuleSet) -> None:
    r = rules.actual("GET", "https://elsewhere.example")
    assert (r.status, r.rule) == (None, 1)
    assert r.headers == [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "GET")]
    r = rules.actual("DELETE", "https://www.example.com")
    assert (r.status, r.rule, r.headers, r.body) == (None, None, [], None)
    r = rules.actual("GET", None)
    assert r.headers == []
    # The ACRM, when present, is the method matched.
    assert rules.actual("DELETE", "https://www.example.com", acrm="PUT").rule == 0
    assert rules.evaluate("GET", "https://x.example").to_dict() == rules.actual("GET", "https://x.example").to_dict()


def test_keywords_and_positions(rules: RuleSet) -> None:
    a = rules.preflight("https://www.example.com", "PUT", "content-type", "bucket", "id", "host")
    b = rules.preflight(origin="https://www.example.com", acrm="PUT", acrh="content-type", target="bucket",
                        request_id="id", host_id="host")
    c = rules.evaluate("OPTIONS", "https://www.example.com", "PUT", "content-type", "bucket", "id", "host")
    assert a.to_dict() == b.to_dict() == c.to_dict()


def test_str_subclasses_come_back_as_str(rules: RuleSet) -> None:
    class Origin(str):
        pass

    r = rules.preflight(Origin("https://www.example.com"), "GET", Origin("x-oss-meta-a"))
    assert r.status == 200
    for _, value in r.headers:
        assert type(value) is str


def test_large_requests_match_the_oracle(rules: RuleSet) -> None:
    # Over 4 KiB of request: evaluated with the GIL released, answered the same.
    oracle = Oracle(WEB_UPLOAD)
    acrh = ", ".join(f"X-OSS-Meta-{i}" for i in range(3000))
    for origin, acrm, headers in [
        ("https://www.example.com", "PUT", acrh),
        ("https://www.example.com", "PUT", acrh + ", x-forbidden"),
        ("https://" + "a" * 20_000 + ".example.org", "GET", None),
        ("https://" + "a" * 20_000 + ".example.net", "PUT", None),
    ]:
        want = oracle.preflight(origin, acrm, headers, request_id="r" * 20_000)
        assert rules.preflight(origin, acrm, headers, request_id="r" * 20_000).to_dict() == want
        want = oracle.respond("POST", origin, acrm, headers)
        assert rules.actual("POST", origin, acrm, headers).to_dict() == want


def test_explain(rules: RuleSet) -> None:
    e = rules.explain("OPTIONS", "https://www.example.com", "DELETE", "content-type")
    assert isinstance(e, Explanation)
    assert (e.method, e.headers, e.skipped, e.winner) == ("DELETE", ["content-type"], None, None)
    assert [(v.index, v.result, v.header) for v in e.rules] == [(0, "method", None), (1, "method", None)]
    assert e.response.status == 403
    e = rules.explain("OPTIONS", "https://www.example.com", "GET", "Content-Type, X-Other")
    assert [(v.result, v.header) for v in e.rules] == [("header", "x-other"), ("header", "content-type")]
    assert all(isinstance(v, RuleVerdict) for v in e.rules)
    assert e.rules[0].detail == "header x-other matches no AllowedHeader (content-type, x-oss-meta-*)"
    e = rules.explain("GET", "https://elsewhere.example")
    assert [v.result for v in e.rules] == ["origin", "match"]
    assert e.winner == 1 and e.response.rule == 1
    assert e.to_dict() == {
        "method": "GET",
        "headers": [],
        "skipped": None,
        "rules": [
            {
                "rule": 0,
                "result": "origin",
                "header": None,
                "detail": "origin https://elsewhere.example matches no AllowedOrigin (https://www.example.com, https://*.example.org)",
            },
            {"rule": 1, "result": "match", "header": None, "detail": ""},
        ],
        "winner": 1,
        "response": e.response.to_dict(),
    }
    assert rules.explain("GET").skipped == "no-origin"
    assert rules.explain("OPTIONS", "https://a.example").skipped == "refused"
    assert RuleSet.no_config().explain("GET", "https://a.example").skipped == "no-config"
    assert "winner=1" in repr(rules.explain("GET", "https://elsewhere.example"))


def test_properties(rules: RuleSet) -> None:
    assert (rules.profile, rules.has_config, rules.rule_count) == ("oss", True, 2)
    assert (rules.allow_credentials, rules.strict_origins) == (True, False)
    assert (rules.max_rules, rules.max_document_bytes) == (10, 16 * 1024)
    assert rules.memory_usage > 0
    assert rules.response_vary is None
    assert rules.rules[0] == {**WEB_UPLOAD[0], "ID": None}
    assert rules.rules[1] == {
        "ID": None, "AllowedOrigin": ["*"], "AllowedMethod": ["GET"], "AllowedHeader": [], "ExposeHeader": [],
        "MaxAgeSeconds": None,
    }
    assert repr(rules) == "<corsmatch.RuleSet profile='oss' rules=2>"
    again = RuleSet.from_xml(rules.to_xml() or "")
    assert again.rules == rules.rules
    assert RuleSet.from_rules(rules.rules).rules == rules.rules
    s3 = RuleSet.from_xml(XML, "s3", max_rules=3, max_document_bytes=100_000, allow_credentials=False,
                          strict_origins=True)
    assert (s3.profile, s3.max_rules, s3.max_document_bytes, s3.allow_credentials, s3.strict_origins) == (
        "s3", 3, 100_000, False, True)
    vary = RuleSet.from_rules(WEB_UPLOAD, response_vary=True)
    assert vary.response_vary is True
    assert vary.actual("GET", None).headers == [("Vary", "Origin")]


def test_no_config() -> None:
    oss, s3 = RuleSet.no_config(), RuleSet.no_config("s3")
    assert (oss.has_config, oss.rule_count, oss.rules, oss.to_xml()) == (False, 0, [], None)
    assert repr(s3) == "<corsmatch.RuleSet profile='s3' no configuration>"
    assert oss.preflight("https://a.example", "GET").error_code == "AccessForbidden"
    r = s3.preflight("https://a.example", "GET")
    assert (r.status, r.error_message) == (403, "CORSResponse: CORS is not enabled for this bucket.")
    assert r.body is not None and "<Method>GET</Method><ResourceType>BUCKET</ResourceType>" in r.body
    assert s3.actual("GET", "https://a.example").headers == []


def test_credentials_and_strict_origins() -> None:
    open_rules = [{"AllowedOrigin": "https://*.example.com", "AllowedMethod": "GET"}]
    r = RuleSet.from_rules(open_rules, allow_credentials=False).preflight("https://a.example.com", "GET")
    assert r.header("Access-Control-Allow-Credentials") is None
    trick = "https://evil.com/.example.com"
    assert RuleSet.from_rules(open_rules).preflight(trick, "GET").status == 200
    assert RuleSet.from_rules(open_rules, strict_origins=True).preflight(trick, "GET").status == 403


def test_immutable(rules: RuleSet) -> None:
    with pytest.raises(AttributeError):
        rules.profile = "s3"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        rules.anything = 1  # type: ignore[attr-defined]
    r = rules.preflight("https://www.example.com", "GET")
    with pytest.raises(AttributeError):
        r.status = 500  # type: ignore[misc]
    with pytest.raises(TypeError):
        type("Sub", (RuleSet,), {})
    with pytest.raises(TypeError):
        RuleSet()  # type: ignore[call-arg]
