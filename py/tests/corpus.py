"""The shared case data, core/tests/data/*.json, read and checked as the Rust tests do.

Two schemas live there:

- the case corpus (README "Tests"; core/tests/common/mod.rs): one profile per case,
  ``expect`` with ``status``, ``headers`` (``null`` = absent), ``headers_exact``, ``error``
  (elements of the XML body), ``rule``. A refused preflight must name its ``error``; only
  the ceph/s3-tests vectors of s3-public.json (``"fidelity": "s3-tests"``), which recorded
  the status and the headers alone, may leave it out;
- the adversarial cases (core/tests/adversarial.rs): ``expect`` per profile (``oss``,
  ``s3``, and ``oss_strict``/``s3_strict`` where strict origins answer otherwise), each with
  ``status``, ``rule``, ``error`` (the code), ``message``, ``headers``, or ``config_error``
  and ``config_error_kind`` for a configuration the provider refuses; ``config_xml`` instead
  of ``config`` for documents; values too large to write as ``{"repeat", "times", "prefix"?,
  "suffix"?}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Union

import corsmatch
from oracle import Oracle, xml_escape

DATA = Path(__file__).resolve().parents[2] / "core" / "tests" / "data"
# Far above any case, so that only the profile's other limits apply.
MAX_DOCUMENT_BYTES = 1 << 20
PROFILES = ("oss", "s3")


def expand(value: Any) -> Optional[str]:
    """A string of the data: ``None``, a string, or a generator."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("prefix", "")) + str(value["repeat"]) * int(value["times"]) + str(value.get("suffix", ""))
    raise TypeError(f"not a string or a generator: {value!r}")


@dataclass
class Case:
    """One request (or one configuration) under one profile and strictness."""

    file: str
    id: str
    profile: str
    strict: bool
    config: Optional[list[dict[str, Any]]]
    config_xml: Optional[str]
    response_vary: Optional[bool]
    request: Optional[dict[str, Any]]
    expect: dict[str, Any]
    adversarial: bool
    fidelity: Optional[str] = None

    @property
    def name(self) -> str:
        if not self.adversarial:
            return f"{self.file.removesuffix('.json')}:{self.id}"
        return f"{self.file.removesuffix('.json')}:{self.id}:{self.profile}{'-strict' if self.strict else ''}"

    @property
    def method(self) -> str:
        assert self.request is not None
        return str(expand(self.request["method"]))

    def field(self, key: str) -> Optional[str]:
        assert self.request is not None
        return expand(self.request.get(key))

    @property
    def target(self) -> str:
        assert self.request is not None
        return self.request.get("target") or "object"

    def args(self) -> tuple[str, Optional[str], Optional[str], Optional[str], str]:
        """``(method, origin, acrm, acrh, target)``."""
        return (self.method, self.field("origin"), self.field("acrm"), self.field("acrh"), self.target)

    @property
    def splits_headers(self) -> bool:
        """Whether a request value holds CR, LF or NUL: the engine answers it (the Rust tests
        check how), the binding refuses it with ``corsmatch.InvalidHeaderValue``."""
        return self.request is not None and any(
            v is not None and any(b in v for b in "\r\n\x00")
            for v in (self.method, *(self.field(k) for k in ("origin", "acrm", "acrh")))
        )

    def rule_set(self) -> corsmatch.RuleSet:
        """Compiled as the Rust tests compile it: the rules as data, or the document."""
        profile: Any = self.profile
        if self.config_xml is not None:
            return corsmatch.RuleSet.from_xml(self.config_xml, profile, strict_origins=self.strict)
        if self.config is None:
            return corsmatch.RuleSet.no_config(profile)
        return corsmatch.RuleSet.from_rules(
            self.config, profile, response_vary=self.response_vary, strict_origins=self.strict
        )

    def xml(self) -> str:
        assert self.config is not None
        return config_xml(self.config, self.response_vary)

    def document(self) -> Optional[bytes]:
        """The configuration as the document a server receives: ``config_xml`` as it is, or
        the rules with control characters as character references; ``None`` when XML cannot
        carry the rules (a NUL, an ESC)."""
        if self.config_xml is not None:
            return self.config_xml.encode("utf-8")
        if not xml_carries(self.config):
            return None
        assert self.config is not None
        return config_xml(self.config, self.response_vary, escape=xml_chars).encode("utf-8")

    @property
    def refused(self) -> bool:
        """A corpus preflight the case expects refused (status 400, 403 or 404)."""
        return not self.adversarial and self.method == "OPTIONS" and (self.expect.get("status") or 0) >= 400

    @property
    def body_unrecorded(self) -> bool:
        """A ceph/s3-tests vector: that suite checks the status and the headers only."""
        return self.fidelity == "s3-tests"

    def oracle(self, rules: Optional[corsmatch.RuleSet] = None) -> Oracle:
        config = self.config
        if self.config_xml is not None:
            assert rules is not None
            config = rules.rules
        return Oracle(config, self.profile, self.response_vary, strict_origins=self.strict)


def default_profile(path: Path) -> str:
    # As the Rust tests load them: oss-cases.json is oss, s3-public.json and s3-cases.json s3.
    return "oss" if path.name.startswith("oss") else "s3"


def load_all() -> list[Case]:
    files = sorted(DATA.glob("*.json"))
    assert files, f"no case data in {DATA}"
    cases = []
    for path in files:
        for c in json.loads(path.read_text(encoding="utf-8")):
            common = dict(
                file=path.name,
                id=c["id"],
                config=c.get("config"),
                config_xml=c.get("config_xml"),
                response_vary=c.get("response_vary"),
                request=c.get("request"),
                fidelity=c.get("fidelity"),
            )
            expect = c["expect"]
            if not set(expect) & set(PROFILES):
                profile = c.get("profile") or default_profile(path)
                cases.append(Case(profile=profile, strict=False, expect=expect, adversarial=False, **common))
                continue
            for profile in PROFILES:
                for strict in (False, True):
                    want = expect.get(f"{profile}_strict" if strict else profile, expect[profile])
                    cases.append(Case(profile=profile, strict=strict, expect=want, adversarial=True, **common))
    return cases


def _listed(rule: dict[str, Any], key: str) -> list[str]:
    value = rule.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def config_xml(
    rules: list[dict[str, Any]], response_vary: Optional[bool] = None, escape: Callable[[str], str] = xml_escape
) -> str:
    """A ``CORSConfiguration`` document for rules in dict form."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>']
    for rule in rules:
        out.append("<CORSRule>")
        if rule.get("ID") is not None:
            out.append(f"<ID>{escape(rule['ID'])}</ID>")
        for key in ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader"):
            for value in _listed(rule, key):
                out.append(f"<{key}>{escape(value)}</{key}>")
        if rule.get("MaxAgeSeconds") is not None:
            out.append(f"<MaxAgeSeconds>{rule['MaxAgeSeconds']}</MaxAgeSeconds>")
        out.append("</CORSRule>")
    if response_vary is not None:
        out.append(f"<ResponseVary>{'true' if response_vary else 'false'}</ResponseVary>")
    out.append("</CORSConfiguration>")
    return "".join(out)


def xml_safe(rules: Optional[list[dict[str, Any]]]) -> bool:
    """Whether every value survives a trip through XML: no control characters (XML
    normalises CR, forbids NUL, and the engine refuses them in any case)."""
    if rules is None:
        return False
    values = [v for rule in rules for key in rule if key != "MaxAgeSeconds" for v in _listed(rule, key)]
    return not any(ord(ch) < 0x20 and ch != "\t" for v in values for ch in v)


def _xml_char(ch: str) -> bool:
    """Whether XML 1.0 can hold the character at all (literally or as a reference)."""
    o = ord(ch)
    return (o >= 0x20 or ch in "\t\n\r") and not 0xD800 <= o <= 0xDFFF and o not in (0xFFFE, 0xFFFF)


def xml_carries(rules: Optional[list[dict[str, Any]]]) -> bool:
    """Whether a document can hold every value of the rules, written with ``xml_chars``."""
    if rules is None:
        return False
    values = [v for rule in rules for key in rule if key != "MaxAgeSeconds" for v in _listed(rule, key)]
    return all(_xml_char(ch) for v in values for ch in v)


def xml_chars(s: str) -> str:
    """XML character data that parses back to ``s``: CR, LF and tab as character references,
    since a parser normalises them when literal."""
    return "".join(f"&#{ord(ch)};" if ch in "\t\n\r" else ch for ch in xml_escape(s))


def element(body: str, name: str) -> Optional[str]:
    """The text of ``<name>`` in an XML error body (corpus values have no markup)."""
    m = re.search(f"<{name}>(.*?)</{name}>", body, re.S)
    if m is None:
        return None
    return m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def header(headers: list[Any], name: str) -> Optional[str]:
    for n, v in headers:
        if n.lower() == name.lower():
            return str(v)
    return None


def short(value: Union[str, None]) -> str:
    if value is None or len(value) <= 80:
        return repr(value)
    return f"{value[:60]!r}... ({len(value)} chars)"


def check(case: Case, got: dict[str, Any]) -> list[str]:
    """What differs between a response (``to_dict()`` shape) and the case's expectation."""
    return check_adversarial(case.expect, got) if case.adversarial else check_corpus(case, got)


def check_corpus(case: Case, got: dict[str, Any]) -> list[str]:
    expect = case.expect
    problems = []
    if case.method == "OPTIONS":
        want = expect.get("status")
        if want is not None and want != got["status"]:
            problems.append(f"status: want {want}, got {got['status']}")
    elif got["status"] is not None:
        problems.append(f"actual request got a status {got['status']}")
    for name, want in (expect.get("headers") or {}).items():
        have = header(got["headers"], name)
        if want != have:
            problems.append(f"{name}: want {want!r}, got {have!r}")
    if "headers_exact" in expect:
        want_exact = [list(p) for p in expect["headers_exact"]]
        if want_exact != [list(p) for p in got["headers"]]:
            problems.append(f"headers: want {want_exact}, got {got['headers']}")
    error = got["error"]
    if "error" not in expect and not case.body_unrecorded:
        # A refused case states its error, so that none is taken on trust.
        if case.refused:
            problems.append("a refused case must name its error (expect.error)")
        if error is not None:
            problems.append(f"refused with {error['code']}, but the case names no error")
    if "error" in expect:
        want_error = expect["error"]
        if want_error is None and error is not None:
            problems.append(f"want no error, got {error['code']}")
        elif want_error is not None and error is None:
            problems.append("want an error, got none")
        elif want_error is not None and error is not None:
            for key in ("Code", "Message", "Method", "ResourceType"):
                have = element(error["body"], key)
                if want_error.get(key) != have:
                    problems.append(f"body {key}: want {want_error.get(key)!r}, got {have!r}")
            if element(error["body"], "Code") != error["code"] or element(error["body"], "Message") != error["message"]:
                problems.append("code/message fields differ from the body")
    if "rule" in expect and expect["rule"] != got["rule"]:
        problems.append(f"rule: want {expect['rule']}, got {got['rule']}")
    return problems


def check_adversarial(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    if expect.get("status") != got["status"]:
        problems.append(f"status: want {expect.get('status')}, got {got['status']}")
    if expect.get("rule") != got["rule"]:
        problems.append(f"rule: want {expect.get('rule')}, got {got['rule']}")
    have_code = got["error"]["code"] if got["error"] else None
    if expect.get("error") != have_code:
        problems.append(f"error: want {expect.get('error')}, got {have_code}")
    if "message" in expect and got["error"] and got["error"]["message"] != expect["message"]:
        problems.append(f"message: want {expect['message']!r}, got {got['error']['message']!r}")
    for name, want in (expect.get("headers") or {}).items():
        want_value = expand(want)
        have = header(got["headers"], name)
        if want_value != have:
            problems.append(f"{name}: want {short(want_value)}, got {short(have)}")
    if expect.get("rule") is None:
        for name, value in got["headers"]:
            if name.startswith("Access-Control-"):
                problems.append(f"{name}: {short(value)} sent without a matching rule")
    return problems
