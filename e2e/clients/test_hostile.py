"""Hostile input for `corsmatch serve` as a local S3/OSS endpoint (shared/spec/ENDPOINT.md,
above all its "Security" section).

Every bad request gets the provider's error (status and XML `<Code>`): never a panic, never a
5xx (except `NotImplemented` 501), never a 200 that did nothing; and the server still answers
afterwards. Slow clients are disconnected within the server's own timeouts, read from
`cli/src/serve/limits.rs`. Memory does not grow with the bytes a client sends but the server
does not keep. Raw sockets (`socket`, `http.client`) where a library would refuse or fix the
request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.client
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zlib
from pathlib import Path

import boto3
import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serveproc import ACCESS_KEY, BIN, ROOT, SECRET_KEY, Serve  # noqa: E402

TIMEOUT = (5, 30)
BUCKET = "hbucket"
SEED = b"seed object: the server must keep answering this\n"
CORS_XML = b"""<CORSConfiguration>
<CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>
<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
<AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>
<MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>
<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
</CORSConfiguration>"""
VERSION = "x-corsmatch-config-version"
LIMITS_RS = ROOT / "cli" / "src" / "serve" / "limits.rs"
MiB = 1024 * 1024
# s3: an object is private unless its own ACL says otherwise, whatever the bucket's
PUBLIC_READ = {"x-amz-acl": "public-read"}

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def session() -> requests.Session:
    """A fresh connection per request: whether the server keeps a connection usable after
    a refusal is tested once, on raw sockets (test_refused_bodies_leave_the_connection_usable),
    rather than making every other test depend on it."""
    s = requests.Session()
    s.trust_env = False
    s.headers["Connection"] = "close"
    return s


class Owner:
    """Raw requests signed with SigV4 (any key pair), sent with requests."""

    def __init__(self, endpoint: str, ak: str = ACCESS_KEY, sk: str = SECRET_KEY) -> None:
        self.endpoint = endpoint
        self.s = session()
        self.creds = Credentials(ak, sk)

    def signed_headers(self, method: str, url: str, body: bytes = b"", headers: dict | None = None) -> dict:
        req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        S3SigV4Auth(self.creds, "s3", "us-east-1").add_auth(req)
        return dict(req.headers.items())

    def request(self, method: str, path: str, query: str = "", body: bytes = b"",
                headers: dict | None = None) -> requests.Response:
        url = self.endpoint + path + (("?" + query) if query else "")
        return self.s.request(method, url, data=body, headers=self.signed_headers(method, url, body, headers),
                              timeout=TIMEOUT)

    def put_cors(self, bucket: str, xml: bytes, md5: str | None = None) -> requests.Response:
        md5 = md5 if md5 is not None else base64.b64encode(hashlib.md5(xml).digest()).decode()
        return self.request("PUT", f"/{bucket}", "cors", xml, {"Content-MD5": md5, "Content-Type": "application/xml"})

    def get_cors(self, bucket: str) -> requests.Response:
        return self.request("GET", f"/{bucket}", "cors")


def s3client(endpoint: str, signature_version: str = "s3v4"):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"},
                      signature_version=signature_version,
                      connect_timeout=5, read_timeout=30,
                      request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"),
    )


def code_of(body: bytes | str) -> str | None:
    if isinstance(body, str):
        body = body.encode()
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


def show(r: requests.Response) -> str:
    return f"{r.request.method} {r.request.url} -> {r.status_code} {r.content[:400]!r}"


def expect_error(r: requests.Response, status: int | tuple, code: str | tuple) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    codes = code if isinstance(code, tuple) else (code,)
    assert r.status_code in statuses and code_of(r.content) in codes, \
        f"want {statuses} {codes}: {show(r)}"


def client_error(e: ClientError) -> tuple[int, str]:
    return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]


def check_config(xml: bytes, profile: str) -> dict | None:
    """`corsmatch check`: None when valid, else {"code", "message"} as the provider refuses it."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(xml)
        f.flush()
        p = subprocess.run([BIN, "check", "--profile", profile, "--config", f.name], capture_output=True, timeout=30)
    if p.returncode == 0:
        return None
    assert p.returncode == 1, p.stderr
    return json.loads(p.stdout)


def eval_one(profile: str, method: str, origin=None, acrm=None, acrh=None, target="object",
             config: bytes | None = CORS_XML) -> dict:
    """`corsmatch eval` for one request; `config=None`: a bucket without CORS configuration."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(config or b"")
        f.flush()
        line = json.dumps({"method": method, "origin": origin, "acrm": acrm, "acrh": acrh, "target": target})
        cfg = ["--config", f.name] if config is not None else ["--no-config"]
        p = subprocess.run([BIN, "eval", "--profile", profile, *cfg, "--requests", "-"],
                           input=line.encode() + b"\n", capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def cors_of(r: requests.Response) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in r.raw.headers.items()
                  if k.lower().startswith("access-control-") or k.lower() == "vary")


def raw_exchange(port: int, payload: bytes, timeout: float = 15.0) -> tuple[int | None, dict, bytes, str]:
    """Send `payload` on a fresh connection; parse one response with http.client.
    Returns (status or None, headers lowercased, body, note)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    note = ""
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError) as e:
            note = f"send: {e!r}"
        method = payload.split(b" ", 1)[0].decode("latin-1")
        resp = http.client.HTTPResponse(s, method=method)
        try:
            resp.begin()
        except (http.client.HTTPException, ConnectionResetError, OSError) as e:
            return None, {}, b"", f"{note} no response: {e!r}"
        headers = {k.lower(): v for k, v in resp.getheaders()}
        try:
            body = resp.read()
        except (http.client.HTTPException, ConnectionResetError, OSError) as e:
            body = b""
            note += f" body: {e!r}"
        return resp.status, headers, body, note
    finally:
        s.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def alive(srv: Serve) -> None:
    """The server still answers, and nothing panicked."""
    assert srv.proc.poll() is None, f"server exited: {''.join(srv.stderr)[-3000:]}"
    r = session().get(f"{srv.endpoint}/{BUCKET}/seed", timeout=TIMEOUT)
    assert r.status_code == 200 and r.content == SEED, show(r)
    panics = [line for line in srv.stderr if "panicked" in line]
    assert not panics, "server panicked:\n" + "".join(srv.stderr)[-4000:]


# ---------------------------------------------------------------------------------------------
# The server's limits, read from cli/src/serve/limits.rs
# ---------------------------------------------------------------------------------------------


def _eval_int(expr: str) -> int | None:
    e = expr.replace("_", "").strip()
    if not re.fullmatch(r"[0-9\s\*\+\-\(\)<>]+", e):
        return None
    try:
        return int(eval(e, {"__builtins__": {}}, {}))  # noqa: S307 - digits and operators only
    except Exception:  # noqa: BLE001
        return None


def read_limits() -> dict[str, float]:
    """Named constants of limits.rs: Durations in seconds, integers as they are."""
    out: dict[str, float] = {}
    if not LIMITS_RS.exists():
        return out
    text = LIMITS_RS.read_text()
    for name, value in re.findall(r"const\s+([A-Z0-9_]+)\s*:\s*[^=]+=\s*([^;]+);", text):
        m = re.search(r"Duration::from_(secs|millis)\(\s*([^)]+)\)", value)
        if m:
            n = _eval_int(m.group(2))
            if n is not None:
                out[name] = n / (1000.0 if m.group(1) == "millis" else 1.0)
            continue
        n = _eval_int(value)
        if n is not None:
            out[name] = n
    return out


def limit_named(limits: dict[str, float], *names: str, durations: bool) -> tuple[str, float] | None:
    """The first of `names` that limits.rs defines (exact names first, then any name that
    contains one of them), as (name, value)."""
    def kind_ok(v: float) -> bool:
        return isinstance(v, float) == durations
    for n in names:
        if n in limits and kind_ok(limits[n]):
            return n, limits[n]
    for n in names:
        for name, v in sorted(limits.items()):
            if n in name and kind_ok(v):
                return name, v
    return None


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    s = Serve("--profile", "s3", "--log", str(d / "decisions.log"))
    s.log_path = d / "decisions.log"  # type: ignore[attr-defined]
    try:
        owner = Owner(s.endpoint)
        r = owner.request("PUT", f"/{BUCKET}", headers={"x-amz-acl": "public-read-write"})
        assert r.status_code == 200, show(r)
        r = owner.put_cors(BUCKET, CORS_XML)
        assert r.status_code == 200, show(r)
        r = session().put(f"{s.endpoint}/{BUCKET}/seed", data=SEED, headers=PUBLIC_READ, timeout=TIMEOUT)
        assert r.status_code == 200, show(r)
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def oss(tmp_path_factory):
    s = Serve("--profile", "oss", "--bucket", "obucket")
    try:
        yield s
    finally:
        s.stop()


def cors_state(srv: Serve) -> tuple[int, str | None, bytes]:
    r = Owner(srv.endpoint).get_cors(BUCKET)
    return r.status_code, r.headers.get(VERSION), r.content


def absent(srv: Serve, key: str) -> None:
    r = session().get(f"{srv.endpoint}/{BUCKET}/{key}", timeout=TIMEOUT)
    assert r.status_code == 404 and code_of(r.content) == "NoSuchKey", f"{key} should not exist: {show(r)}"


# ---------------------------------------------------------------------------------------------
# PutBucketCors: malformed and oversized documents
# ---------------------------------------------------------------------------------------------

MALFORMED = {
    "empty": b"",
    "not-xml": b"this is not xml",
    "unclosed": b"<CORSConfiguration><CORSRule>",
    "no-rules": b"<CORSConfiguration></CORSConfiguration>",
    "empty-rule": b"<CORSConfiguration><CORSRule></CORSRule></CORSConfiguration>",
    "wrong-root": b"<Foo><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></Foo>",
    "entities": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><CORSConfiguration><CORSRule><AllowedOrigin>&c;</AllowedOrigin>'
                b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    "bad-method": b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>FOO</AllowedMethod></CORSRule></CORSConfiguration>",
    "two-wildcards": b"<CORSConfiguration><CORSRule><AllowedOrigin>a*b*c</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    "negative-max-age": b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                        b"<MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule></CORSConfiguration>",
    "not-utf8": b"\xff\xfe<CORSConfiguration>\xff</CORSConfiguration>",
    "nul-in-origin": b"<CORSConfiguration><CORSRule><AllowedOrigin>a&#0;b</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    "cr-in-origin": b"<CORSConfiguration><CORSRule><AllowedOrigin>https://a&#13;&#10;Set-Cookie: x</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    "deep-nesting": b"<CORSConfiguration>" + b"<CORSRule>" * 5000 + b"</CORSRule>" * 5000 + b"</CORSConfiguration>",
}


def big_doc(target_bytes: int, rules: int) -> bytes:
    """A document that is valid but for its size: `rules` rules with long origins."""
    per = max(1, (target_bytes // rules - 120) // 60)
    body = []
    for i in range(rules):
        origins = "".join(f"<AllowedOrigin>https://host-{i}-{j}.padding.example.com</AllowedOrigin>" for j in range(per))
        body.append(f"<CORSRule>{origins}<AllowedMethod>GET</AllowedMethod></CORSRule>")
    doc = ("<CORSConfiguration>" + "".join(body) + "</CORSConfiguration>").encode()
    assert len(doc) > target_bytes, len(doc)
    return doc


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_put_bucket_cors_refuses_bad_documents(srv, name):
    body = MALFORMED[name]
    want = check_config(body, "s3")
    assert want is not None, "test document should be invalid"
    before = cors_state(srv)
    r = Owner(srv.endpoint).put_cors(BUCKET, body)
    assert r.status_code == 400, show(r)
    assert code_of(r.content) == want["code"], f"want {want}: {show(r)}"
    msg = re.search(rb"<Message>([^<]*)</Message>", r.content)
    assert msg and html.unescape(msg.group(1).decode()) == want["message"], \
        f"want message {want['message']!r}: {show(r)}"
    assert cors_state(srv) == before, "a refused PutBucketCors changed the configuration"
    alive(srv)


@pytest.mark.parametrize("size", [65 * 1024, 1 * MiB])
def test_put_bucket_cors_over_s3_size_limit(srv, size):
    doc = big_doc(size, 100 if size < MiB else 100)
    want = check_config(doc, "s3")
    assert want is not None and want["code"] == "MalformedXML", want
    before = cors_state(srv)
    r = Owner(srv.endpoint).put_cors(BUCKET, doc)
    expect_error(r, 400, "MalformedXML")
    assert cors_state(srv) == before
    alive(srv)


def test_put_bucket_cors_over_oss_size_limit(oss):
    doc = big_doc(17 * 1024, 10)
    assert len(doc) < 64 * 1024
    want = check_config(doc, "oss")
    assert want is not None and want["code"] == "MalformedXML", want
    r = Owner(oss.endpoint).put_cors("obucket", doc)
    expect_error(r, 400, "MalformedXML")
    r = Owner(oss.endpoint).get_cors("obucket")
    expect_error(r, 404, "NoSuchCORSConfiguration")
    assert oss.proc.poll() is None


# ---------------------------------------------------------------------------------------------
# Bucket names
# ---------------------------------------------------------------------------------------------

BAD_S3_NAMES = ["BadBucket", "ab", "a..b", "192.168.5.4", "a" * 64, "-abc", "abc-", "a_b", "abc.-def"]


@pytest.mark.parametrize("name", BAD_S3_NAMES)
def test_create_bucket_bad_name_s3(srv, name):
    owner = Owner(srv.endpoint)
    r = owner.request("PUT", f"/{name}")
    expect_error(r, 400, "InvalidBucketName")
    listing = owner.request("GET", "/")
    assert listing.status_code == 200, show(listing)
    assert f"<Name>{name}</Name>".encode() not in listing.content, "the bad bucket was created"
    alive(srv)


@pytest.mark.parametrize("name", ["Upper-case", "a.b.c", "ab", "under_score"])
def test_create_bucket_bad_name_oss(oss, name):
    r = Owner(oss.endpoint).request("PUT", f"/{name}")
    expect_error(r, 400, "InvalidBucketName")
    assert oss.proc.poll() is None


# ---------------------------------------------------------------------------------------------
# Unknown subresources: NotImplemented (or the provider's "none configured"), never a 200
# ---------------------------------------------------------------------------------------------

BUCKET_SUBRESOURCES = ["torrent", "website", "replication", "lifecycle", "policy", "logging", "notification",
                       "encryption", "inventory", "analytics", "metrics", "accelerate", "requestPayment",
                       "object-lock", "intelligent-tiering", "ownershipControls", "publicAccessBlock", "tagging"]
OBJECT_SUBRESOURCES = ["torrent", "tagging", "retention", "legal-hold", "restore", "select&select-type=2",
                       "attributes"]
NONE_CONFIGURED = re.compile(r"^(NoSuch\w+|\w+NotFoundError|\w+NotFound)$")


def _unsupported(r: requests.Response, method: str) -> None:
    assert not (200 <= r.status_code < 300), f"a 2xx for an unsupported operation: {show(r)}"
    assert r.status_code < 500 or r.status_code == 501, show(r)
    c = code_of(r.content) if method != "HEAD" else "NotImplemented"
    if r.status_code == 501:
        assert c == "NotImplemented", show(r)
    else:
        assert 400 <= r.status_code < 500 and c, show(r)
        if method == "GET" and r.status_code == 404:
            assert NONE_CONFIGURED.match(c) and c not in ("NoSuchKey", "NoSuchBucket"), show(r)
        elif method != "GET":
            # a refused write must say why in the provider's words, not e.g. BucketAlreadyOwnedByYou
            assert c in ("NotImplemented", "MalformedXML", "InvalidRequest", "InvalidArgument",
                         "MethodNotAllowed"), show(r)


@pytest.mark.parametrize("sub", BUCKET_SUBRESOURCES)
def test_unknown_bucket_subresource(srv, sub):
    owner = Owner(srv.endpoint)
    victim = f"victim-{uuid.uuid4().hex[:10]}"
    r = owner.request("PUT", f"/{victim}")
    assert r.status_code == 200, show(r)
    for method in ("GET", "PUT", "DELETE", "POST"):
        body = b"<Configuration/>" if method in ("PUT", "POST") else b""
        r = owner.request(method, f"/{victim}", sub, body)
        _unsupported(r, method)
    # DELETE ?sub did not delete the (empty) bucket; PUT ?sub did not touch the object store.
    r = owner.request("HEAD", f"/{victim}")
    assert r.status_code == 200, f"the bucket is gone after DELETE /{victim}?{sub}: {show(r)}"
    r = owner.request("GET", f"/{victim}", "list-type=2")
    assert r.status_code == 200 and b"<Key>" not in r.content, show(r)
    # anonymous too: never a 200 on an unknown subresource of a public bucket
    r = session().get(f"{srv.endpoint}/{BUCKET}?{sub}", timeout=TIMEOUT)
    _unsupported(r, "GET")
    alive(srv)


@pytest.mark.parametrize("sub", OBJECT_SUBRESOURCES)
def test_unknown_object_subresource(srv, sub):
    owner = Owner(srv.endpoint)
    key = f"sub-{uuid.uuid4().hex[:8]}"
    r = session().put(f"{srv.endpoint}/{BUCKET}/{key}", data=b"original", headers=PUBLIC_READ, timeout=TIMEOUT)
    assert r.status_code == 200, show(r)
    for method in ("GET", "PUT", "POST", "DELETE"):
        body = b"<Tagging><TagSet/></Tagging>" if method in ("PUT", "POST") else b""
        r = owner.request(method, f"/{BUCKET}/{key}", sub, body)
        _unsupported(r, method)
        assert r.content != b"original", f"GetObject served for ?{sub}: {show(r)}"
        g = session().get(f"{srv.endpoint}/{BUCKET}/{key}", timeout=TIMEOUT)
        assert g.status_code == 200 and g.content == b"original", \
            f"{method} ?{sub} changed or deleted the object: {show(g)}"
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Multipart: broken sequences
# ---------------------------------------------------------------------------------------------


def _raises(code: str, status: int, fn, *args, **kwargs) -> None:
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    got = client_error(ei.value)
    assert got == (status, code), f"want {status} {code}, got {got}: {ei.value}"


def test_multipart_unknown_upload_id(srv):
    s3 = s3client(srv.endpoint)
    bogus = "bogus-" + uuid.uuid4().hex
    _raises("NoSuchUpload", 404, s3.upload_part, Bucket=BUCKET, Key="mp-x", UploadId=bogus, PartNumber=1, Body=b"x")
    _raises("NoSuchUpload", 404, s3.complete_multipart_upload, Bucket=BUCKET, Key="mp-x", UploadId=bogus,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"' + hashlib.md5(b"x").hexdigest() + '"'}]})
    _raises("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=BUCKET, Key="mp-x", UploadId=bogus)
    _raises("NoSuchUpload", 404, s3.list_parts, Bucket=BUCKET, Key="mp-x", UploadId=bogus)
    absent(srv, "mp-x")
    alive(srv)


def test_multipart_invalid_part_and_order(srv):
    s3 = s3client(srv.endpoint)
    key = "mp-bad-" + uuid.uuid4().hex[:8]
    up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    p1 = os.urandom(5 * MiB)
    p2 = os.urandom(5 * MiB)
    e1 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=1, Body=p1)["ETag"]
    assert e1.strip('"').lower() == hashlib.md5(p1).hexdigest()
    # a part never uploaded
    _raises("InvalidPart", 400, s3.complete_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                       {"PartNumber": 2, "ETag": '"' + hashlib.md5(b"never").hexdigest() + '"'}]})
    # an uploaded part with the wrong ETag
    _raises("InvalidPart", 400, s3.complete_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"' + hashlib.md5(b"other").hexdigest() + '"'}]})
    e2 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=2, Body=p2)["ETag"]
    # out of order
    _raises("InvalidPartOrder", 400, s3.complete_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    # no parts at all
    _raises("MalformedXML", 400, s3.complete_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up,
            MultipartUpload={"Parts": []})
    # part numbers out of range
    for n in (0, 10001):
        r = Owner(srv.endpoint).request("PUT", f"/{BUCKET}/{key}", f"partNumber={n}&uploadId={up}", b"x")
        expect_error(r, 400, "InvalidArgument")
    # none of that created the object, and the upload is still there with its parts
    absent(srv, key)
    parts = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, len(p1)), (2, len(p2))], parts
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                                   {"PartNumber": 2, "ETag": e2}]})
    want = '"' + hashlib.md5(hashlib.md5(p1).digest() + hashlib.md5(p2).digest()).hexdigest() + '-2"'
    assert done["ETag"].lower() == want, done["ETag"]
    got = s3.get_object(Bucket=BUCKET, Key=key)  # the owner's: the object is private
    assert got["Body"].read() == p1 + p2 and got["ETag"].lower() == want, got["ETag"]
    # completed: the upload id is gone
    _raises("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up)
    _raises("NoSuchUpload", 404, s3.upload_part, Bucket=BUCKET, Key=key, UploadId=up, PartNumber=3, Body=b"late")
    alive(srv)


def test_multipart_abort_twice(srv):
    s3 = s3client(srv.endpoint)
    key = "mp-abort-" + uuid.uuid4().hex[:8]
    up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=1, Body=b"abc")
    r = s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    _raises("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up)
    _raises("NoSuchUpload", 404, s3.complete_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"' + hashlib.md5(b"abc").hexdigest() + '"'}]})
    absent(srv, key)
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------


def _sigv4_put(srv, key, ak, sk, tamper=None, signed_body: bytes = b"payload") -> requests.Response:
    url = f"{srv.endpoint}/{BUCKET}/{key}"
    h = Owner(srv.endpoint, ak, sk).signed_headers("PUT", url, signed_body)
    if tamper:
        h = tamper(h)
    return session().put(url, data=b"payload", headers=h, timeout=TIMEOUT)


def _replace_sig(h: dict) -> dict:
    h["Authorization"] = re.sub(r"Signature=[0-9a-f]+", "Signature=" + "0" * 64, h["Authorization"])
    return h


SIG_CASES = {
    "wrong-secret": (ACCESS_KEY, "not-the-secret", None, 403, "SignatureDoesNotMatch"),
    "unknown-key": ("AKIDNOSUCHKEY", SECRET_KEY, None, 403, "InvalidAccessKeyId"),
    "zero-signature": (ACCESS_KEY, SECRET_KEY, _replace_sig, 403, "SignatureDoesNotMatch"),
    "garbage-header": (ACCESS_KEY, SECRET_KEY, lambda h: {**h, "Authorization": "AWS4-HMAC-SHA256 garbage"},
                       400, "AuthorizationHeaderMalformed"),
    "no-credential": (ACCESS_KEY, SECRET_KEY,
                      lambda h: {**h, "Authorization": "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + "a" * 64},
                      400, "AuthorizationHeaderMalformed"),
    "content-sha256-header-changed": (ACCESS_KEY, SECRET_KEY,
                                      lambda h: {**h, "X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()},
                                      (400, 403), ("XAmzContentSHA256Mismatch", "SignatureDoesNotMatch")),
    # a valid signature over the headers, whose x-amz-content-sha256 is not the body's
    "body-not-the-signed-one": (ACCESS_KEY, SECRET_KEY, None, 400, "XAmzContentSHA256Mismatch"),
}


@pytest.mark.parametrize("case", sorted(SIG_CASES))
def test_bad_sigv4_header(srv, case):
    ak, sk, tamper, status, code = SIG_CASES[case]
    key = f"sig-{case}"
    r = _sigv4_put(srv, key, ak, sk, tamper, b"other" if case == "body-not-the-signed-one" else b"payload")
    expect_error(r, status, code)
    absent(srv, key)  # public-read-write, but a wrong signature is refused, not taken as anonymous
    alive(srv)


def test_bad_signature_does_not_change_cors(srv):
    before = cors_state(srv)
    doc = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>"
    r = Owner(srv.endpoint, ACCESS_KEY, "wrong").put_cors(BUCKET, doc)
    expect_error(r, 403, "SignatureDoesNotMatch")
    r = Owner(srv.endpoint, "AKIDNOSUCHKEY", SECRET_KEY).put_cors(BUCKET, doc)
    expect_error(r, 403, "InvalidAccessKeyId")
    assert cors_state(srv) == before
    alive(srv)


def test_bad_presigned_urls(srv):
    s3 = s3client(srv.endpoint)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "presigned-bad"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url, url
    tampered = re.sub(r"X-Amz-Signature=[0-9a-f]+", "X-Amz-Signature=" + "1" * 64, url)
    assert tampered != url
    r = session().put(tampered, data=b"x", timeout=TIMEOUT)
    expect_error(r, 403, "SignatureDoesNotMatch")
    wrong_key = url.replace(f"X-Amz-Credential={ACCESS_KEY}", "X-Amz-Credential=AKIDNOSUCHKEY")
    assert wrong_key != url
    r = session().put(wrong_key, data=b"x", timeout=TIMEOUT)
    expect_error(r, 403, "InvalidAccessKeyId")
    # SigV2 query signatures: garbage, and a genuine one for another key
    v2 = (f"{srv.endpoint}/{BUCKET}/presigned-bad?AWSAccessKeyId={ACCESS_KEY}&Expires={int(time.time()) + 300}"
          f"&Signature=bm90LWEtc2lnbmF0dXJl")
    r = session().put(v2, data=b"x", timeout=TIMEOUT)
    expect_error(r, 403, "SignatureDoesNotMatch")
    url_v2 = s3client(srv.endpoint, "s3").generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": "presigned-v2"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url_v2, url_v2
    r = session().put(url_v2.replace("presigned-v2", "presigned-bad"), data=b"x", timeout=TIMEOUT)
    expect_error(r, 403, "SignatureDoesNotMatch")
    absent(srv, "presigned-bad")
    # the genuine URLs work (so the refusals above are about the signatures)
    r = session().put(url, data=b"good", timeout=TIMEOUT)
    assert r.status_code == 200, show(r)
    r = session().put(url_v2, data=b"good", timeout=TIMEOUT)
    assert r.status_code == 200, show(r)
    alive(srv)


def _in_the_past(monkeypatch, seconds: int) -> None:
    """botocore signs as if it were `seconds` ago."""
    import datetime as dt

    import botocore.auth
    import botocore.signers

    def then(remove_tzinfo=True):
        return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)).replace(tzinfo=None)

    monkeypatch.setattr(botocore.auth, "get_current_datetime", then)
    monkeypatch.setattr(botocore.signers, "get_current_datetime", then)  # PostObject policies' expiration


def test_stale_and_overlong_signatures(srv, monkeypatch):
    s3 = s3client(srv.endpoint)
    limit = limit_named(read_limits(), "MAX_PRESIGNED_SECONDS", durations=False)
    week = int(limit[1]) if limit else 7 * 24 * 3600
    url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "stale"}, ExpiresIn=week + 1)
    r = session().put(url, data=b"x", timeout=TIMEOUT)
    expect_error(r, 400, "AuthorizationQueryParametersError")
    _in_the_past(monkeypatch, 3600)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "stale"}, ExpiresIn=60)
    r = session().put(url, data=b"x", timeout=TIMEOUT)
    expect_error(r, 403, "AccessDenied")  # "Request has expired"
    r = _sigv4_put(srv, "stale", ACCESS_KEY, SECRET_KEY)
    expect_error(r, 403, "RequestTimeTooSkewed")  # S3 allows 15 minutes
    monkeypatch.undo()
    absent(srv, "stale")
    alive(srv)


def _presigned_post(srv, key: str, conditions=None, expires: int = 300) -> dict:
    return s3client(srv.endpoint).generate_presigned_post(BUCKET, key, Conditions=conditions, ExpiresIn=expires)


def _send_post(srv, fields: dict, file: bytes = b"posted") -> requests.Response:
    boundary = "b" + uuid.uuid4().hex
    body = _form([(k, v.encode(), None) for k, v in fields.items()] + [("file", file, "f.bin")], boundary)
    return session().post(f"{srv.endpoint}/{BUCKET}", data=body, timeout=TIMEOUT,
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def test_post_object_policies_are_verified(srv, monkeypatch):
    # the genuine form works
    post = _presigned_post(srv, "policy-ok")
    r = _send_post(srv, post["fields"])
    assert r.status_code in (200, 201, 204), show(r)
    # a garbage signature
    fields = dict(_presigned_post(srv, "policy-bad-sig")["fields"])
    fields["x-amz-signature"] = "0" * 64
    expect_error(_send_post(srv, fields), 403, "SignatureDoesNotMatch")
    # an unknown key id
    fields = dict(_presigned_post(srv, "policy-bad-ak")["fields"])
    fields["x-amz-credential"] = fields["x-amz-credential"].replace(ACCESS_KEY, "AKIDNOSUCHKEY")
    expect_error(_send_post(srv, fields), 403, "InvalidAccessKeyId")
    # a policy that is not base64 JSON
    fields = dict(_presigned_post(srv, "policy-garbage")["fields"])
    fields["policy"] = "not a policy"
    r = _send_post(srv, fields)
    assert r.status_code in (400, 403) and code_of(r.content) in (
        "InvalidPolicyDocument", "SignatureDoesNotMatch", "AccessDenied", "InvalidArgument"), show(r)
    # an expired policy
    _in_the_past(monkeypatch, 7200)
    fields = dict(_presigned_post(srv, "policy-expired", expires=60)["fields"])
    monkeypatch.undo()
    expect_error(_send_post(srv, fields), 403, "AccessDenied")  # "Invalid according to Policy: Policy expired."
    for key in ("policy-bad-sig", "policy-bad-ak", "policy-garbage", "policy-expired"):
        absent(srv, key)
    alive(srv)


def test_preflight_ignores_garbage_signatures(srv):
    r = Owner(srv.endpoint).put_cors(BUCKET, CORS_XML)  # whatever an earlier test left
    assert r.status_code == 200, show(r)
    want = eval_one("s3", "OPTIONS", "https://app.example.com", "PUT", "content-type")
    assert want["status"] == 200
    base = f"{srv.endpoint}/{BUCKET}/seed"
    hdrs = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type"}
    variants = [
        (base, {"Authorization": "AWS4-HMAC-SHA256 garbage"}),
        (base, {"Authorization": "AWS AKIDNOSUCHKEY:Z2FyYmFnZQ=="}),
        (base + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x%2F2&X-Amz-Signature=00", {}),
        (base + "?AWSAccessKeyId=nobody&Expires=1&Signature=abc", {}),
    ]
    for url, extra in variants:
        r = session().options(url, headers={**hdrs, **extra}, timeout=TIMEOUT)
        assert r.status_code == want["status"], show(r)
        assert cors_of(r) == sorted((k.lower(), v) for k, v in want["headers"]), (url, extra, cors_of(r))
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Content-MD5 and checksums
# ---------------------------------------------------------------------------------------------

DIGEST_CASES = {
    "md5-wrong": ({"Content-MD5": base64.b64encode(hashlib.md5(b"something else").digest()).decode()}, 400, "BadDigest"),
    "md5-not-base64": ({"Content-MD5": "not base64 at all!"}, 400, "InvalidDigest"),
    "md5-short": ({"Content-MD5": base64.b64encode(b"12345").decode()}, 400, "InvalidDigest"),
    "crc32-wrong": ({"x-amz-checksum-crc32": base64.b64encode((zlib.crc32(b"other")).to_bytes(4, "big")).decode()},
                    400, "BadDigest"),
    "sha256-wrong": ({"x-amz-checksum-sha256": base64.b64encode(hashlib.sha256(b"other").digest()).decode()},
                     400, "BadDigest"),
    "crc32-not-base64": ({"x-amz-checksum-crc32": "%%%"}, 400, ("InvalidRequest", "InvalidArgument", "InvalidDigest")),
}


@pytest.mark.parametrize("case", sorted(DIGEST_CASES))
def test_put_object_digests(srv, case):
    headers, status, code = DIGEST_CASES[case]
    key = f"digest-{case}"
    r = session().put(f"{srv.endpoint}/{BUCKET}/{key}", data=b"the body", headers=headers, timeout=TIMEOUT)
    expect_error(r, status, code)
    absent(srv, key)
    # an existing object is not replaced by a refused PUT
    r = session().put(f"{srv.endpoint}/{BUCKET}/seed", data=b"replacement", headers=headers, timeout=TIMEOUT)
    expect_error(r, status, code)
    alive(srv)


def test_put_object_right_digests_are_accepted(srv):
    body = b"digest me"
    headers = {"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(),
               "x-amz-checksum-crc32": base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()}
    r = session().put(f"{srv.endpoint}/{BUCKET}/digest-ok", data=body, headers=headers, timeout=TIMEOUT)
    assert r.status_code == 200, show(r)
    assert r.headers.get("ETag", "").lower() == '"' + hashlib.md5(body).hexdigest() + '"'


@pytest.mark.parametrize("md5,code", [
    (base64.b64encode(hashlib.md5(b"x").digest()).decode(), "BadDigest"),
    ("*not-base64*", "InvalidDigest"),
])
def test_put_bucket_cors_content_md5(srv, md5, code):
    before = cors_state(srv)
    doc = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>"
    r = Owner(srv.endpoint).put_cors(BUCKET, doc, md5=md5)
    expect_error(r, 400, code)
    assert cors_state(srv) == before
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Broken HTTP: huge headers, bad paths, CONNECT, odd request lines, Host
# ---------------------------------------------------------------------------------------------


def test_one_mebibyte_header(srv):
    head = (f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nX-Big: ").encode()
    payload = head + b"a" * MiB + b"\r\n\r\n"
    status, _, body, note = raw_exchange(srv.port, payload)
    assert status is not None and 400 <= status < 500, f"want a 4xx (431 or 400), got {status} {note} {body[:200]!r}"
    alive(srv)


def test_many_headers(srv):
    lines = "".join(f"X-H{i}: v\r\n" for i in range(5000))
    payload = f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n{lines}\r\n".encode()
    status, _, body, note = raw_exchange(srv.port, payload)
    assert status is not None and (status == 200 or 400 <= status < 500), f"{status} {note} {body[:200]!r}"
    alive(srv)


def _req(srv, line: bytes, extra: bytes = b"", host: bytes | None = None) -> tuple[int | None, dict, bytes, str]:
    host = host if host is not None else f"127.0.0.1:{srv.port}".encode()
    return raw_exchange(srv.port, line + b"\r\nHost: " + host + b"\r\n" + extra + b"Connection: close\r\n\r\n")


@pytest.mark.parametrize("line,body", [
    (b"GET /hbucket/%FF%FE HTTP/1.1", b""),
    (b"GET /hbucket/\xff\xfe HTTP/1.1", b""),
    (b"PUT /hbucket/%C3%28 HTTP/1.1", b"data"),
    (b"GET /%FF%FE/key HTTP/1.1", b""),
    (b"GET /hbucket/%ZZ HTTP/1.1", b""),
    (b"OPTIONS /hbucket/%FF HTTP/1.1", b""),
])
def test_invalid_utf8_and_encoding_in_path(srv, line, body):
    extra = f"Content-Length: {len(body)}\r\n".encode() if body else b""
    if line.startswith(b"OPTIONS"):
        extra += b"Origin: https://app.example.com\r\nAccess-Control-Request-Method: GET\r\n"
    status, _, resp_body, note = raw_exchange(
        srv.port, line + f"\r\nHost: 127.0.0.1:{srv.port}\r\n".encode() + extra + b"Connection: close\r\n\r\n" + body)
    assert status is not None, f"no answer: {note}"
    if line.startswith(b"OPTIONS"):
        assert status < 500, (status, resp_body[:300])
    else:
        assert 400 <= status < 500, f"{line!r}: want a 4xx, got {status} {resp_body[:300]!r}"
    alive(srv)


@pytest.mark.parametrize("payload", [
    b"CONNECT host:80 HTTP/1.1\r\nHost: host:80\r\n\r\n",
    b"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n",
    b"CONNECT localhost:{port} HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: https://app.example.com\r\n\r\n",
])
def test_connect(srv, payload):
    payload = payload.replace(b"{port}", str(srv.port).encode())
    status, _, body, note = raw_exchange(srv.port, payload)
    assert status is not None, f"no answer to CONNECT: {note}"
    assert 400 <= status < 500 or status == 501, f"CONNECT: {status} {body[:300]!r}"
    assert code_of(body), f"CONNECT must get the provider's XML error: {status} {body[:300]!r}"
    alive(srv)


@pytest.mark.parametrize("line", [
    b"OPTIONS * HTTP/1.1",
    b"FOO /hbucket/seed HTTP/1.1",
    b"GET http://127.0.0.1:{port}/hbucket/seed HTTP/1.1",
    b"TRACE /hbucket/seed HTTP/1.1",
    b"PATCH /hbucket/seed HTTP/1.1",
    b"DELETE /hbucket HTTP/1.1",  # anonymous DeleteBucket of a public-read-write bucket
])
def test_odd_request_lines(srv, line):
    line = line.replace(b"{port}", str(srv.port).encode())
    status, _, body, note = _req(srv, line)
    assert status is not None, f"no answer: {note}"
    assert status < 500 or (status == 501 and code_of(body) == "NotImplemented"), f"{line!r}: {status} {body[:300]!r}"
    if not line.startswith(b"GET"):
        assert not (200 <= status < 300), f"{line!r}: {status} {body[:300]!r}"
    alive(srv)


def test_http10_without_host(srv):
    status, _, body, note = raw_exchange(srv.port, f"GET /{BUCKET}/seed HTTP/1.0\r\n\r\n".encode())
    assert status is not None and status < 500, (status, note, body[:200])
    status, _, body, note = raw_exchange(srv.port, f"GET /{BUCKET}/seed HTTP/1.1\r\nConnection: close\r\n\r\n".encode())
    assert status is not None and 400 <= status < 500, f"HTTP/1.1 without Host: {status} {body[:200]!r}"
    alive(srv)


@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:{port}", "{bucket}.localhost.evil.example:{port}",
    "localhost.evil.example:{port}", "127.0.0.1.nip.io:{port}", "evil.example:{port}:{port}",
])
def test_host_rebinding_refused(srv, host):
    host = host.format(port=srv.port, bucket=BUCKET)
    s = session()
    for path in (f"/{BUCKET}/seed", "/seed", f"/_corsmatch/config?bucket={BUCKET}", "/_corsmatch/buckets",
                 "/_corsmatch/log", "/_corsmatch/"):
        r = s.get(f"{srv.endpoint}{path}", headers={"Host": host, "Origin": "http://" + host}, timeout=TIMEOUT)
        assert 400 <= r.status_code < 500, f"Host {host}: {show(r)}"
        assert SEED not in r.content and b"CORSRule" not in r.content and b"AllowedOrigin" not in r.content, show(r)
    r = s.put(f"{srv.endpoint}/{BUCKET}/rebound", data=b"x", headers={"Host": host}, timeout=TIMEOUT)
    assert 400 <= r.status_code < 500, show(r)
    absent(srv, "rebound")
    alive(srv)


def test_host_accepted(srv):
    s = session()
    for host, path in ((f"127.0.0.1:{srv.port}", f"/{BUCKET}/seed"), (f"localhost:{srv.port}", f"/{BUCKET}/seed"),
                       (f"{BUCKET}.localhost:{srv.port}", "/seed")):
        r = s.get(f"{srv.endpoint}{path}", headers={"Host": host}, timeout=TIMEOUT)
        assert r.status_code == 200 and r.content == SEED, f"Host {host}: {show(r)}"
    r = s.get(f"{srv.endpoint}/_corsmatch/config?bucket={BUCKET}", headers={"Host": f"localhost:{srv.port}"},
              timeout=TIMEOUT)
    assert r.status_code == 200, show(r)


def test_invalid_header_bytes(srv):
    payloads = [
        f"OPTIONS /{BUCKET}/seed HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n".encode()
        + b"Origin: https://\xff\xfe.example\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n",
        f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n".encode()
        + b"Origin: https://app.example.com\r\nAccess-Control-Request-Headers: \xc3\x28\r\nConnection: close\r\n\r\n",
        b"GET /hbucket/seed HTTP/1.1\r\nHost: \xff\xfe:" + str(srv.port).encode() + b"\r\nConnection: close\r\n\r\n",
    ]
    for p in payloads:
        status, _, body, note = raw_exchange(srv.port, p)
        assert status is not None and status < 500, (p[:80], status, note, body[:200])
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Keys and body sizes
# ---------------------------------------------------------------------------------------------


def test_key_too_long(srv):
    key = "k" * 1025
    r = session().put(f"{srv.endpoint}/{BUCKET}/{key}", data=b"x", timeout=TIMEOUT)
    expect_error(r, 400, "KeyTooLongError")  # S3's code, "Your key is too long"
    r = session().put(f"{srv.endpoint}/{BUCKET}/{'k' * 1024}", data=b"x", timeout=TIMEOUT)
    assert r.status_code == 200, show(r)
    alive(srv)


def _oversize(srv, line: str, length: int, extra: str = "") -> tuple[int | None, dict, bytes, str]:
    """A request whose body is `length` bytes; the server may answer before reading it all."""
    head = (f"{line} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Length: {length}\r\n{extra}"
            f"Connection: close\r\n\r\n").encode()
    return raw_exchange(srv.port, head + b"<" * length, timeout=30)


def test_oversize_bodies(srv):
    limits = read_limits()
    obj = limit_named(limits, "MAX_OBJECT_BYTES", durations=False)
    xml = limit_named(limits, "MAX_XML_BODY_BYTES", durations=False)
    too_big_object = int(obj[1]) + 1 if obj else 64 * MiB + 1
    status, _, body, note = _oversize(srv, f"PUT /{BUCKET}/huge", too_big_object)
    assert (status, code_of(body)) == (400, "EntityTooLarge"), (status, body[:300], note)
    owner_url = f"{srv.endpoint}/{BUCKET}?cors"
    too_big_xml = int(xml[1]) + 1 if xml else 4 * MiB
    h = Owner(srv.endpoint).signed_headers("PUT", owner_url, b"", {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    extra = "".join(f"{k}: {v}\r\n" for k, v in h.items() if k.lower() not in ("content-length", "host"))
    before = cors_state(srv)
    status, _, body, note = _oversize(srv, f"PUT /{BUCKET}?cors", too_big_xml, extra)
    assert status == 400 and code_of(body) in ("MalformedXML", "MaxMessageLengthExceeded", "EntityTooLarge"), \
        (status, body[:300], note)
    assert cors_state(srv) == before
    absent(srv, "huge")
    alive(srv)


def test_conflicting_content_length(srv):
    payload = (f"PUT /{BUCKET}/smuggled HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Length: 3\r\n"
               f"Content-Length: 30\r\nConnection: close\r\n\r\nabc").encode()
    status, _, body, note = raw_exchange(srv.port, payload)
    assert status == 400, (status, body[:200], note)
    payload = (f"PUT /{BUCKET}/smuggled HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Length: 3\r\n"
               f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n").encode()
    status, _, body, note = raw_exchange(srv.port, payload)
    assert status is not None and status < 500, (status, body[:200], note)
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Error responses, ranges, listing and part parameters, OSS
# ---------------------------------------------------------------------------------------------


def test_error_responses_carry_cors_and_version(srv):
    """Every response, errors included, gets the engine's CORS headers and names the
    configuration version that decided them."""
    owner = Owner(srv.endpoint)
    r = owner.put_cors(BUCKET, CORS_XML)
    assert r.status_code == 200, show(r)
    r = owner.request("PUT", f"/{BUCKET}/private-object", body=b"private")
    assert r.status_code == 200, show(r)
    s = session()
    origin = "https://app.example.com"
    o = {"Origin": origin}
    base = f"{srv.endpoint}/{BUCKET}"
    bad_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    wrong = Owner(srv.endpoint, ACCESS_KEY, "wrong-secret")
    cases = [
        ("NoSuchKey", "GET", "object", lambda: s.get(f"{base}/no-such-key", headers=o, timeout=TIMEOUT)),
        ("AccessDenied", "GET", "object", lambda: s.get(f"{base}/private-object", headers=o, timeout=TIMEOUT)),
        ("BadDigest", "PUT", "object",
         lambda: s.put(f"{base}/cors-bad-digest", data=b"x", headers={**o, "Content-MD5": bad_md5}, timeout=TIMEOUT)),
        ("SignatureDoesNotMatch", "PUT", "object",
         lambda: wrong.request("PUT", f"/{BUCKET}/cors-bad-sig", body=b"x", headers=o)),
        ("NoSuchUpload", "POST", "object",
         lambda: s.post(f"{base}/cors-upload?uploadId=bogus", headers=o, timeout=TIMEOUT,
                        data=b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>"
                             b"</CompleteMultipartUpload>")),
        ("MalformedXML", "PUT", "bucket",
         lambda: owner.request("PUT", f"/{BUCKET}", "cors", b"<nope", {**o, "Content-MD5": base64.b64encode(
             hashlib.md5(b"<nope").digest()).decode()})),
        ("KeyTooLongError", "PUT", "object",
         lambda: s.put(f"{base}/{'k' * 1025}", data=b"x", headers=o, timeout=TIMEOUT)),
        (None, "GET", "bucket", lambda: owner.request("GET", f"/{BUCKET}", "website", headers=o)),  # unsupported
    ]
    problems = []
    for code, method, target, send in cases:
        r = send()
        want = eval_one("s3", method, origin, target=target)
        if code is not None and code_of(r.content) != code:
            problems.append(f"{code}: {show(r)}")
        if cors_of(r) != sorted((k.lower(), v) for k, v in want["headers"]):
            problems.append(f"{code or 'unsupported'} ({r.status_code}): CORS headers {cors_of(r)}, eval {want['headers']}")
        if not r.headers.get(VERSION):
            problems.append(f"{code or 'unsupported'} ({r.status_code}): no {VERSION}")
    r = s.get(f"{srv.endpoint}/no-such-bucket-here/k", headers=o, timeout=TIMEOUT)
    want = eval_one("s3", "GET", origin, target="nonexistent-bucket")
    if (r.status_code, code_of(r.content)) != (404, "NoSuchBucket"):
        problems.append(f"NoSuchBucket: {show(r)}")
    if cors_of(r) != sorted((k.lower(), v) for k, v in want["headers"]):
        problems.append(f"NoSuchBucket: CORS headers {cors_of(r)}, eval {want['headers']}")
    assert not problems, "\n".join(problems)
    alive(srv)


RANGES = [
    ("bytes=0-0", (206,), lambda d: d[:1]),
    ("bytes=-5", (206,), lambda d: d[-5:]),
    ("bytes=45-1000", (206,), lambda d: d[45:]),
    ("bytes=100-", (416,), None),
    ("foo", (200,), lambda d: d),
    ("bytes=10-5", (200,), lambda d: d),
    ("bytes=0-99999999999999999999999", (200, 206), lambda d: d),
    ("bytes=99999999999999999999999-", (200, 416), lambda d: d),
    ("bytes=-99999999999999999999999", (200, 206), lambda d: d),
    ("bytes=0-1,3-4", (200, 206), None),
]


@pytest.mark.parametrize("spec,statuses,want", RANGES, ids=[r[0] for r in RANGES])
def test_hostile_ranges(srv, spec, statuses, want):
    data = bytes(range(50))
    r = session().put(f"{srv.endpoint}/{BUCKET}/ranged", data=data, headers=PUBLIC_READ, timeout=TIMEOUT)
    assert r.status_code == 200, show(r)
    r = session().get(f"{srv.endpoint}/{BUCKET}/ranged", headers={"Range": spec}, timeout=TIMEOUT)
    assert r.status_code in statuses, show(r)
    if r.status_code == 416:
        assert code_of(r.content) == "InvalidRange", show(r)
    elif want is not None:
        assert r.content == want(data), show(r)
    else:  # several ranges: the whole object, or the first range; never multipart/byteranges
        assert r.content in (data, data[0:2]) and "multipart" not in r.headers.get("Content-Type", ""), show(r)
    alive(srv)


@pytest.mark.parametrize("query", [
    "max-keys=-1", "max-keys=abc", "list-type=2&continuation-token=garbage%21", "encoding-type=foo",
    "list-type=2&max-keys=99999999999999999999999",
])
def test_hostile_listing_parameters(srv, query):
    r = Owner(srv.endpoint).request("GET", f"/{BUCKET}", query)
    if "99999" in query:  # S3 caps max-keys at 1000 rather than refusing
        assert r.status_code in (200, 400), show(r)
        if r.status_code == 400:
            assert code_of(r.content) == "InvalidArgument", show(r)
    else:
        expect_error(r, 400, "InvalidArgument")
    alive(srv)


@pytest.mark.parametrize("query", ["partNumber=abc&uploadId=x", "partNumber=1&uploadId=", "partNumber=-1&uploadId=x"])
def test_hostile_part_parameters(srv, query):
    s3 = s3client(srv.endpoint)
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp-params")["UploadId"]
    q = query.replace("uploadId=x", f"uploadId={up}")
    r = Owner(srv.endpoint).request("PUT", f"/{BUCKET}/mp-params", q, b"x")
    assert r.status_code in (400, 404), show(r)
    assert code_of(r.content) in ("InvalidArgument", "NoSuchUpload", "InvalidRequest"), show(r)
    parts = s3.list_parts(Bucket=BUCKET, Key="mp-params", UploadId=up).get("Parts", [])
    assert parts == [], f"a refused UploadPart stored a part: {parts}"
    s3.abort_multipart_upload(Bucket=BUCKET, Key="mp-params", UploadId=up)
    alive(srv)


def test_oss_bad_keys_and_signatures(oss):
    doc = (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
           b"</CORSRule></CORSConfiguration>")
    r = Owner(oss.endpoint, "AKIDNOSUCHKEY", SECRET_KEY).put_cors("obucket", doc)
    expect_error(r, 403, "InvalidAccessKeyId")
    r = Owner(oss.endpoint, ACCESS_KEY, "wrong").put_cors("obucket", doc)
    expect_error(r, 403, "SignatureDoesNotMatch")
    r = Owner(oss.endpoint, "AKIDNOSUCHKEY", SECRET_KEY).get_cors("obucket")
    expect_error(r, 403, "InvalidAccessKeyId")
    r = Owner(oss.endpoint).get_cors("obucket")
    expect_error(r, 404, "NoSuchCORSConfiguration")
    # a preflight ignores any signature it carries
    want = eval_one("oss", "OPTIONS", "https://app.example.com", "GET", config=None)
    r = session().options(f"{oss.endpoint}/obucket/k", timeout=TIMEOUT, headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "GET",
        "Authorization": "OSS AKIDNOSUCHKEY:Z2FyYmFnZQ=="})
    assert r.status_code == want["status"], show(r)
    assert code_of(r.content) == want["error"]["code"], show(r)
    assert oss.proc.poll() is None


def test_oss_host_check(oss):
    s = session()
    for host in ("evil.example", f"evil.example:{oss.port}", f"obucket.localhost.evil.example:{oss.port}"):
        r = s.get(f"{oss.endpoint}/obucket?cors", headers={"Host": host}, timeout=TIMEOUT)
        assert 400 <= r.status_code < 500, f"Host {host}: {show(r)}"
    r = s.options(f"{oss.endpoint}/k", timeout=TIMEOUT, headers={
        "Host": f"obucket.localhost:{oss.port}", "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "GET"})
    want = eval_one("oss", "OPTIONS", "https://app.example.com", "GET", config=None)
    assert r.status_code == want["status"] and code_of(r.content) == want["error"]["code"], show(r)
    assert oss.proc.poll() is None


# ---------------------------------------------------------------------------------------------
# --data DIR, PostObject forms, anonymous administration, keep-alive, pipelining, chunked
# ---------------------------------------------------------------------------------------------

# Keys that a file-backed store could mistake for paths.
ODD_KEYS = ["../escape-1", "../../escape-2", "a/../../escape-3", "..", ".", "dir", "dir/child", "dir/", "x//y",
            "k" * 1024, ("seg" * 90 + "/") * 3 + "end", "sp ace", "uni-ключ", "%2e%2e/escape-4", "back\\slash",
            "trailing.", "CON", "a/./b", "-"]


def test_data_dir_keeps_odd_keys(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    bucket = "oddkeys"

    def put_all(srv: Serve) -> dict[str, int]:
        r = Owner(srv.endpoint).request("PUT", f"/{bucket}", headers={"x-amz-acl": "public-read-write"})
        assert r.status_code == 200, show(r)
        statuses = {}
        for i, key in enumerate(ODD_KEYS):
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
            conn.request("PUT", f"/{bucket}/" + urllib.parse.quote(key, safe="/"), body=f"body {i}".encode(),
                         headers={"x-amz-acl": "public-read"})
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            statuses[key] = resp.status
            assert resp.status == 200, f"PUT {key!r}: {resp.status} {body[:300]!r}"
        return statuses

    def get_all(srv: Serve) -> list[str]:
        bad = []
        for i, key in enumerate(ODD_KEYS):
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
            conn.request("GET", f"/{bucket}/" + urllib.parse.quote(key, safe="/"))
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            if resp.status != 200 or body != f"body {i}".encode():
                bad.append(f"{key!r}: {resp.status} {body[:120]!r}")
        return bad

    srv = Serve("--profile", "s3", "--data", str(data_dir))
    try:
        put_all(srv)
        bad = get_all(srv)
        assert not bad, "before restart:\n" + "\n".join(bad)
    finally:
        srv.stop()
    outside = sorted(p.name for p in tmp_path.iterdir() if p.name != "data")
    assert not outside, f"objects written outside --data DIR: {outside}"
    srv = Serve("--profile", "s3", "--data", str(data_dir))
    try:
        bad = get_all(srv)
        assert not bad, "after restart:\n" + "\n".join(bad)
        listed = set()
        for page in s3client(srv.endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket):
            listed |= {o["Key"] for o in page.get("Contents", [])}
        assert listed == set(ODD_KEYS), (sorted(set(ODD_KEYS) - listed), sorted(listed - set(ODD_KEYS)))
        assert srv.proc.poll() is None
    finally:
        srv.stop()


def _post_form(srv, body: bytes, content_type: str) -> requests.Response:
    return session().post(f"{srv.endpoint}/{BUCKET}", data=body, headers={"Content-Type": content_type},
                          timeout=TIMEOUT)


POST_CASES = {
    # name: (content type, body, statuses, codes)
    # recorded from S3: 412 PreconditionFailed; S3's error list: 400 RequestIsNotMultiPartContent
    "not-multipart": ("application/x-www-form-urlencoded", b"key=post-bad-1&file=x", (400, 412),
                      ("PreconditionFailed", "RequestIsNotMultiPartContent")),
    "no-boundary": ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\npost-bad-2\r\n--x--\r\n",
                    (400, 412), ("PreconditionFailed", "RequestIsNotMultiPartContent", "MalformedPOSTRequest",
                                 "InvalidArgument")),
    "unterminated": ("multipart/form-data; boundary=x",
                     b"--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\npost-bad-3\r\n--x\r\n"
                     b"Content-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\ndata",
                     (400,), ("MalformedPOSTRequest", "IncompleteBody")),
    "no-key": ("multipart/form-data; boundary=x",
               b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\ndata\r\n--x--\r\n",
               (400,), ("InvalidArgument",)),
    "no-file": ("multipart/form-data; boundary=x",
                b"--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\npost-bad-5\r\n--x--\r\n",
                (400,), ("InvalidArgument",)),
    "garbage": ("multipart/form-data; boundary=x", b"\x00\xff" * 5000, (400,), ("MalformedPOSTRequest", "InvalidArgument")),
    "bad-acl": ("multipart/form-data; boundary=x",
                b"--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\npost-bad-7\r\n--x\r\n"
                b"Content-Disposition: form-data; name=\"acl\"\r\n\r\npublic-everything\r\n--x\r\n"
                b"Content-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\ndata\r\n--x--\r\n",
                (400,), ("InvalidArgument",)),
    "many-fields": ("multipart/form-data; boundary=x",
                    b"".join(b"--x\r\nContent-Disposition: form-data; name=\"x-ignore-%d\"\r\n\r\nv\r\n" % i
                             for i in range(20000)) + b"--x--\r\n",
                    (400,), ("InvalidArgument", "MalformedPOSTRequest", "MaxPostPreDataLengthExceeded")),
}


@pytest.mark.parametrize("case", sorted(POST_CASES))
def test_post_object_malformed_forms(srv, case):
    content_type, body, statuses, codes = POST_CASES[case]
    r = _post_form(srv, body, content_type)
    assert r.status_code in statuses and code_of(r.content) in codes, f"want {statuses} {codes}: {show(r)}"
    listing = Owner(srv.endpoint).request("GET", f"/{BUCKET}", "list-type=2&prefix=post-bad")
    assert listing.status_code == 200 and b"<Key>" not in listing.content, f"a refused form stored: {listing.text[:500]}"
    alive(srv)


def test_anonymous_cannot_administer_a_public_bucket(srv):
    """public-read-write lets anyone write objects, not change the bucket's ACL, its CORS
    configuration, or delete it: a web page on any origin can send these."""
    owner = Owner(srv.endpoint)
    r = owner.put_cors(BUCKET, CORS_XML)
    assert r.status_code == 200, show(r)
    before = cors_state(srv)
    s = session()
    base = f"{srv.endpoint}/{BUCKET}"
    doc = (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
           b"<AllowedHeader>*</AllowedHeader></CORSRule></CORSConfiguration>")
    md5 = base64.b64encode(hashlib.md5(doc).digest()).decode()
    attempts = [
        ("PUT ?cors", lambda: s.put(f"{base}?cors", data=doc, headers={"Content-MD5": md5}, timeout=TIMEOUT)),
        ("DELETE ?cors", lambda: s.delete(f"{base}?cors", timeout=TIMEOUT)),
        ("GET ?cors", lambda: s.get(f"{base}?cors", timeout=TIMEOUT)),
        ("PUT ?acl private", lambda: s.put(f"{base}?acl", headers={"x-amz-acl": "private"}, timeout=TIMEOUT)),
        ("GET ?acl", lambda: s.get(f"{base}?acl", timeout=TIMEOUT)),
        ("PUT seed?acl", lambda: s.put(f"{base}/seed?acl", headers={"x-amz-acl": "private"}, timeout=TIMEOUT)),
        ("DELETE bucket", lambda: s.delete(base, timeout=TIMEOUT)),
        ("PUT bucket", lambda: s.put(f"{srv.endpoint}/anon-created-bucket", timeout=TIMEOUT)),
        ("GET /", lambda: s.get(f"{srv.endpoint}/", timeout=TIMEOUT)),
    ]
    for name, send in attempts:
        r = send()
        assert (r.status_code, code_of(r.content)) == (403, "AccessDenied"), f"anonymous {name}: {show(r)}"
    assert cors_state(srv) == before
    r = owner.request("GET", f"/{BUCKET}", "acl")
    assert r.status_code == 200 and b"AllUsers" in r.content and b"WRITE" in r.content, show(r)
    r = owner.request("HEAD", "/anon-created-bucket")
    assert r.status_code == 404, show(r)
    alive(srv)


def _exchange_on(sock: socket.socket, f, request: bytes) -> tuple[int, bool, bytes] | str:
    """Send one request on an open connection; (status, Connection: close?, body), or what
    happened instead."""
    try:
        sock.sendall(request)
    except OSError as e:
        return f"could not send: {e!r}"
    try:
        line = f.readline()
    except OSError as e:
        return f"no response: {e!r}"
    if not line:
        return "connection closed without a response"
    status, length, close = int(line.split()[1]), 0, False
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        if name.strip().lower() == "connection" and "close" in value.lower():
            close = True
    return status, close, f.read(length)


def test_refused_bodies_leave_the_connection_usable(srv):
    """HTTP/1.1 keep-alive: after answering a request whose body it did not read, the server
    either says `Connection: close` or keeps the connection usable. Closing it silently makes
    the client's next request on that connection fail (RFC 9112 9.6)."""
    port = srv.port
    big = b"x" * 65536
    url = f"{srv.endpoint}/{BUCKET}?website"
    signed = Owner(srv.endpoint).signed_headers("PUT", url, big)
    website = "".join(f"{k}: {v}\r\n" for k, v in signed.items())
    host = f"Host: 127.0.0.1:{port}\r\n"
    cases = {
        "anonymous PUT ?cors (403)": f"PUT /{BUCKET}?cors HTTP/1.1\r\n{host}Content-Length: {len(big)}\r\n\r\n",
        "PUT to a missing bucket (404)": f"PUT /no-such-bucket-ka/k HTTP/1.1\r\n{host}Content-Length: {len(big)}\r\n\r\n",
        "signed PUT ?website (501)": f"PUT /{BUCKET}?website HTTP/1.1\r\n{host}{website}Content-Length: {len(big)}\r\n\r\n",
        "PUT with a bad Content-MD5 (400)": f"PUT /{BUCKET}/ka HTTP/1.1\r\n{host}Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
                                            f"Content-Length: {len(big)}\r\n\r\n",
    }
    follow = f"GET /{BUCKET}/seed HTTP/1.1\r\n{host}\r\n".encode()
    problems = []
    for name, head in cases.items():
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        f = s.makefile("rb")
        try:
            first = _exchange_on(s, f, head.encode() + big)
            if isinstance(first, str) or first[0] < 400:
                problems.append(f"{name}: {first!r:.200}")
                continue
            if first[1]:
                continue  # said Connection: close: the client opens a new one
            time.sleep(0.2)
            second = _exchange_on(s, f, follow)
            if isinstance(second, str) or second[0] != 200:
                problems.append(f"{name}: answered {first[0]} without Connection: close, then the next request "
                                f"on the connection got: {second!r:.200}")
        finally:
            s.close()
    assert not problems, "\n".join(problems)
    alive(srv)


def test_pipelined_requests(srv):
    one = f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n".encode()
    bad = f"GET /{BUCKET}/missing-pipelined HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n".encode()
    last = f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: close\r\n\r\n".encode()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
    statuses = []
    try:
        s.sendall(one * 20 + bad + one * 20 + last)
        f = s.makefile("rb")
        for _ in range(42):  # one buffered reader; each response is framed by Content-Length
            status_line = f.readline()
            if not status_line:
                break
            status = int(status_line.split()[1])
            length = 0
            while True:
                line = f.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = f.read(length)
            statuses.append(status)
            if status == 200:
                assert body == SEED
    finally:
        s.close()
    assert statuses == [200] * 20 + [404] + [200] * 21, statuses
    alive(srv)


def test_chunked_and_broken_chunked_uploads(srv):
    def gen():
        yield b"chunk-one,"
        yield b"chunk-two"
    r = session().put(f"{srv.endpoint}/{BUCKET}/chunked", data=gen(), headers=PUBLIC_READ, timeout=TIMEOUT)
    if r.status_code == 200:
        g = session().get(f"{srv.endpoint}/{BUCKET}/chunked", timeout=TIMEOUT)
        assert g.content == b"chunk-one,chunk-two", show(g)
    else:  # S3 wants a Content-Length
        expect_error(r, 411, "MissingContentLength")
    payload = (f"PUT /{BUCKET}/broken-chunked HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nTransfer-Encoding: chunked\r\n"
               f"Connection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n").encode()
    status, _, body, note = raw_exchange(srv.port, payload)
    assert status is not None and 400 <= status < 500, (status, body[:200], note)
    absent(srv, "broken-chunked")
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Slow clients
# ---------------------------------------------------------------------------------------------


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, float]:
    """Read until the server closes; True if it did within `seconds`."""
    t0 = time.monotonic()
    end = t0 + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False, time.monotonic() - t0
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return False, time.monotonic() - t0
        except (ConnectionResetError, ConnectionAbortedError):
            return True, time.monotonic() - t0
        if not data:
            return True, time.monotonic() - t0


def test_slow_clients_are_disconnected(srv):
    limits = read_limits()
    header_t = limit_named(limits, "HEADER_TIMEOUT", "HEADER_READ_TIMEOUT", "HEAD_TIMEOUT", durations=True)
    body_t = limit_named(limits, "BODY_IDLE_TIMEOUT", "BODY_TIMEOUT", "BODY_READ_TIMEOUT", durations=True)
    # limits.rs: HEADER_TIMEOUT "also closes idle keep-alive connections"; a dedicated
    # constant wins when there is one.
    idle_t = limit_named(limits, "IDLE_TIMEOUT", "KEEP_ALIVE_TIMEOUT", "KEEPALIVE_TIMEOUT", durations=True)
    if idle_t is None or idle_t[0] == (body_t or ("",))[0]:
        idle_t = header_t

    def bound(t: tuple[str, float] | None) -> float:
        return 60.0 if t is None else min(60.0, t[1] * 1.25 + 3.0)

    port = srv.port
    host = f"127.0.0.1:{port}"
    results: dict[str, tuple[bool, float, float]] = {}

    def half_head():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: {host}\r\nX-Partial: ab".encode())
        b = bound(header_t)
        results["half request head"] = (*_closed_within(s, b), b)
        s.close()

    def silent():  # connects and never sends a byte
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        b = bound(header_t)
        results["silent connection"] = (*_closed_within(s, b), b)
        s.close()

    def trickle():  # one byte a second: a total, not a per-read, header timeout
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        b = bound(header_t)
        msg = f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode() + b"a" * 200
        t0 = time.monotonic()
        closed = False
        for i in range(len(msg)):
            if time.monotonic() - t0 > b:
                break
            try:
                s.sendall(msg[i:i + 1])
            except OSError:
                closed = True
                break
            s.settimeout(1.0)
            try:
                if s.recv(65536) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except OSError:
                closed = True
                break
        results["trickled request head (1 byte/s)"] = (closed, time.monotonic() - t0, b)
        s.close()

    def stalled_body():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(f"PUT /{BUCKET}/stalled HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100000\r\n\r\n".encode() + b"x" * 10)
        b = bound(body_t)
        results["stalled body"] = (*_closed_within(s, b), b)
        s.close()

    def idle_keepalive():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(f"GET /{BUCKET}/seed HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        resp = http.client.HTTPResponse(s, method="GET")
        resp.begin()
        assert resp.status == 200 and resp.read() == SEED
        b = bound(idle_t)
        # the response object holds the socket's file; read the raw socket from here on
        results["idle keep-alive"] = (*_closed_within(s, b), b)
        s.close()

    threads = [threading.Thread(target=f) for f in (half_head, silent, trickle, stalled_body, idle_keepalive)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=75)
    assert len(results) == 5, results
    named = {"header": header_t, "body": body_t, "idle": idle_t}
    open_ = {k: v for k, v in results.items() if not v[0]}
    assert not open_, (f"still open (closed?, seconds waited, bound): {open_}; limits.rs constants used: {named}; "
                       f"limits.rs {'exists' if LIMITS_RS.exists() else 'is missing'}")
    absent(srv, "stalled")  # a body that never finished stored nothing
    alive(srv)


# ---------------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------------


def _form(fields: list[tuple[str, bytes, str | None]], boundary: str) -> bytes:
    out = []
    for name, value, filename in fields:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out.append(f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + value + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def test_post_object_forms_do_not_grow_memory(srv):
    boundary = "----corsmatchboundary" + uuid.uuid4().hex
    pad = b"p" * (4 * MiB)
    s = session()

    def post(i: int) -> requests.Response:
        body = _form([("key", f"post-{i}".encode(), None), ("acl", b"public-read", None),
                      ("Content-Type", b"application/octet-stream", None),
                      ("file", b"Z", "z.bin"), ("x-ignore-padding", pad, None)], boundary)
        return s.post(f"{srv.endpoint}/{BUCKET}", data=body, timeout=TIMEOUT,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    for i in range(3):  # warm-up: buffers, threads
        r = post(1000 + i)
        assert r.status_code in (200, 201, 204), show(r)
    base = rss_kib(srv.proc.pid)
    for i in range(50):
        r = post(i)
        assert r.status_code in (200, 201, 204), show(r)
    grown = (rss_kib(srv.proc.pid) - base) / 1024
    g = s.get(f"{srv.endpoint}/{BUCKET}/post-7", timeout=TIMEOUT)
    assert g.status_code == 200 and g.content == b"Z", show(g)
    print(f"\n[memory] 50 PostObject forms of 4 MiB storing 1 byte each: RSS +{grown:.1f} MiB")
    assert grown < 64, f"RSS grew by {grown:.1f} MiB for 50 stored bytes (forms of 4 MiB are kept alive?)"
    alive(srv)


def _header_room(default: int) -> int:
    """A header size the server accepts: below any header limit limits.rs names."""
    lim = limit_named(read_limits(), "MAX_HEAD_BYTES", "MAX_HEADER_BYTES", "MAX_HEADERS_BYTES", durations=False)
    return default if lim is None else min(default, int(lim[1] * 0.7))


def test_junk_headers_do_not_grow_memory(srv):
    size = _header_room(256 * 1024)
    n = min(1000, math.ceil(40 * MiB / size))  # 40 MiB would stay alive if heads were kept
    junk = "j" * size
    s = session()

    def put(i: int) -> requests.Response:
        return s.put(f"{srv.endpoint}/{BUCKET}/junk-{i}", data=b"v", timeout=TIMEOUT,
                     headers={"x-amz-meta-small": "m", "X-Junk": junk, "Content-Type": "text/plain", **PUBLIC_READ})

    for i in range(10):
        r = put(10_000 + i)
        assert r.status_code == 200, show(r)
    base = rss_kib(srv.proc.pid)
    for i in range(n):
        r = put(i)
        assert r.status_code == 200, show(r)
    grown = (rss_kib(srv.proc.pid) - base) / 1024
    h = s.head(f"{srv.endpoint}/{BUCKET}/junk-3", timeout=TIMEOUT)
    assert h.status_code == 200 and h.headers.get("x-amz-meta-small") == "m", h.headers
    print(f"\n[memory] {n} PUTs of 1 byte with a {size // 1024} KiB junk header: RSS +{grown:.1f} MiB")
    assert grown < 24, f"RSS grew by {grown:.1f} MiB after {n} one-byte objects (request heads kept alive?)"
    alive(srv)


def test_big_metadata_headers_do_not_grow_memory(srv):
    s = session()
    stored = 0
    statuses: dict[int, int] = {}

    def put(i: int, size: int) -> None:
        nonlocal stored
        r = s.put(f"{srv.endpoint}/{BUCKET}/meta-{i}", data=b"v", timeout=TIMEOUT,
                  headers={"x-amz-meta-junk": "q" * size, **PUBLIC_READ})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code == 200:
            stored += size
        elif r.status_code != 431:  # a head over the server's limit
            # S3 allows 2 KB of user metadata
            assert (r.status_code, code_of(r.content)) == (400, "MetadataTooLarge"), show(r)
        if r.status_code != 200:
            g = session().get(f"{srv.endpoint}/{BUCKET}/meta-{i}", timeout=TIMEOUT)
            assert g.status_code == 404, f"a refused PUT stored meta-{i}: {show(g)}"

    for i in range(5):
        put(1000 + i, 200 * 1024)
    size = _header_room(200 * 1024)
    base = rss_kib(srv.proc.pid)
    for i in range(50):
        put(i, 200 * 1024 if i % 2 else size)
    grown = (rss_kib(srv.proc.pid) - base) / 1024
    print(f"\n[memory] 55 PUTs with a 200 KiB or {size // 1024} KiB x-amz-meta header: statuses {statuses}, "
          f"RSS +{grown:.1f} MiB, stored metadata {stored / MiB:.1f} MiB")
    assert grown < 64 + 2 * stored / MiB, f"RSS grew by {grown:.1f} MiB"
    alive(srv)


def test_html_objects_are_sandboxed(srv):
    s = session()
    page = b"<html><script>fetch('/_corsmatch/config')</script></html>"
    r = s.put(f"{srv.endpoint}/{BUCKET}/page.html", data=page, headers={"Content-Type": "text/html", **PUBLIC_READ}, timeout=TIMEOUT)
    assert r.status_code == 200, show(r)
    boundary = "b" + uuid.uuid4().hex
    form = _form([("key", b"posted.html", None), ("acl", b"public-read", None), ("Content-Type", b"text/html", None), ("file", page, "x.html")], boundary)
    r = s.post(f"{srv.endpoint}/{BUCKET}", data=form, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
               timeout=TIMEOUT)
    assert r.status_code in (200, 201, 204), show(r)
    s.put(f"{srv.endpoint}/{BUCKET}/image.svg", data=b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>",
          headers={"Content-Type": "image/svg+xml", **PUBLIC_READ}, timeout=TIMEOUT)
    checks = [
        ("GET", f"{srv.endpoint}/{BUCKET}/page.html", {}),
        ("HEAD", f"{srv.endpoint}/{BUCKET}/page.html", {}),
        ("GET", f"{srv.endpoint}/{BUCKET}/posted.html", {}),
        ("GET", f"{srv.endpoint}/page.html", {"Host": f"{BUCKET}.localhost:{srv.port}"}),
        ("GET", f"{srv.endpoint}/{BUCKET}/image.svg", {}),
        ("GET", f"{srv.endpoint}/{BUCKET}/seed", {}),
        ("GET", f"{srv.endpoint}/{BUCKET}/page.html", {"Range": "bytes=0-5"}),
    ]
    for method, url, headers in checks:
        r = s.request(method, url, headers=headers, timeout=TIMEOUT)
        assert r.status_code in (200, 206), show(r)
        assert r.headers.get("X-Content-Type-Options", "").lower() == "nosniff", (method, url, dict(r.headers))
        assert "sandbox" in r.headers.get("Content-Security-Policy", ""), (method, url, dict(r.headers))
    # a signed GetObject that asks for text/html
    url = f"{srv.endpoint}/{BUCKET}/seed"
    r = Owner(srv.endpoint).request("GET", f"/{BUCKET}/seed", "response-content-type=text%2Fhtml")
    if r.status_code == 200:
        assert r.headers.get("X-Content-Type-Options", "").lower() == "nosniff", (url, dict(r.headers))
        assert "sandbox" in r.headers.get("Content-Security-Policy", ""), (url, dict(r.headers))
    else:
        assert 400 <= r.status_code < 500, show(r)
    alive(srv)


# ---------------------------------------------------------------------------------------------
# The debug API: no CORS, read-only, paged log, bounded log file
# ---------------------------------------------------------------------------------------------


def test_debug_api_has_no_cors_and_is_read_only(srv):
    s = session()
    origin = {"Origin": "https://app.example.com"}
    for path in ("/_corsmatch/", f"/_corsmatch/config?bucket={BUCKET}", "/_corsmatch/buckets", "/_corsmatch/log",
                 f"/_corsmatch/explain?bucket={BUCKET}&method=GET&origin=https%3A%2F%2Fapp.example.com"):
        r = s.get(f"{srv.endpoint}{path}", headers=origin, timeout=TIMEOUT)
        assert r.status_code == 200, show(r)
        assert not [k for k in r.headers if k.lower().startswith("access-control-")], (path, dict(r.headers))
        r = s.options(f"{srv.endpoint}{path}", timeout=TIMEOUT,
                      headers={**origin, "Access-Control-Request-Method": "GET"})
        assert not [k for k in r.headers if k.lower().startswith("access-control-")], (path, dict(r.headers))
        assert r.status_code < 500, show(r)
    for method in ("PUT", "POST", "DELETE"):
        r = s.request(method, f"{srv.endpoint}/_corsmatch/config?bucket={BUCKET}", data=CORS_XML, headers=origin,
                      timeout=TIMEOUT)
        assert 400 <= r.status_code < 500, f"the debug API must stay read-only: {show(r)}"
        assert not [k for k in r.headers if k.lower().startswith("access-control-")], dict(r.headers)
    alive(srv)


def _strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from _strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from _strings(x)


def test_decision_log_is_paged_and_bounded(srv):
    size = _header_room(60 * 1024) // 2
    s = session()
    n = 300
    answered = 0
    base = rss_kib(srv.proc.pid)
    for i in range(n):
        origin = "https://" + "o" * size + f"{i}.example"
        r = s.options(f"{srv.endpoint}/{BUCKET}/seed", timeout=TIMEOUT,
                      headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                               "Access-Control-Request-Headers": "h" * size})
        assert r.status_code < 500, show(r)
        answered += r.status_code in (200, 403)
    assert answered == n, f"only {answered} of {n} big preflights were answered as preflights"
    limits = read_limits()
    page = limit_named(limits, "LOG_PAGE", durations=False)
    value = limit_named(limits, "LOG_VALUE_BYTES", durations=False)
    max_entries = int(page[1]) if page else 1000
    max_value = int(value[1]) + 64 if value else 8192
    sent = n * 2 * size
    for query in ("", "?since=0", "?tail=100000", "?since=0&tail=100000"):
        t0 = time.monotonic()
        r = s.get(f"{srv.endpoint}/_corsmatch/log{query}", timeout=TIMEOUT)
        took = time.monotonic() - t0
        assert r.status_code == 200, show(r)
        print(f"\n[log] {n} preflights carrying {sent / MiB:.1f} MiB of values: /_corsmatch/log{query} is "
              f"{len(r.content) / 1024:.0f} KiB ({took * 1000:.0f} ms)")
        assert len(r.content) < 2 * MiB, f"/_corsmatch/log{query} returned {len(r.content)} bytes: not paged/truncated"
        doc = json.loads(r.content)
        entries = doc if isinstance(doc, list) else next((v for v in doc.values() if isinstance(v, list)), [])
        assert 0 < len(entries) <= max_entries, f"{len(entries)} entries in one page ({page})"
        longest = max(len(x) for x in _strings(doc))
        assert longest <= max_value, f"a logged value of {longest} bytes ({value})"
    grown = (rss_kib(srv.proc.pid) - base) / 1024
    assert grown < 64, f"RSS grew by {grown:.1f} MiB while logging {n} decisions"
    # --log FILE: values truncated, or the file capped/rotated
    log_files = [p for p in srv.log_path.parent.iterdir() if p.name.startswith(srv.log_path.name)]
    total = sum(p.stat().st_size for p in log_files)
    assert total < 16 * MiB, f"--log files hold {total} bytes after {sent} bytes of request values: {log_files}"
    alive(srv)


def test_server_never_panicked(srv):
    alive(srv)
    assert not [line for line in srv.stderr if "panicked" in line or "RUST_BACKTRACE" in line], "".join(srv.stderr)


@pytest.mark.parametrize("addr", ["0.0.0.0:0", "[::]:0"])
def test_refuses_non_loopback_without_allow_remote(addr):
    p = subprocess.run([BIN, "serve", "--addr", addr], capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "listening" not in p.stdout, (p.returncode, p.stdout, p.stderr)
    assert "allow-remote" in p.stderr, p.stderr
