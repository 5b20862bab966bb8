"""`corsmatch serve --profile s3` driven by the AWS CLI (awscli v1, from PyPI)."""

from __future__ import annotations

import contextlib
import io
import json
import os
from types import SimpleNamespace

import pytest
from awscli.clidriver import create_clidriver


@pytest.fixture
def aws(s3_server, h, tmp_path, monkeypatch):
    """`aws ARGS... --endpoint-url SERVER` run in this process (awscli's own entry point,
    `create_clidriver().main`), which saves the interpreter's start-up for each command."""
    for k in list(os.environ):
        if k.startswith("AWS_") and k != "AWS_DATA_PATH":  # awscli sets AWS_DATA_PATH on import
            monkeypatch.delenv(k)
    for k, v in dict(
        AWS_ACCESS_KEY_ID=h.ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=h.SECRET_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    ).items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, check: bool = True) -> SimpleNamespace:
        argv = [
            *args,
            "--endpoint-url", s3_server.endpoint,
            "--cli-connect-timeout", "10", "--cli-read-timeout", "15",
            "--output", "json",
        ]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = create_clidriver().main(argv)
        res = SimpleNamespace(returncode=rc, stdout=out.getvalue(), stderr=err.getvalue())
        if check:
            assert rc == 0, f"aws {' '.join(args)}: {rc}\n{res.stdout}\n{res.stderr}"
        return res

    return run


def test_put_and_get_bucket_cors(aws, s3, h, tmp_path):
    bucket = h.unique("cli")
    s3.create_bucket(Bucket=bucket)
    bad = {"CORSRules": [{"AllowedMethods": ["GET", "get"], "AllowedOrigins": ["*"]}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    out = aws("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", "file://bad.json", check=False)
    assert out.returncode != 0
    assert "(InvalidRequest)" in out.stderr, out.stderr
    assert "Found unsupported HTTP method in CORS config. Unsupported method is get" in out.stderr, out.stderr

    doc = {
        "CORSRules": [
            {
                "ID": "browser",
                "AllowedHeaders": ["Authorization", "Content-Type", "x-amz-*"],
                "AllowedMethods": ["PUT", "POST", "GET"],
                "AllowedOrigins": ["https://www.example.com", "https://*.example.com"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 3000,
            },
            {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]},
        ]
    }
    (tmp_path / "cors.json").write_text(json.dumps(doc))
    aws("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration", "file://cors.json")
    out = aws("s3api", "get-bucket-cors", "--bucket", bucket)
    assert json.loads(out.stdout) == doc
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == doc["CORSRules"]


def test_s3_cp_and_ls(aws, s3, h, tmp_path):
    bucket = h.unique("clicp")
    s3.create_bucket(Bucket=bucket)
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello from the aws cli\n" * 100)
    aws("s3", "cp", str(src), f"s3://{bucket}/dir/hello.txt")
    head = s3.head_object(Bucket=bucket, Key="dir/hello.txt")
    assert head["ETag"] == f'"{h.md5_hex(src.read_bytes())}"'
    out = aws("s3", "ls", f"s3://{bucket}/dir/")
    assert "hello.txt" in out.stdout and str(src.stat().st_size) in out.stdout, out.stdout
    aws("s3", "cp", f"s3://{bucket}/dir/hello.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_bytes() == src.read_bytes()
