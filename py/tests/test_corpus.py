"""Every case of core/tests/data/*.json through the Python binding, the pure-Python oracle and
the CLI: all must give the expected answer, and the same one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import corsmatch
from corpus import MAX_DOCUMENT_BYTES, Case, check, load_all, xml_safe

CASES = load_all()
REQUESTS = [c for c in CASES if "config_error" not in c.expect]
REFUSED = [c for c in CASES if "config_error" in c.expect]
CORPUS = [c for c in CASES if not c.adversarial]


def test_data_is_whole() -> None:
    files = {c.file for c in CASES}
    assert {"oss-cases.json", "s3-cases.json", "s3-public.json"} <= files
    assert sum(c.file == "s3-public.json" for c in CASES) == 74
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(c.request is not None for c in REQUESTS)
    # The adversarial CR, LF and NUL requests (8 cases, under 2 profiles, strict or not).
    assert sum(c.splits_headers for c in REQUESTS) == 32


def refused_by_the_binding(case: Case, rules: corsmatch.RuleSet) -> bool:
    """A request value with CR, LF or NUL: every entry point raises InvalidHeaderValue."""
    if not case.splits_headers:
        return False
    method, origin, acrm, acrh, target = case.args()
    calls = [lambda: rules.evaluate(method, origin, acrm, acrh, target),
             lambda: rules.explain(method, origin, acrm, acrh, target)]
    if method == "OPTIONS":
        calls.append(lambda: rules.preflight(origin, acrm, acrh, target))
    else:
        calls.append(lambda: rules.actual(method, origin, acrm, acrh, target))
    for call in calls:
        with pytest.raises(corsmatch.InvalidHeaderValue):
            call()
    return True


def name(c: Case) -> str:
    return c.name


@pytest.mark.parametrize("case", REQUESTS, ids=name)
def test_engine(case: Case) -> None:
    rules = case.rule_set()
    if refused_by_the_binding(case, rules):
        return
    method, origin, acrm, acrh, target = case.args()
    got = rules.evaluate(method, origin, acrm, acrh, target).to_dict()
    assert check(case, got) == []
    # The specific entry points give the same answer as evaluate().
    if method == "OPTIONS":
        same = rules.preflight(origin, acrm, acrh, target)
    else:
        same = rules.actual(method, origin, acrm, acrh, target)
    assert same.to_dict() == got
    # So does the same configuration written as a document.
    if xml_safe(case.config):
        profile: Any = case.profile
        parsed = corsmatch.RuleSet.from_xml(
            case.xml(), profile, max_document_bytes=MAX_DOCUMENT_BYTES, strict_origins=case.strict
        )
        assert parsed.rules == rules.rules
        assert parsed.evaluate(method, origin, acrm, acrh, target).to_dict() == got


@pytest.mark.parametrize("case", REFUSED, ids=name)
def test_refused_configuration(case: Case) -> None:
    with pytest.raises(corsmatch.ConfigError) as info:
        case.rule_set()
    e = info.value
    assert (e.status, e.code) == (400, case.expect["config_error"]), str(e)
    assert e.kind.startswith(case.expect["config_error_kind"]), e.kind
    assert f"<Code>{e.code}</Code>" in e.xml


@pytest.mark.parametrize("case", REQUESTS, ids=name)
def test_oracle(case: Case) -> None:
    rules = case.rule_set()
    method, origin, acrm, acrh, target = case.args()
    want = case.oracle(rules).respond(method, origin, acrm, acrh, target)
    assert check(case, want) == []
    if not refused_by_the_binding(case, rules):
        assert rules.evaluate(method, origin, acrm, acrh, target).to_dict() == want


def run_cli(cli: str, case: Case, tmp_path: Path, command: str) -> Any:
    args = [cli, command, "--profile", case.profile]
    if case.config is None:
        args.append("--no-config")
    else:
        config = tmp_path / "cors.xml"
        config.write_text(case.xml(), encoding="utf-8")
        args += ["--config", str(config), f"--max-document-bytes={MAX_DOCUMENT_BYTES}"]
    method, origin, acrm, acrh, target = case.args()
    args += [f"--method={method}", f"--target={target}"]
    for flag, value in (("origin", origin), ("acrm", acrm), ("acrh", acrh)):
        if value is not None:
            args.append(f"--{flag}={value}")
    if command == "explain":
        args.append("--json")
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.parametrize("case", CORPUS, ids=name)
def test_same_as_cli(cli: str, case: Case, tmp_path: Path) -> None:
    rules = case.rule_set()
    method, origin, acrm, acrh, target = case.args()
    got = rules.evaluate(method, origin, acrm, acrh, target).to_dict()
    assert run_cli(cli, case, tmp_path, "eval") == got
    explained = rules.explain(method, origin, acrm, acrh, target)
    assert run_cli(cli, case, tmp_path, "explain") == explained.to_dict()
    assert explained.response.to_dict() == got
