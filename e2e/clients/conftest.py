"""Shared fixtures for the real-client tests of `corsmatch serve` (ENDPOINT.md).

Servers are started through `serveproc.Serve` (their own loopback port, `--credentials`),
stopped in the fixtures' teardown. Every HTTP call made here or by the SDKs has a timeout.
The oracle of the CORS cross-check is `corsmatch eval --requests -` on the same configuration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import subprocess
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import boto3
import oss2
import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from serveproc import ACCESS_KEY, BIN, ROOT, SECRET_KEY, Serve  # noqa: E402

# Seconds for any one HTTP exchange (connect and each read).
HTTP_TIMEOUT = 15
REGION = "us-east-1"
VERSION_HEADER = "x-corsmatch-config-version"

oss2.defaults.connect_timeout = HTTP_TIMEOUT
oss2.defaults.request_retries = 1


# ---------------------------------------------------------------------------------------------
# Servers and clients


@pytest.fixture(scope="session")
def s3_server():
    srv = Serve("--profile", "s3")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def oss_server():
    srv = Serve("--profile", "oss")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def start_server():
    """`start_server(*args, credentials=True)` -> a Serve stopped at the end of the test."""
    started: list[Serve] = []

    def start(*args: str, credentials: bool = True) -> Serve:
        srv = Serve(*args, credentials=credentials)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


def make_s3_client(
    endpoint: str,
    addressing: str = "path",
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    signature_version: str = "s3v4",
):
    cfg = Config(
        region_name=REGION,
        signature_version=signature_version,
        s3={"addressing_style": addressing},
        connect_timeout=HTTP_TIMEOUT,
        read_timeout=HTTP_TIMEOUT,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
        config=cfg,
    )


@pytest.fixture(scope="session")
def s3(s3_server):
    """A boto3 S3 client, path-style, on the session's s3 server."""
    return make_s3_client(s3_server.endpoint)


@pytest.fixture(scope="session")
def oss_auth():
    return oss2.Auth(ACCESS_KEY, SECRET_KEY)


def oss_bucket(endpoint: str, name: str, auth: Any = None, **kw: Any) -> oss2.Bucket:
    return oss2.Bucket(auth or oss2.Auth(ACCESS_KEY, SECRET_KEY), endpoint, name, connect_timeout=HTTP_TIMEOUT, **kw)


def unique(prefix: str) -> str:
    """A fresh bucket name valid for both providers (lowercase, digits, hyphens, 3..63)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def localhost_subdomains(monkeypatch):
    """Resolve `*.localhost` to 127.0.0.1 in this process (virtual-hosted addressing), as
    browsers and systemd-resolved do; the machine's resolver may not."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kw):
        if isinstance(host, bytes):
            host = host.decode()
        if isinstance(host, str) and (host == "localhost" or host.endswith(".localhost")):
            host = "127.0.0.1"
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# ---------------------------------------------------------------------------------------------
# HTTP helpers


def http(method: str, url: str, **kw: Any) -> requests.Response:
    kw.setdefault("timeout", HTTP_TIMEOUT)
    kw.setdefault("allow_redirects", False)
    return requests.request(method, url, **kw)


def wire_headers(resp: requests.Response) -> list[tuple[str, str]]:
    """The response's headers in wire order, duplicates kept."""
    orig = getattr(resp.raw, "_original_response", None)
    if orig is not None and getattr(orig, "msg", None) is not None:
        return [(k, v) for k, v in orig.msg.items()]
    return list(resp.raw.headers.items())


def cors_headers(resp: requests.Response) -> list[tuple[str, str]]:
    """`Access-Control-*` and `Vary`, in order, names lowercased."""
    return [
        (k.lower(), v)
        for k, v in wire_headers(resp)
        if k.lower().startswith("access-control-") or k.lower() == "vary"
    ]


def expected_cors_headers(result: dict) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in result["headers"]]


def error_fields(body: bytes | str) -> dict[str, str]:
    """The children of an XML `<Error>` body, tag -> text (RequestId and HostId left out)."""
    if isinstance(body, str):
        body = body.encode()
    root = ET.fromstring(body)
    assert root.tag == "Error", body
    return {c.tag: (c.text or "") for c in root if c.tag not in ("RequestId", "HostId")}


def config_version(headers: Any) -> int:
    """`x-corsmatch-config-version` from a requests / boto3 / oss2 header mapping."""
    value = None
    for k, v in dict(headers).items():
        if k.lower() == VERSION_HEADER:
            value = v
    assert value is not None, f"no {VERSION_HEADER} in {dict(headers)}"
    assert value.strip().isdigit(), value
    return int(value)


# ---------------------------------------------------------------------------------------------
# The oracle: corsmatch eval


def corsmatch_eval(
    config_xml: Optional[str | bytes], profile: str, reqs: Iterable[dict], extra: Iterable[str] = ()
) -> list[dict]:
    """`corsmatch eval --requests -` for each request (dicts with method, origin, acrm, acrh,
    target); `config_xml=None` is a bucket without configuration."""
    reqs = list(reqs)
    with tempfile.TemporaryDirectory() as d:
        cmd = [BIN, "eval", "--profile", profile, *extra, "--requests", "-"]
        if config_xml is None:
            cmd.append("--no-config")
        else:
            p = Path(d) / "cors.xml"
            p.write_bytes(config_xml.encode() if isinstance(config_xml, str) else config_xml)
            cmd += ["--config", str(p)]
        stdin = "".join(json.dumps(r) + "\n" for r in reqs)
        out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == len(reqs), out.stdout
    return lines


def corsmatch_check(config_xml: str | bytes, profile: str) -> Optional[dict]:
    """None when `corsmatch check` accepts the document, else its {"code", "message"}."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "cors.xml"
        p.write_bytes(config_xml.encode() if isinstance(config_xml, str) else config_xml)
        out = subprocess.run(
            [BIN, "check", "--profile", profile, "--config", str(p)], capture_output=True, text=True, timeout=30
        )
    if out.returncode == 0:
        return None
    assert out.returncode == 1, (out.returncode, out.stderr)
    return json.loads(out.stdout)


def cross_check(
    profile: str,
    config_xml: Optional[str],
    cases: list[dict],
    version: Optional[int] = None,
    eval_args: Iterable[str] = (),
) -> None:
    """Send each case unsigned with `requests` and compare with `corsmatch eval`.

    A case: {"method", "url", "target", "origin"?, "acrm"?, "acrh"?, "host"?, "headers"?,
    "data"?, "status"? (expected status of an actual request, the operation's),
    "code"? (expected error code of an actual request)}.
    Preflights: status, every Access-Control-* and Vary header, and the XML error body's
    fields equal eval's. Actual requests: the CORS headers equal eval's.
    `eval_args`: the options the server was started with (`--no-credentials`, ...).
    `version`: every response about an existing bucket carries x-corsmatch-config-version
    equal to it (the configuration that decided the answer).
    """
    oracle = corsmatch_eval(
        config_xml,
        profile,
        [
            {k: c.get(k) for k in ("method", "origin", "acrm", "acrh")} | {"target": c["target"]}
            for c in cases
        ],
        eval_args,
    )
    failures = []
    for case, want in zip(cases, oracle):
        headers = dict(case.get("headers") or {})
        if case.get("origin") is not None:
            headers["Origin"] = case["origin"]
        if case.get("acrm") is not None:
            headers["Access-Control-Request-Method"] = case["acrm"]
        if case.get("acrh") is not None:
            headers["Access-Control-Request-Headers"] = case["acrh"]
        if case.get("host") is not None:
            headers["Host"] = case["host"]
        resp = http(case["method"], case["url"], headers=headers, data=case.get("data"))
        got = cors_headers(resp)
        label = f"{case['method']} {case['url']} {headers}"
        problems = []
        if case["target"] != "nonexistent-bucket":
            v = resp.headers.get(VERSION_HEADER)
            if v is None:
                problems.append(f"no {VERSION_HEADER}")
            elif version is not None and v.strip() != str(version):
                problems.append(f"{VERSION_HEADER}: {v}, the installed configuration is version {version}")
        if case["method"] == "OPTIONS":
            if resp.status_code != want["status"]:
                problems.append(f"status {resp.status_code}, eval says {want['status']}")
            if got != expected_cors_headers(want):
                problems.append(f"CORS headers {got}, eval says {expected_cors_headers(want)}")
            if want["error"] is None:
                if resp.content not in (b"",):
                    problems.append(f"a successful preflight has a body: {resp.content[:300]!r}")
            else:
                try:
                    fields = error_fields(resp.content)
                except Exception as e:  # noqa: BLE001
                    problems.append(f"error body is not XML ({e}): {resp.content[:300]!r}")
                else:
                    wanted = error_fields(want["error"]["body"])
                    if fields != wanted:
                        problems.append(f"error body {fields}, eval says {wanted}")
        else:
            assert want["status"] is None
            if got != expected_cors_headers(want):
                problems.append(f"CORS headers {got}, eval says {expected_cors_headers(want)}")
            if "status" in case and resp.status_code != case["status"]:
                problems.append(f"status {resp.status_code}, the operation should give {case['status']}")
            if "code" in case:
                try:
                    code = error_fields(resp.content).get("Code")
                except Exception:  # noqa: BLE001
                    code = None
                if code != case["code"]:
                    problems.append(f"error code {code}, expected {case['code']}: {resp.content[:300]!r}")
        if problems:
            failures.append(
                f"{label}\n    -> {resp.status_code} {wire_headers(resp)} {resp.content[:400]!r}\n    "
                + "\n    ".join(problems)
            )
    assert not failures, f"{len(failures)} of {len(cases)} requests disagree with corsmatch eval:\n" + "\n".join(
        failures
    )


def standard_cases(profile: str, endpoint: str, port: int, bucket: str, key: str, missing: str) -> list[dict]:
    """The request table of the cross-check, for `cross_check`'s configuration
    `cross_check_rules(profile)` installed on `bucket`, which holds the object `key`
    (readable by anyone: public-read) and no other; `missing` is a bucket that does not exist.
    """
    obj = f"{endpoint}/{bucket}/{key}"
    meta = "x-amz-meta-a" if profile == "s3" else "x-oss-meta-a"
    www, app, evil = "https://www.example.com", "https://app.example.com", "https://evil.example.net"
    vhost_obj = f"http://127.0.0.1:{port}/{key}"
    vhost = f"{bucket}.localhost:{port}"
    o = "object"
    cases = [
        # preflights on the object URL
        dict(method="OPTIONS", url=obj, target=o, origin=www, acrm="PUT", acrh=f"Content-Type, {meta}"),
        dict(method="OPTIONS", url=obj, target=o, origin=app, acrm="PUT"),
        dict(method="OPTIONS", url=obj, target=o, origin=app, acrm="POST", acrh=f"{meta.upper()} ,\tcontent-type,,"),
        dict(method="OPTIONS", url=obj, target=o, origin=www, acrm="GET", acrh="authorization, x-amz-date"
             if profile == "s3" else "authorization, x-oss-date"),
        dict(method="OPTIONS", url=obj, target=o, origin=evil, acrm="PUT"),
        dict(method="OPTIONS", url=obj, target=o, origin=evil, acrm="GET"),
        dict(method="OPTIONS", url=obj, target=o, origin=evil, acrm="HEAD", acrh="x-anything"),
        dict(method="OPTIONS", url=obj, target=o, origin=www, acrm="PUT", acrh="x-forbidden"),
        dict(method="OPTIONS", url=obj, target=o, origin=www, acrm="DELETE"),
        dict(method="OPTIONS", url=obj, target=o, acrm="PUT"),
        dict(method="OPTIONS", url=obj, target=o, origin=www),
        dict(method="OPTIONS", url=obj, target=o),
        dict(method="OPTIONS", url=obj, target=o, origin=www, acrm="get"),
        dict(method="OPTIONS", url=obj, target=o, origin=www, acrm="PATCH"),
        dict(method="OPTIONS", url=obj, target=o, origin="http://a.com", acrm="DELETE"),
        dict(method="OPTIONS", url=obj, target=o, origin="http://aa.com", acrm="DELETE"),
        dict(method="OPTIONS", url=obj, target=o, origin="https://WWW.example.com", acrm="PUT"),
        dict(method="OPTIONS", url=obj, target=o, origin="https://www.example.com/", acrm="PUT"),
        # a preflight ignores signatures, good or bad, in the header or the query
        dict(method="OPTIONS", url=obj, target=o, origin=www, acrm="PUT",
             headers={"Authorization": "AWS4-HMAC-SHA256 Credential=NOPE/20250101/us-east-1/s3/aws4_request, "
                      "SignedHeaders=host, Signature=00"}),
        dict(method="OPTIONS", url=obj + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=NOPE%2F20250101%2F"
             "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
             "&X-Amz-Signature=00", target=o, origin=evil, acrm="PUT"),
        dict(method="OPTIONS", url=obj + "?OSSAccessKeyId=NOPE&Expires=1&Signature=AAAA", target=o, origin=app,
             acrm="PUT"),
        # preflights on the bucket URL, path style and virtual-hosted
        dict(method="OPTIONS", url=f"{endpoint}/{bucket}", target="bucket", origin=www, acrm="PUT"),
        dict(method="OPTIONS", url=f"{endpoint}/{bucket}/", target="bucket", origin=evil, acrm="PUT"),
        dict(method="OPTIONS", url=f"{endpoint}/{bucket}/", target="bucket", origin=evil, acrm="GET"),
        dict(method="OPTIONS", url=f"http://127.0.0.1:{port}/", host=vhost, target="bucket", origin=evil, acrm="POST"),
        dict(method="OPTIONS", url=f"http://127.0.0.1:{port}/", host=vhost, target="bucket", origin=app, acrm="POST"),
        dict(method="OPTIONS", url=vhost_obj, host=vhost, target=o, origin=www, acrm="PUT", acrh="content-type"),
        dict(method="OPTIONS", url=vhost_obj, host=vhost, target=o, origin=evil, acrm="DELETE"),
        # preflights on a bucket that does not exist
        dict(method="OPTIONS", url=f"{endpoint}/{missing}/{key}", target="nonexistent-bucket", origin=www, acrm="PUT"),
        dict(method="OPTIONS", url=f"{endpoint}/{missing}", target="nonexistent-bucket", origin=evil, acrm="GET"),
        dict(method="OPTIONS", url=f"http://127.0.0.1:{port}/{key}", host=f"{missing}.localhost:{port}",
             target="nonexistent-bucket", origin=www, acrm="GET"),
        # actual requests (anonymous): the operation decides the status, the engine the headers
        dict(method="GET", url=obj, target=o, origin=www, status=200),
        dict(method="GET", url=obj, target=o, origin=evil, status=200),
        dict(method="GET", url=obj, target=o, status=200),
        dict(method="GET", url=obj, target=o, origin=evil, acrm="PUT", status=200),
        dict(method="GET", url=obj, target=o, origin=www, acrm="PUT", acrh="content-type", status=200),
        dict(method="GET", url=obj, target=o, origin=www, acrh="x-forbidden", status=200),
        dict(method="HEAD", url=obj, target=o, origin=app, status=200),
        dict(method="GET", url=vhost_obj, host=vhost, target=o, origin=app, status=200),
        dict(method="PUT", url=obj, target=o, origin=www, data=b"nope", status=403, code="AccessDenied"),
        dict(method="PUT", url=f"{endpoint}/{bucket}/other-{key}", target=o, origin=evil, data=b"nope", status=403,
             code="AccessDenied"),
        dict(method="DELETE", url=obj, target=o, origin="http://aba.com", status=403, code="AccessDenied"),
        dict(method="GET", url=f"{endpoint}/{bucket}/no-such-{key}", target=o, origin=www),
        dict(method="GET", url=f"{endpoint}/{bucket}", target="bucket", origin=www, status=403, code="AccessDenied"),
        dict(method="GET", url=f"{endpoint}/{bucket}/", target="bucket", origin=evil, status=403, code="AccessDenied"),
        dict(method="GET", url=f"{endpoint}/{missing}/{key}", target="nonexistent-bucket", origin=www, status=404,
             code="NoSuchBucket"),
        dict(method="PUT", url=f"{endpoint}/{missing}/{key}", target="nonexistent-bucket", origin=evil, data=b"x",
             status=404, code="NoSuchBucket"),
    ]
    return cases


def cross_check_rules(profile: str) -> list[dict]:
    """The configuration of the cross-check, in boto3's shape (no ID under oss)."""
    rules = [
        {
            "AllowedOrigins": ["https://www.example.com", "https://*.example.com"],
            "AllowedMethods": ["PUT", "POST", "GET"],
            "AllowedHeaders": ["Content-Type", "x-amz-*" if profile == "s3" else "x-oss-*", "Authorization"],
            "ExposeHeaders": ["ETag", "x-amz-request-id" if profile == "s3" else "x-oss-request-id"],
            "MaxAgeSeconds": 600,
        },
        {"AllowedOrigins": ["http://a*a.com"], "AllowedMethods": ["DELETE"]},
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "MaxAgeSeconds": 3600},
    ]
    if profile == "s3":
        rules[0]["ID"] = "browser-upload"
        rules[2]["ID"] = "anyone-reads"
    return rules


# ---------------------------------------------------------------------------------------------
# SigV4 by hand, for documents the SDK refuses to send (e.g. MaxAgeSeconds "abc")


def sigv4_request(
    method: str,
    url: str,
    body: bytes = b"",
    headers: Optional[dict] = None,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    content_md5: bool | str = True,
) -> requests.Response:
    headers = dict(headers or {})
    if content_md5 is True and body:
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    elif isinstance(content_md5, str):
        headers["Content-MD5"] = content_md5
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    S3SigV4Auth(Credentials(access_key, secret_key), "s3", REGION).add_auth(req)
    prepared = req.prepare()
    return http(method, prepared.url, headers=dict(prepared.headers), data=body)


# ---------------------------------------------------------------------------------------------
# CORS documents as dicts (boto3's shape) and as XML


def s3_rules_to_xml(rules: list[dict], namespace: bool = True) -> str:
    ns = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' if namespace else ""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration{ns}>']
    for r in rules:
        out.append("<CORSRule>")
        if "ID" in r:
            out.append(f"<ID>{_esc(r['ID'])}</ID>")
        for tag, key in (
            ("AllowedHeader", "AllowedHeaders"),
            ("AllowedMethod", "AllowedMethods"),
            ("AllowedOrigin", "AllowedOrigins"),
            ("ExposeHeader", "ExposeHeaders"),
        ):
            for v in r.get(key, []):
                out.append(f"<{tag}>{_esc(v)}</{tag}>")
        if "MaxAgeSeconds" in r:
            out.append(f"<MaxAgeSeconds>{r['MaxAgeSeconds']}</MaxAgeSeconds>")
        out.append("</CORSRule>")
    out.append("</CORSConfiguration>")
    return "".join(out)


def oss_cors_to_xml(cors: oss2.models.BucketCors) -> str:
    return oss2.xml_utils.to_put_bucket_cors(cors).decode()


def parse_rules_xml(data: bytes | str) -> tuple[list[dict], Optional[str]]:
    """Rules of a CORSConfiguration document (namespace ignored) in boto3's shape, and the
    text of ResponseVary when present."""
    if isinstance(data, str):
        data = data.encode()
    root = ET.fromstring(data)

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    assert local(root.tag) == "CORSConfiguration", data
    rules = []
    vary = None
    keys = {
        "AllowedHeader": "AllowedHeaders",
        "AllowedMethod": "AllowedMethods",
        "AllowedOrigin": "AllowedOrigins",
        "ExposeHeader": "ExposeHeaders",
    }
    for node in root:
        if local(node.tag) == "ResponseVary":
            vary = (node.text or "").strip()
        if local(node.tag) != "CORSRule":
            continue
        rule: dict[str, Any] = {}
        for child in node:
            tag = local(child.tag)
            text = child.text or ""
            if tag in keys:
                rule.setdefault(keys[tag], []).append(text)
            elif tag == "MaxAgeSeconds":
                rule["MaxAgeSeconds"] = int(text)
            elif tag == "ID":
                rule["ID"] = text
        rules.append(rule)
    return rules, vary


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts: list[bytes]) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f"{hashlib.md5(joined).hexdigest()}-{len(parts)}"


def wait_until(pred: Callable[[], bool], timeout: float = 10.0, interval: float = 0.1) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


# Helpers reachable from the test modules without importing conftest by name.
class H:
    ACCESS_KEY = ACCESS_KEY
    SECRET_KEY = SECRET_KEY
    ROOT = ROOT
    BIN = BIN
    HTTP_TIMEOUT = HTTP_TIMEOUT
    VERSION_HEADER = VERSION_HEADER
    http = staticmethod(http)
    wire_headers = staticmethod(wire_headers)
    cors_headers = staticmethod(cors_headers)
    error_fields = staticmethod(error_fields)
    config_version = staticmethod(config_version)
    corsmatch_eval = staticmethod(corsmatch_eval)
    corsmatch_check = staticmethod(corsmatch_check)
    cross_check = staticmethod(cross_check)
    standard_cases = staticmethod(standard_cases)
    cross_check_rules = staticmethod(cross_check_rules)
    sigv4_request = staticmethod(sigv4_request)
    s3_rules_to_xml = staticmethod(s3_rules_to_xml)
    oss_cors_to_xml = staticmethod(oss_cors_to_xml)
    parse_rules_xml = staticmethod(parse_rules_xml)
    make_s3_client = staticmethod(make_s3_client)
    oss_bucket = staticmethod(oss_bucket)
    unique = staticmethod(unique)
    md5_hex = staticmethod(md5_hex)
    multipart_etag = staticmethod(multipart_etag)
    wait_until = staticmethod(wait_until)


@pytest.fixture(scope="session")
def h() -> type[H]:
    return H
