"""Every case of core/tests/data/*.json through the Python binding, the pure-Python oracle and
the CLI: all must give the expected answer, and the same one.

The CLI runs the adversarial cases too, each request as one line of ``eval --requests``
(JSON carries CR, LF, NUL and megabyte values, which argv cannot all carry), with the
configuration as a document: rules a document cannot carry (a NUL, an ESC) are left out,
exactly XML_CANNOT_CARRY. The binding refuses a request value with CR, LF or NUL; the CLI
answers it as the engine does (its output is JSON, where they are escaped), and that answer
is checked against the case and the oracle."""

from __future__ import annotations

import dataclasses
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
ADVERSARIAL = [c for c in CASES if c.adversarial and c.document() is not None]
# Adversarial rules with a character no XML document can carry; the CLI takes documents.
XML_CANNOT_CARRY = {"config-control-allowedorigin-00", "config-control-allowedheader-1b"}
# Linux refuses a single argument over 128 KiB; explain takes its request as arguments.
MAX_ARG = 100_000


def test_data_is_whole() -> None:
    files = {c.file for c in CASES}
    assert {"oss-cases.json", "s3-cases.json", "s3-public.json"} <= files
    assert sum(c.file == "s3-public.json" for c in CASES) == 74
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(c.request is not None for c in REQUESTS)
    # The adversarial CR, LF and NUL requests (8 cases, under 2 profiles, strict or not).
    assert sum(c.splits_headers for c in REQUESTS) == 32
    assert {c.id for c in CASES if c.adversarial and c.document() is None} == XML_CANNOT_CARRY
    assert sum(c.splits_headers for c in ADVERSARIAL) == 32


def test_refused_cases_name_their_error() -> None:
    """Every refused preflight of the corpus names its error, but the ceph/s3-tests vectors,
    which recorded none; and the check fails a refused case that names none."""
    unnamed = [c.id for c in CORPUS if c.refused and "error" not in c.expect]
    assert unnamed == ["st-18", "st-19", "st-20", "st-22", "st-23", "st-27", "st-30", "st-31", "st-35", "st-36"]
    assert all(c.body_unrecorded for c in CORPUS if c.id in unnamed)
    named = [c for c in CORPUS if c.refused and not c.body_unrecorded]
    assert len(named) >= 20
    for case in named:
        method, origin, acrm, acrh, target = case.args()
        got = case.rule_set().evaluate(method, origin, acrm, acrh, target).to_dict()
        assert check(case, got) == []
        expect = {k: v for k, v in case.expect.items() if k != "error"}
        problems = check(dataclasses.replace(case, expect=expect), got)
        assert "a refused case must name its error (expect.error)" in problems, case.id


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


def run_cli_lines(cli: str, case: Case, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``eval --requests`` on the case's document, with its one request as a JSON line."""
    document = case.document()
    assert document is not None
    config = tmp_path / "cors.xml"
    config.write_bytes(document)
    requests = tmp_path / "requests.jsonl"
    args = [cli, "eval", "--profile", case.profile, "--config", str(config), f"--max-document-bytes={MAX_DOCUMENT_BYTES}"]
    if case.strict:
        args.append("--strict-origins")
    if case.request is not None:
        method, origin, acrm, acrh, target = case.args()
        line = {"method": method, "origin": origin, "acrm": acrm, "acrh": acrh, "target": target}
        requests.write_text(json.dumps(line) + "\n", encoding="utf-8")
        args += ["--requests", str(requests)]
    else:
        args.append("--method=OPTIONS")
    return subprocess.run(args, capture_output=True, text=True)


def argv_carries(case: Case) -> bool:
    return all(v is None or ("\x00" not in v and len(v.encode()) < MAX_ARG) for v in case.args())


@pytest.mark.parametrize("case", ADVERSARIAL, ids=name)
def test_adversarial_same_as_cli(cli: str, case: Case, tmp_path: Path) -> None:
    done = run_cli_lines(cli, case, tmp_path)
    if "config_error" in case.expect:
        # The provider's refusal: exit 1, {"code", "message"} on standard output.
        assert done.returncode == 1, done.stderr
        assert json.loads(done.stdout)["code"] == case.expect["config_error"]
        return
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    got = json.loads(lines[0])
    # The case's answer, and exactly the oracle's (status, headers, rule, code, message, body).
    assert check(case, got) == []
    rules = case.rule_set()
    method, origin, acrm, acrh, target = case.args()
    assert got == case.oracle(rules).respond(method, origin, acrm, acrh, target)
    if not case.splits_headers:
        assert got == rules.evaluate(method, origin, acrm, acrh, target).to_dict()
    if not argv_carries(case):
        return
    # explain takes the request as arguments: CR and LF go through argv, NUL cannot.
    args = [cli, "explain", "--json", "--profile", case.profile, "--config", str(tmp_path / "cors.xml")]
    args += [f"--max-document-bytes={MAX_DOCUMENT_BYTES}", f"--method={method}", f"--target={target}"]
    if case.strict:
        args.append("--strict-origins")
    for flag, value in (("origin", origin), ("acrm", acrm), ("acrh", acrh)):
        if value is not None:
            args.append(f"--{flag}={value}")
    explained = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert explained["response"] == got
    if not case.splits_headers:
        assert explained == rules.explain(method, origin, acrm, acrh, target).to_dict()
