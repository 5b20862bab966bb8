"""RuleSet.from_json: configurations kept as JSON, read as `corsmatch --from` reads them."""

import pathlib

import pytest

from corsmatch import ConfigError, RuleSet


def test_from_json_reads_the_json_forms() -> None:
    """The S3 console's and the AWS CLI's JSON, CloudFormation and Terraform, and the errors."""
    data = pathlib.Path(__file__).resolve().parents[2] / "core" / "tests" / "data" / "formats"
    xml = RuleSet.from_xml((data / "uploads.xml").read_bytes(), profile="s3")
    for name in ["console.json", "cli.json", "template.flipped.json", "plan.json", "state.json"]:
        rs = RuleSet.from_json((data / name).read_bytes())
        assert rs.profile == "s3", name
        got = rs.preflight("https://www.example.com", "GET")
        assert got.status == xml.preflight("https://www.example.com", "GET").status, name
    console = '[{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["PUT"]}]'
    rs = RuleSet.from_json(console, "oss")
    assert rs.profile == "oss" and rs.preflight("https://a.example", "PUT").status == 200
    with pytest.raises(ConfigError):
        RuleSet.from_json('[{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["COPY"]}]')
    with pytest.raises(ValueError, match="1:21: not valid JSON"):
        RuleSet.from_json('[{"AllowedOrigins": ')
    with pytest.raises(ValueError, match="from_xml"):
        RuleSet.from_json("<CORSConfiguration/>")
