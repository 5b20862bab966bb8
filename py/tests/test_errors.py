"""Configuration errors carry the provider's code, message and status; wrong arguments raise
TypeError or ValueError; nothing crashes."""

from __future__ import annotations

import pickle
from typing import Any, Callable

import pytest

import corsmatch
from corsmatch import ConfigError, CorsmatchError, InvalidHeaderValue, RuleSet

MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"


def doc(*rules: str, extra: str = "") -> str:
    return "<CORSConfiguration>" + "".join(f"<CORSRule>{r}</CORSRule>" for r in rules) + extra + "</CORSConfiguration>"


GOOD_RULE = "<AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"


def test_hierarchy() -> None:
    assert issubclass(ConfigError, CorsmatchError)
    assert issubclass(InvalidHeaderValue, CorsmatchError) and not issubclass(InvalidHeaderValue, ConfigError)
    assert issubclass(CorsmatchError, ValueError)
    assert corsmatch.ConfigError is corsmatch._errors.ConfigError
    assert corsmatch.InvalidHeaderValue is corsmatch._errors.InvalidHeaderValue


@pytest.mark.parametrize(
    ("profile", "document", "code", "message", "kind"),
    [
        ("oss", "<CORSConfiguration>", "MalformedXML", MALFORMED, "MalformedXml"),
        ("oss", "<Other/>", "MalformedXML", MALFORMED, "MalformedXml"),
        ("oss", doc(), "MalformedXML", MALFORMED, "MalformedXml"),
        ("s3", doc("<AllowedOrigin>*</AllowedOrigin>"), "MalformedXML", MALFORMED, "MalformedXml"),
        ("oss", doc(GOOD_RULE + "<MaxAgeSeconds>soon</MaxAgeSeconds>"), "MalformedXML", MALFORMED, "MalformedXml"),
        ("s3", doc(GOOD_RULE, extra="<ResponseVary>true</ResponseVary>"), "MalformedXML", MALFORMED, "MalformedXml"),
        ("oss", doc(GOOD_RULE, extra="<ResponseVary>yes</ResponseVary>"), "MalformedXML", MALFORMED, "MalformedXml"),
        ("oss", doc("<ID>r1</ID>" + GOOD_RULE), "MalformedXML", MALFORMED, "MalformedXml"),
        ("oss", doc(*[GOOD_RULE] * 11), "CORSRuleBeyondLimit", "The CORS Rules num is beyond limit.", "TooManyRules"),
        (
            "s3",
            doc(*[GOOD_RULE] * 101),
            "InvalidRequest",
            "The number of CORS rules should not exceed allowed limit of 100 rules.",
            "TooManyRules",
        ),
        (
            "oss",
            doc("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"),
            "InvalidRequest",
            "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
            "UnsupportedMethod",
        ),
        (
            "s3",
            doc("<AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            "InvalidRequest",
            'AllowedOrigin "https://*.*.com" can not have more than one wildcard.',
            "OriginWildcards",
        ),
        (
            "oss",
            doc(GOOD_RULE + "<ExposeHeader>x-*</ExposeHeader>"),
            "InvalidRequest",
            "We currently do not support wildcard for ExposeHeader.",
            "ExposeHeaderChar",
        ),
        (
            "oss",
            doc(GOOD_RULE + "<MaxAgeSeconds>-1</MaxAgeSeconds>"),
            "InvalidArgument",
            "MaxAgeSeconds must not be negative.",
            "NegativeMaxAge",
        ),
        (
            "oss",
            doc("<AllowedOrigin>https://a.example&#10;</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            "InvalidRequest",
            "AllowedOrigin contains a control character.",
            "ControlCharacter",
        ),
    ],
)
def test_provider_errors(profile: Any, document: str, code: str, message: str, kind: str) -> None:
    with pytest.raises(ConfigError) as info:
        RuleSet.from_xml(document, profile)
    e = info.value
    assert (e.status, e.code, e.message, e.kind) == (400, code, message, kind)
    assert e.xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code + "</Code>")
    assert str(e) == e.args[0]
    assert str(e).endswith(f"(400 {code})")
    # It survives pickling (multiprocessing, logging handlers).
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is ConfigError
    assert (again.code, again.message, again.status, again.kind, again.xml, str(again)) == (
        e.code,
        e.message,
        e.status,
        e.kind,
        e.xml,
        str(e),
    )


def test_negative_max_age_names_the_argument() -> None:
    with pytest.raises(ConfigError) as info:
        RuleSet.from_xml(doc(GOOD_RULE + "<MaxAgeSeconds>-5</MaxAgeSeconds>"))
    assert "<ArgumentName>MaxAgeSeconds</ArgumentName><ArgumentValue>-5</ArgumentValue>" in info.value.xml


def test_limits_can_be_raised() -> None:
    eleven = doc(*[GOOD_RULE] * 11)
    assert RuleSet.from_xml(eleven, max_rules=11).rule_count == 11
    big = doc(GOOD_RULE + "<AllowedHeader>" + "x" * 20_000 + "</AllowedHeader>")
    with pytest.raises(ConfigError) as info:
        RuleSet.from_xml(big)
    assert info.value.code == "MalformedXML" and "16384" in str(info.value)
    assert RuleSet.from_xml(big, max_document_bytes=32_000).rule_count == 1
    assert RuleSet.from_xml(big, "s3").rule_count == 1
    with pytest.raises(ConfigError) as info:
        RuleSet.from_xml(doc(GOOD_RULE), max_rules=0)
    assert info.value.kind == "TooManyRules"


def test_compiled_size_limit() -> None:
    with pytest.raises(ConfigError) as info:
        RuleSet.from_xml(doc(GOOD_RULE), max_compiled_bytes=1)
    assert (info.value.kind, info.value.code, info.value.status) == ("CompiledTooLarge", "InvalidRequest", 400)
    rules = RuleSet.from_xml(doc(GOOD_RULE))
    assert RuleSet.from_xml(doc(GOOD_RULE), max_compiled_bytes=rules.memory_usage).rule_count == 1


def test_document_types() -> None:
    text = doc("<AllowedOrigin>https://é.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")
    for data in (text, text.encode(), bytearray(text.encode())):
        r = RuleSet.from_xml(data).preflight("https://é.example", "GET")
        assert r.status == 200
    with pytest.raises(ConfigError) as info:
        RuleSet.from_xml(b"<CORSConfiguration>\xff</CORSConfiguration>")
    assert info.value.code == "MalformedXML" and "UTF-8" in str(info.value)


RULES = RuleSet.from_xml(doc(GOOD_RULE))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: RuleSet.from_xml(123), TypeError),
        (lambda: RuleSet.from_xml(None), TypeError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), "gcs"), ValueError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), "OSS"), ValueError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), 1), TypeError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), max_rules=-1), ValueError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), max_rules=2**200), ValueError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), max_rules="10"), TypeError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), max_rules=True), TypeError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), max_document_bytes=1.5), TypeError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), allow_credentials="yes"), TypeError),
        (lambda: RuleSet.from_xml(doc(GOOD_RULE), "oss", 10), TypeError),  # limits are keyword-only
        (lambda: RuleSet.no_config("azure"), ValueError),
        (lambda: RULES.preflight("https://a.example", "GET", target="nowhere"), ValueError),
        (lambda: RULES.preflight("https://a.example", "GET", target="OBJECT"), ValueError),
        (lambda: RULES.preflight(b"https://a.example", "GET"), TypeError),
        (lambda: RULES.preflight("https://a.example", 1), TypeError),
        (lambda: RULES.preflight("https://a.example", "GET", ["x"]), TypeError),
        (lambda: RULES.preflight("https://a.example", "GET", unknown=1), TypeError),
        (lambda: RULES.preflight("\ud800", "GET"), UnicodeEncodeError),
        (lambda: RULES.actual("OPTIONS", "https://a.example"), ValueError),
        (lambda: RULES.actual(None, "https://a.example"), TypeError),
        (lambda: RULES.evaluate(), TypeError),
        (lambda: RULES.explain("GET", target="x"), ValueError),
        (lambda: RuleSet.from_rules("not a list"), TypeError),
        (lambda: RuleSet.from_rules([["AllowedOrigin"]]), TypeError),
        (lambda: RuleSet.from_rules([{"AllowedOrigins": ["*"], "AllowedMethod": "GET"}]), ValueError),
        (lambda: RuleSet.from_rules([{"AllowedOrigin": 5, "AllowedMethod": "GET"}]), TypeError),
        (lambda: RuleSet.from_rules([{"AllowedOrigin": ["*", 5], "AllowedMethod": "GET"}]), TypeError),
        (lambda: RuleSet.from_rules([{"AllowedOrigin": "*", "AllowedMethod": "GET", "MaxAgeSeconds": -1}]), ValueError),
        (lambda: RuleSet.from_rules([{"AllowedOrigin": "*", "AllowedMethod": "GET", "MaxAgeSeconds": "9"}]), TypeError),
        (lambda: RuleSet.from_rules([{"AllowedOrigin": "*", "AllowedMethod": "GET", "ID": 3}], "s3"), TypeError),
        (lambda: RuleSet.from_rules([{"AllowedOrigin": "*", "AllowedMethod": "GET"}], response_vary="yes"), TypeError),
    ],
)
def test_wrong_arguments(call: Callable[[], object], error: type[BaseException]) -> None:
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, (TypeError, ValueError))
    assert not isinstance(info.value, CorsmatchError)


def test_rules_checked_as_documents_are() -> None:
    ok = {"AllowedOrigin": "https://a.example", "AllowedMethod": ["GET", "PUT"], "MaxAgeSeconds": 5}
    assert RuleSet.from_rules([ok]).rules[0]["AllowedMethod"] == ["GET", "PUT"]
    cases: list[tuple[Any, dict[str, Any], str]] = [
        ("oss", {"ID": "r1"}, "MalformedXML"),
        ("s3", {"AllowedMethod": "get"}, "InvalidRequest"),
        ("oss", {"AllowedOrigin": []}, "MalformedXML"),
        ("oss", {"ExposeHeader": "x\ny"}, "InvalidRequest"),
    ]
    for profile, change, code in cases:
        with pytest.raises(ConfigError) as info:
            RuleSet.from_rules([{**ok, **change}], profile)
        assert info.value.code == code, change
    with pytest.raises(ConfigError) as info:
        RuleSet.from_rules([ok], "s3", response_vary=True)
    assert info.value.code == "MalformedXML"
    with pytest.raises(ConfigError) as info:
        RuleSet.from_rules([])
    assert info.value.code == "MalformedXML"
    with pytest.raises(ConfigError) as info:
        RuleSet.from_rules([ok] * 11)
    assert info.value.code == "CORSRuleBeyondLimit"
    assert RuleSet.from_rules([ok] * 11, max_rules=11).rule_count == 11


def test_hostile_requests_are_answered() -> None:
    rules = RuleSet.from_xml(
        doc("<AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
            "<AllowedHeader>x-*</AllowedHeader>"),
        "s3",
    )
    commas = "," * 1_000_000
    r = rules.preflight("https://a.example.com", "PUT", commas)
    assert (r.status, r.header("Access-Control-Allow-Headers")) == (200, None)
    many = ", ".join(["X-A"] * 200_000)
    r = rules.preflight("https://a.example.com", "PUT", many)
    assert r.status == 200 and r.header("Access-Control-Allow-Headers") == ", ".join(["x-a"] * 200_000)
    r = rules.preflight("https://a.example.com", "PUT", many + ", content-type")
    assert r.status == 403
    r = rules.preflight("https://\x01.example.com", "PUT", request_id="<&>\x01")
    assert r.status == 200
    r = rules.preflight("https://evil.example", "PUT", request_id="<&>")
    assert r.status == 403 and r.body is not None and "<RequestId>&lt;&amp;&gt;</RequestId>" in r.body
    r = rules.preflight("https://" + "a" * 5_000_000 + ".example.com", "PUT")
    assert r.status == 200 and len(r.header("Access-Control-Allow-Origin") or "") > 5_000_000
    r = rules.evaluate("", "", "", "")
    assert r.status is None and r.headers == []


# A request value holding CR, LF or NUL is refused by every method that takes it: the engine
# echoes the Origin and the ACRH items into response headers and the ids into error bodies,
# where "https://a.example\r\nSet-Cookie: x=1" would split the response.
ECHO = RuleSet.from_xml(
    doc("<AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-a</AllowedHeader>")
)
GOOD = {
    "method": "PUT",
    "origin": "https://a.example",
    "acrm": "PUT",
    "acrh": "content-type, x-a",
    "request_id": "req-1",
    "host_id": "host-1",
}
# Each method and the request values it takes.
TAKES = {
    "preflight": ("origin", "acrm", "acrh", "request_id", "host_id"),
    "actual": ("method", "origin", "acrm", "acrh"),
    "evaluate": ("method", "origin", "acrm", "acrh", "request_id", "host_id"),
    "explain": ("method", "origin", "acrm", "acrh", "request_id", "host_id"),
}
CALLS = [(method, field) for method, fields in TAKES.items() for field in fields]


def call(method: str, values: dict[str, str]) -> object:
    kwargs = {k: v for k, v in values.items() if k in TAKES[method]}
    result: object = getattr(ECHO, method)(**kwargs)
    return result


def answered(method: str, values: dict[str, str]) -> None:
    """The request is answered: rule 0 matches, the Origin is echoed."""
    result = call(method, values)
    if method == "explain":
        assert isinstance(result, corsmatch.Explanation) and result.winner == 0, result
        result = result.response
    assert isinstance(result, corsmatch.Response)
    assert result.rule == 0 and result.header("Access-Control-Allow-Origin") == values["origin"], result.to_dict()


@pytest.mark.parametrize(("method", "field"), CALLS)
def test_request_values_without_cr_lf_nul_are_answered(method: str, field: str) -> None:
    answered(method, GOOD)
    # Only those three bytes: other control characters pass (a tab is legal in a header value).
    if field in ("request_id", "host_id"):
        answered(method, {**GOOD, field: GOOD[field] + "\t\x01"})


@pytest.mark.parametrize("byte", ["\r", "\n", "\x00"], ids=["CR", "LF", "NUL"])
@pytest.mark.parametrize(("method", "field"), CALLS)
def test_request_values_with_cr_lf_nul_are_refused(method: str, field: str, byte: str) -> None:
    value = GOOD[field]
    for bad in (byte + value, value[: len(value) // 2] + byte + value[len(value) // 2 :], value + byte):
        with pytest.raises(InvalidHeaderValue) as info:
            call(method, {**GOOD, field: bad})
        e = info.value
        assert isinstance(e, CorsmatchError) and isinstance(e, ValueError)
        assert e.argument == field and str(e).startswith(f"{field} holds ")
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is InvalidHeaderValue and (again.argument, str(again)) == (e.argument, str(e))
    # The control: the same value without the byte is answered.
    answered(method, {**GOOD, field: value})


def test_response_splitting_origin() -> None:
    split = "https://a.example\r\nSet-Cookie: x=1"
    for method in ("preflight", "actual", "evaluate", "explain"):
        with pytest.raises(InvalidHeaderValue, match=r"^origin holds CR \(0x0D\) at byte 17: "):
            call(method, {**GOOD, "origin": split})
    # Without the CR LF it is just an origin no rule allows.
    r = ECHO.preflight("https://a.exampleSet-Cookie: x=1", "PUT")
    assert (r.status, r.headers) == (403, [])
    # A long value is scanned to its end.
    long = "https://" + "a" * 1_000_000 + ".example"
    with pytest.raises(InvalidHeaderValue, match="at byte 1000016"):
        ECHO.evaluate("GET", long + "\n")
