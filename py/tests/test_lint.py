"""RuleSet.lint(): the findings, their fields, and the same answer as ``corsmatch lint``."""

from __future__ import annotations

import doctest
import json
import subprocess
from pathlib import Path
from typing import Any, Optional

import pytest

import corsmatch
from corsmatch import Finding, LintExample, RuleSet
from conftest import ROOT
from corpus import MAX_DOCUMENT_BYTES, Case, load_all, xml_safe

EXAMPLE = ROOT / "examples" / "oss-web-upload.xml"

SHADOWED = (
    "<CORSConfiguration>"
    "<CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
    "<CORSRule><AllowedOrigin>https://www.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
    "<ResponseVary>true</ResponseVary></CORSConfiguration>"
)


def doc(*rules: str, vary: bool = True) -> str:
    return "<CORSConfiguration>" + "".join(rules) + ("<ResponseVary>true</ResponseVary>" if vary else "") + (
        "</CORSConfiguration>"
    )


def rule(origin: str, extra: str = "", method: str = "GET") -> str:
    return (
        f"<CORSRule><AllowedOrigin>{origin}</AllowedOrigin><AllowedMethod>{method}</AllowedMethod>{extra}</CORSRule>"
    )


def test_shadowed_rule() -> None:
    findings = RuleSet.from_xml(SHADOWED).lint()
    assert len(findings) == 1
    f = findings[0]
    assert isinstance(f, Finding)
    assert (f.id, f.severity, f.rule, f.element, f.item, f.related, f.example) == (
        "shadowed-rule", "warning", 1, None, None, [0], None)
    assert f.is_problem
    assert "never applies" in f.message and f.fix
    assert str(f).startswith("warning shadowed-rule rule 1: the rule never applies")
    assert str(f).endswith(f"(fix: {f.fix})")
    assert repr(f) == "<corsmatch.Finding warning shadowed-rule rule=1>"
    assert f.to_dict() == {
        "id": "shadowed-rule", "severity": "warning", "rule": 1, "element": None, "item": None,
        "message": f.message, "fix": f.fix, "related": [0], "example": None,
    }
    assert list(f.to_dict()) == ["id", "severity", "rule", "element", "item", "message", "fix", "related", "example"]


def test_the_example_overlaps() -> None:
    rules = RuleSet.from_xml(EXAMPLE.read_bytes())
    many, overlap = rules.lint()
    assert (many.id, many.severity, many.rule, many.element, many.item) == (
        "many-origins-in-rule", "info", 0, "AllowedOrigin", None)
    assert (overlap.id, overlap.severity, overlap.rule, overlap.related) == ("overlap", "info", 1, [0])
    assert not any(f.is_problem for f in (many, overlap))
    e = overlap.example
    assert isinstance(e, LintExample)
    assert (e.origin, e.method, e.headers) == ("https://www.example.com", "GET", [])
    assert e.to_dict() == {"origin": "https://www.example.com", "method": "GET", "headers": []}
    assert overlap.to_dict()["example"] == e.to_dict()
    assert overlap.example is e, "the example is made once"
    assert repr(e) == '<corsmatch.LintExample origin="https://www.example.com" method="GET" headers=[]>'
    # Rule 0 answers the example request (it is checked first); rule 1 would have too.
    assert rules.actual(e.method, e.origin).rule == 0
    assert repr(overlap) == "<corsmatch.Finding info overlap rule=1>"


Want = tuple[str, str, Optional[int], Optional[str], Optional[int]]  # id, severity, rule, element, item


@pytest.mark.parametrize(
    ("xml", "options", "want"),
    [
        (doc(rule("*")), {}, []),
        (doc(rule("www.example.com")), {}, [("origin-no-scheme", "warning", 0, "AllowedOrigin", 0)]),
        (doc(rule("https://www.example.com"), vary=False), {}, [("vary-missing", "warning", None, None, None)]),
        (doc(rule("https://www.example.com"), vary=False), {"profile": "s3"}, []),
        (doc(rule("https://*")), {}, [
            ("wildcard-registrable-domain", "warning", 0, "AllowedOrigin", 0),
            ("wildcard-all-with-credentials", "error", 0, "AllowedOrigin", 0),
        ]),
        (doc(rule("https://*")), {"allow_credentials": False}, [
            ("wildcard-registrable-domain", "warning", 0, "AllowedOrigin", 0),
        ]),
        (doc(rule("https://a.example.com", "<AllowedMethod>GET</AllowedMethod>")), {}, [
            ("method-duplicate", "info", 0, "AllowedMethod", 1),
        ]),
        (doc(rule("https://a.example.com", "<ExposeHeader>ETag</ExposeHeader><ExposeHeader>Set-Cookie</ExposeHeader>")),
         {}, [("expose-sensitive", "warning", 0, "ExposeHeader", 1)]),
        (doc(rule("https://A.example.com:443/")), {}, [
            ("origin-has-path", "warning", 0, "AllowedOrigin", 0),
            ("origin-uppercase", "warning", 0, "AllowedOrigin", 0),
        ]),
    ],
)
def test_findings(xml: str, options: dict[str, Any], want: list[Want]) -> None:
    findings = RuleSet.from_xml(xml, **options).lint()
    got = [(f.id, f.severity, f.rule, f.element, f.item) for f in findings]
    assert sorted(got, key=str) == sorted(want, key=str)
    assert all(f.message and f.fix for f in findings)
    assert all(f.is_problem == (f.severity != "info") for f in findings)
    for f in findings:
        if f.rule is None:
            assert repr(f).endswith(" config>") and " config: " in str(f)
        elif f.item is not None:
            assert repr(f).endswith(f" rule={f.rule} item={f.item}>") and f" rule {f.rule} item {f.item}: " in str(f)


def test_no_config_and_from_rules() -> None:
    assert RuleSet.no_config().lint() == []
    assert RuleSet.no_config("s3").lint() == []
    rules = RuleSet.from_rules([{"AllowedOrigin": "https://*.a.com", "AllowedMethod": "GET"},
                                {"AllowedOrigin": "https://www.a.com", "AllowedMethod": "GET"}], response_vary=True)
    assert [f.to_dict() for f in rules.lint()] == [f.to_dict() for f in RuleSet.from_xml(
        SHADOWED.replace(".example.com", ".a.com")).lint()]


def test_findings_are_immutable() -> None:
    f = RuleSet.from_xml(SHADOWED).lint()[0]
    with pytest.raises(AttributeError):
        f.id = "other"  # type: ignore[misc]
    f.related.append(5)
    assert f.related == [0], "related is a fresh list each time"
    with pytest.raises(TypeError):
        Finding()  # type: ignore[call-arg]


def test_docstring_example() -> None:
    failures, tried = doctest.testmod(corsmatch, verbose=False)
    assert tried > 0 and failures == 0


def lint_cli(cli: str, path: Path, *flags: str) -> tuple[list[dict[str, Any]], str, int]:
    """`corsmatch lint --json` and `corsmatch lint`: the JSON array, the text, the exit code."""
    args = [cli, "lint", "--config", str(path), *flags]
    js = subprocess.run([*args, "--json"], capture_output=True, text=True)
    text = subprocess.run(args, capture_output=True, text=True)
    assert js.returncode == text.returncode and js.returncode in (0, 1), js.stdout + js.stderr
    assert js.stdout.endswith("]\n")
    return json.loads(js.stdout), text.stdout, js.returncode


def same_as_cli(cli: str, rules: RuleSet, path: Path, *flags: str) -> list[Finding]:
    findings = rules.lint()
    want, text, code = lint_cli(cli, path, *flags)
    assert [f.to_dict() for f in findings] == want
    assert "".join(f"{f}\n" for f in findings) == text
    assert code == int(any(f.is_problem for f in findings))
    return findings


def test_example_same_as_cli(cli: str) -> None:
    findings = same_as_cli(cli, RuleSet.from_xml(EXAMPLE.read_bytes()), EXAMPLE)
    assert [f.id for f in findings] == ["many-origins-in-rule", "overlap"]


@pytest.mark.parametrize(
    ("xml", "options", "flags"),
    [
        (SHADOWED, {}, ()),
        (doc(rule("https://*"), rule("https://x.example.com/", method="PUT"), vary=False), {}, ()),
        (doc(rule("https://*"), rule("https://x.example.com/", method="PUT")), {"allow_credentials": False},
         ("--no-credentials",)),
        (doc(rule("https://example.*", "<AllowedHeader>x-a-*</AllowedHeader><AllowedHeader>X-A-B</AllowedHeader>"),
             rule("*", "<ExposeHeader>Authorization</ExposeHeader><MaxAgeSeconds>5</MaxAgeSeconds>"), vary=False),
         {"profile": "s3", "strict_origins": True}, ("--profile", "s3", "--strict-origins")),
        # Messages quote the origin: quotes, a backslash and non-ASCII letters, escaped twice.
        (doc(rule('caf\u00e9."q\\b".example', "<AllowedHeader>x-\u00e9t\u00e9</AllowedHeader>")), {}, ()),
    ],
    ids=["shadowed", "wide", "no-credentials", "s3-strict", "escapes"],
)
def test_same_as_cli(cli: str, tmp_path: Path, xml: str, options: dict[str, Any], flags: tuple[str, ...]) -> None:
    path = tmp_path / "cors.xml"
    path.write_text(xml, encoding="utf-8")
    findings = same_as_cli(cli, RuleSet.from_xml(xml, **options), path, *flags)
    assert findings and any(f.is_problem for f in findings)


def corpus_configs() -> list[Case]:
    seen: set[tuple[str, str]] = set()
    out = []
    for c in load_all():
        if c.adversarial or c.config is None or "config_error" in c.expect or not xml_safe(c.config):
            continue
        key = (c.profile, c.xml())
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def test_corpus_configurations_same_as_cli(cli: str, tmp_path: Path) -> None:
    configs = corpus_configs()
    assert len(configs) > 20
    ids: set[str] = set()
    for c in configs:
        path = tmp_path / "cors.xml"
        path.write_text(c.xml(), encoding="utf-8")
        profile: Any = c.profile
        rules = RuleSet.from_xml(c.xml(), profile, max_document_bytes=MAX_DOCUMENT_BYTES)
        flags = ("--profile", c.profile, f"--max-document-bytes={MAX_DOCUMENT_BYTES}")
        ids.update(f.id for f in same_as_cli(cli, rules, path, *flags))
    # The corpus exercises several kinds of finding, not only empty lists.
    assert len(ids) >= 3, ids
