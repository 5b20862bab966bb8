"""RuleSet.doctor and lint(sdk=, origin=): the doctor of `corsmatch doctor`, from Python."""

import json
import subprocess
import tempfile
from typing import Literal

import pytest

from corsmatch import RuleSet

ORIGIN = "https://app.example.com"


def rules(origin: str, methods: str, expose: str, profile: str = "s3") -> RuleSet:
    xml = (
        f"<CORSConfiguration><CORSRule><AllowedOrigin>{origin}</AllowedOrigin>"
        + "".join(f"<AllowedMethod>{m}</AllowedMethod>" for m in methods.split())
        + "<AllowedHeader>*</AllowedHeader>"
        + "".join(f"<ExposeHeader>{h}</ExposeHeader>" for h in expose.split())
        + "</CORSRule></CORSConfiguration>"
    )
    return RuleSet.from_xml(xml, profile=profile)


def reads(sdk: Literal["aws-js-v3", "ali-oss"]) -> str:
    """Every response header the SDK's operations read, from the report's requests."""
    report = rules(ORIGIN, "GET", "").doctor(ORIGIN, sdk)
    found = {h for op in report["operations"] for r in op["requests"] for h in r["reads"]}
    assert "etag" in found
    return " ".join(sorted(found))


def test_a_correct_configuration_passes() -> None:
    report = rules(ORIGIN, "GET PUT POST DELETE HEAD", reads("aws-js-v3")).doctor(ORIGIN, "aws-js-v3")
    assert report["sdk"] == "aws-js-v3" and report["origin"] == ORIGIN
    assert [o["ok"] for o in report["operations"]] == [True] * 8
    assert report["fixed_config"] is None


def test_etag_not_exposed_fails_the_multipart_upload_and_the_fix_works() -> None:
    report = rules(ORIGIN, "GET PUT POST DELETE HEAD", "").doctor(ORIGIN, "aws-js-v3")
    failing = [o["operation"] for o in report["operations"] if not o["ok"]]
    assert failing == ["MultipartUpload"]
    problem = report["operations"][4]["problems"][0]
    assert problem["kind"] == "expose"
    assert problem["fix"].startswith("add to rule 0: <ExposeHeader>ETag</ExposeHeader>")
    fixed = RuleSet.from_xml(report["fixed_config"], profile="s3")
    assert all(o["ok"] for o in fixed.doctor(ORIGIN, "aws-js-v3")["operations"])


def test_operations_and_errors() -> None:
    rs = rules(ORIGIN + "/", "GET PUT", reads("ali-oss"), profile="oss")
    report = rs.doctor(ORIGIN, "ali-oss", ["GetObject"])
    assert [o["operation"] for o in report["operations"]] == ["GetObject"]
    assert "trailing slash" in report["operations"][0]["problems"][0]["message"]
    with pytest.raises(ValueError, match="unknown SDK"):
        rs.doctor(ORIGIN, "boto3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown operation Copy"):
        rs.doctor(ORIGIN, "ali-oss", ["Copy"])
    with pytest.raises(ValueError, match="not an origin a page has"):
        rs.doctor(ORIGIN + "/", "ali-oss")


def test_lint_with_an_sdk_adds_its_findings() -> None:
    rs = rules(ORIGIN, "GET PUT", reads("aws-js-v3"))
    assert [f.id for f in rs.lint()] == []
    ids = [f.id for f in rs.lint(sdk="aws-js-v3", origin=ORIGIN)]
    assert ids and set(ids) <= {"sdk-preflight", "sdk-actual"}, ids
    with pytest.raises(ValueError):
        rs.lint(sdk="aws-js-v3")


def test_the_cli_says_the_same(cli: str) -> None:
    rs = rules(ORIGIN, "GET PUT", "")
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        xml = rs.to_xml()
        assert xml is not None
        f.write(xml)
        f.flush()
        out = subprocess.run(
            [cli, "doctor", "--config", f.name, "--origin", ORIGIN, "--sdk", "aws-js-v3", "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout) == rs.doctor(ORIGIN, "aws-js-v3")

