"""PostObject policies' conditions (`corsmatch serve --credentials`): boto3's
`generate_presigned_post` forms, sent with requests, pass as generated and fail when a field,
the bucket or the file's size is not what the policy allows, with S3's codes and messages.
The OSS profile checks the conditions a policy names but not that every field is named.
Without `--credentials` nothing about the policy is checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from conftest import make_s3_client  # noqa: E402
from serveproc import ACCESS_KEY, SECRET_KEY, Serve  # noqa: E402

TIMEOUT = 15


def client(endpoint: str, signature_version: str = "s3v4", secret: str = SECRET_KEY):
    return make_s3_client(endpoint, secret_key=secret, signature_version=signature_version)


@pytest.fixture(scope="module")
def s3(s3_server):
    return client(s3_server.endpoint)


def new_bucket(s3, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def send(post: dict, data: bytes, filename: str = "a.txt", url: str | None = None, **changes: str | None):
    """POSTs the form with `changes` applied to its fields (None drops one) and the file last."""
    fields = dict(post["fields"])
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return requests.post(url or post["url"], data=fields, files={"file": (filename, data)}, timeout=TIMEOUT,
                         allow_redirects=False)


def error(r: requests.Response) -> dict:
    root = ET.fromstring(r.content)
    assert root.tag == "Error", r.content
    return {c.tag: c.text or "" for c in root if c.tag not in ("RequestId", "HostId")}


def refused(r: requests.Response, status: int, code: str, message: str) -> dict:
    assert r.status_code == status, (r.status_code, r.content)
    e = error(r)
    assert (e["Code"], e["Message"]) == (code, message), e
    return e


def failed(condition: str) -> str:
    return f"Invalid according to Policy: Policy Condition failed: {condition}"


def exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except s3.exceptions.ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, e.response
        return False


def test_plain_form_passes_and_a_changed_key_fails(s3):
    b = new_bucket(s3, "pp-plain")
    post = s3.generate_presigned_post(b, "forms/a.txt", ExpiresIn=300)
    r = send(post, b"as generated")
    assert r.status_code == 204, r.content
    assert s3.get_object(Bucket=b, Key="forms/a.txt")["Body"].read() == b"as generated"

    r = send(post, b"elsewhere", key="forms/b.txt")
    refused(r, 403, "AccessDenied", failed('["eq", "$key", "forms/a.txt"]'))
    assert not exists(s3, b, "forms/b.txt")
    # Field names are case-insensitive: the policy's `key` covers a `Key` field.
    fields = {("Key" if k == "key" else k): v for k, v in post["fields"].items()}
    r = send({"url": post["url"], "fields": fields}, b"capital K")
    assert r.status_code == 204, r.content
    assert s3.get_object(Bucket=b, Key="forms/a.txt")["Body"].read() == b"capital K"


def test_fields_and_conditions(s3):
    b = new_bucket(s3, "pp-conds")
    post = s3.generate_presigned_post(
        b,
        "forms/${filename}",
        Fields={"acl": "public-read"},
        Conditions=[{"acl": "public-read"}, ["content-length-range", 1, 10]],
        ExpiresIn=300,
    )
    r = send(post, b"five!", filename="ok.txt")
    assert r.status_code == 204, r.content
    # public-read, as the form asked: readable without a signature
    anon = requests.get(f"{post['url']}/forms/ok.txt", timeout=TIMEOUT)
    assert anon.status_code == 200 and anon.content == b"five!", anon.content

    r = send(post, b"0123456789A", filename="big.txt")
    e = refused(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    assert (e["ProposedSize"], e["MaxSizeAllowed"]) == ("11", "10"), e
    r = send(post, b"", filename="empty.txt")
    e = refused(r, 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
    assert (e["ProposedSize"], e["MinSizeAllowed"]) == ("0", "1"), e
    r = send(post, b"ten bytes!", filename="ten.txt")
    assert r.status_code == 204, r.content  # the bounds are included

    r = send(post, b"x", filename="rw.txt", acl="public-read-write")
    refused(r, 403, "AccessDenied", failed('["eq", "$acl", "public-read"]'))
    r = send(post, b"x", filename="noacl.txt", acl=None)
    refused(r, 403, "AccessDenied", failed('["eq", "$acl", "public-read"]'))
    r = send(post, b"x", key="other/${filename}", filename="moved.txt")
    refused(r, 403, "AccessDenied", failed('["starts-with", "$key", "forms/"]'))
    r = send(post, b"x", filename="extra.txt", **{"x-amz-meta-note": "not in the policy"})
    refused(r, 403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-note")
    r = send(post, b"x", filename="ignored.txt", **{"x-ignore-tracker": "1"})
    assert r.status_code == 204, r.content
    r = send(post, b"x", filename="nodate.txt", **{"x-amz-date": None})
    assert r.status_code in (400, 403), r.content  # a SigV4 form needs its date
    for key in ("big.txt", "empty.txt", "rw.txt", "noacl.txt", "extra.txt", "nodate.txt"):
        assert not exists(s3, b, f"forms/{key}"), key
    assert not exists(s3, b, "other/moved.txt")
    assert exists(s3, b, "forms/ignored.txt")


def test_a_form_for_one_bucket_fails_on_another(s3):
    mine, other = new_bucket(s3, "pp-mine"), new_bucket(s3, "pp-other")
    post = s3.generate_presigned_post(mine, "k.txt", ExpiresIn=300)
    r = send(post, b"x", url=post["url"].rsplit("/", 1)[0] + "/" + other)
    refused(r, 403, "AccessDenied", failed(f'["eq", "$bucket", "{mine}"]'))
    assert not exists(s3, other, "k.txt")


def test_sigv2_forms(s3_server, s3):
    b = new_bucket(s3, "pp-v2")
    v2 = client(s3_server.endpoint, signature_version="s3")
    post = v2.generate_presigned_post(b, "v2/${filename}", Conditions=[["content-length-range", 0, 100]])
    assert "AWSAccessKeyId" in post["fields"] and "signature" in post["fields"], post
    r = send(post, b"signed with v2", filename="a.txt")
    assert r.status_code == 204, r.content
    assert s3.get_object(Bucket=b, Key="v2/a.txt")["Body"].read() == b"signed with v2"
    r = send(post, b"x", filename="b.txt", **{"Content-Type": "text/plain"})
    refused(r, 403, "AccessDenied", "Invalid according to Policy: Extra input fields: Content-Type")
    r = send(post, b"x" * 101, filename="c.txt")
    refused(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")


def test_malformed_policy_documents(s3):
    """A policy that is signed but not what S3 reads: 400 InvalidPolicyDocument."""
    b = new_bucket(s3, "pp-bad")
    url = s3.generate_presigned_post(b, "k")["url"]
    expiration = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for conditions, message in [
        ([{"bucket": b, "key": "k"}],
         "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."),
        ([["content-length-range", 0, 512.0]], "Invalid Policy: Invalid JSON."),
    ]:
        policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()
        signature = base64.b64encode(hmac.new(SECRET_KEY.encode(), policy.encode(), hashlib.sha1).digest()).decode()
        fields = {"key": "k", "AWSAccessKeyId": ACCESS_KEY, "policy": policy, "signature": signature}
        r = send({"url": url, "fields": fields}, b"x")
        refused(r, 400, "InvalidPolicyDocument", message)
    assert not exists(s3, b, "k")


def _oss_form(key: str, conditions: list, secret: str = SECRET_KEY) -> dict:
    expiration = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()
    signature = base64.b64encode(hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    return {"key": key, "OSSAccessKeyId": ACCESS_KEY, "policy": policy, "Signature": signature}


def test_oss_checks_the_conditions_it_names_only():
    with Serve("--profile", "oss", "--bucket", "pp-oss") as srv:
        url = f"{srv.endpoint}/pp-oss"
        conditions = [["starts-with", "$key", "user/"], ["in", "$content-type", ["image/png", "image/jpeg"]]]
        # Fields the policy does not name are accepted (success_action_status, x-oss-meta-*).
        form = dict(_oss_form("user/a.png", conditions), **{"content-type": "image/png",
                                                             "success_action_status": "200", "x-oss-meta-note": "hi"})
        r = send({"url": url, "fields": form}, b"png")
        assert r.status_code == 200, r.content
        r = send({"url": url, "fields": dict(form, key="admin/a.png")}, b"png")
        refused(r, 403, "AccessDenied", failed('["starts-with", "$key", "user/"]'))
        r = send({"url": url, "fields": dict(form, **{"content-type": "text/html"})}, b"<p>")
        refused(r, 403, "AccessDenied", failed('["in", "$content-type", ["image/png","image/jpeg"]]'))
        form = _oss_form("user/big", [["content-length-range", 0, 3]])
        r = send({"url": url, "fields": form}, b"four")
        refused(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")


def test_without_credentials_the_policy_is_not_checked():
    with Serve("--profile", "s3", "--bucket", "pp-free", credentials=False) as srv:
        c = client(srv.endpoint, secret="any secret")
        post = c.generate_presigned_post("pp-free", "only-this", Conditions=[["content-length-range", 0, 1]])
        r = send(post, b"longer than a byte", key="something-else", **{"x-amz-meta-note": "extra"})
        assert r.status_code == 204, r.content
        assert c.get_object(Bucket="pp-free", Key="something-else")["Body"].read() == b"longer than a byte"
