"""`corsmatch serve --profile s3` driven by boto3 (and `requests` for presigned URLs, browser
forms and the unsigned CORS requests), against ENDPOINT.md."""

from __future__ import annotations

import base64
import hashlib
import os
import time

import boto3.s3.transfer
import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024
S3_MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"


def err(excinfo) -> tuple[str, str, int]:
    e = excinfo.value
    assert isinstance(e, ClientError), e
    return (
        e.response.get("Error", {}).get("Code"),
        e.response.get("Error", {}).get("Message"),
        e.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def hdrs(resp: dict) -> dict:
    return resp["ResponseMetadata"]["HTTPHeaders"]


def new_bucket(s3, h, prefix: str = "b", **kw) -> str:
    name = h.unique(prefix)
    resp = s3.create_bucket(Bucket=name, **kw)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    return name


def version_of(s3, h, bucket: str) -> int:
    return h.config_version(hdrs(s3.head_bucket(Bucket=bucket)))


# ---------------------------------------------------------------------------------------------
# Buckets


def test_default_bucket_example_with_the_profiles_example_configuration(s3, h):
    s3.head_bucket(Bucket="example")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "example" in names
    rules = s3.get_bucket_cors(Bucket="example")["CORSRules"]
    assert rules, "the example bucket has a CORS configuration"
    assert all(r["AllowedOrigins"] and r["AllowedMethods"] for r in rules)


def test_create_head_list_delete_bucket(s3, h):
    name = new_bucket(s3, h, "life")
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    h.config_version(hdrs(head))
    listed = s3.list_buckets()["Buckets"]
    assert name in [b["Name"] for b in listed]
    assert all("CreationDate" in b for b in listed)
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket=name)
    assert err(ei)[2] == 404
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as ei:
        s3.list_objects_v2(Bucket=name)
    assert err(ei)[0] == "NoSuchBucket" and err(ei)[2] == 404
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket=name)
    assert err(ei)[0] == "NoSuchBucket" and err(ei)[2] == 404


@pytest.mark.parametrize("name", ["ab", "Bad_Bucket_Name", "-starts-with-hyphen", "a" * 64])
def test_bad_bucket_name_is_refused(s3, h, name):
    with pytest.raises(ClientError) as ei:
        s3.create_bucket(Bucket=name)
    assert err(ei)[0] == "InvalidBucketName" and err(ei)[2] == 400


def test_delete_bucket_not_empty(s3, h):
    name = new_bucket(s3, h, "full")
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket=name)
    assert err(ei)[0] == "BucketNotEmpty" and err(ei)[2] == 409
    s3.head_bucket(Bucket=name)
    s3.delete_object(Bucket=name, Key="k")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204


@pytest.mark.parametrize(
    "acl, anon_list, anon_put",
    [("private", 403, 403), ("public-read", 200, 403), ("public-read-write", 200, 200)],
)
def test_bucket_canned_acls_decide_anonymous_requests(s3, s3_server, h, acl, anon_list, anon_put):
    name = new_bucket(s3, h, "acl", ACL=acl)
    r = h.http("GET", f"{s3_server.endpoint}/{name}")
    assert r.status_code == anon_list, r.content
    if anon_list == 403:
        assert h.error_fields(r.content)["Code"] == "AccessDenied"
    else:
        assert b"ListBucketResult" in r.content
    r = h.http("PUT", f"{s3_server.endpoint}/{name}/anon", data=b"from nobody")
    assert r.status_code == anon_put, r.content
    if anon_put == 403:
        assert h.error_fields(r.content)["Code"] == "AccessDenied"
        with pytest.raises(ClientError) as ei:
            s3.head_object(Bucket=name, Key="anon")
        assert err(ei)[2] == 404
    else:
        assert s3.get_object(Bucket=name, Key="anon")["Body"].read() == b"from nobody"


def test_bucket_acl_get_and_put(s3, s3_server, h):
    name = new_bucket(s3, h, "pacl")
    all_users = "http://acs.amazonaws.com/groups/global/AllUsers"

    def public_perms() -> set:
        grants = s3.get_bucket_acl(Bucket=name)["Grants"]
        return {g["Permission"] for g in grants if g["Grantee"].get("URI") == all_users}

    assert public_perms() == set()
    assert h.http("GET", f"{s3_server.endpoint}/{name}").status_code == 403
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    assert public_perms() == {"READ"}
    assert h.http("GET", f"{s3_server.endpoint}/{name}").status_code == 200
    s3.put_bucket_acl(Bucket=name, ACL="private")
    assert public_perms() == set()
    assert h.http("GET", f"{s3_server.endpoint}/{name}").status_code == 403


# ---------------------------------------------------------------------------------------------
# Listing


def test_list_objects_v1_and_v2(s3, h):
    name = new_bucket(s3, h, "list")
    keys = ["a/1", "a/2", "b/1", "c", "d", "e/x/y"]
    for k in keys:
        s3.put_object(Bucket=name, Key=k, Body=k.encode())

    full = s3.list_objects_v2(Bucket=name)
    assert [o["Key"] for o in full["Contents"]] == keys
    assert full["KeyCount"] == len(keys) and full["IsTruncated"] is False
    assert {o["Key"]: o["ETag"] for o in full["Contents"]} == {k: f'"{h.md5_hex(k.encode())}"' for k in keys}
    assert all(o["Size"] == len(o["Key"]) for o in full["Contents"])

    r = s3.list_objects_v2(Bucket=name, Prefix="a/")
    assert [o["Key"] for o in r["Contents"]] == ["a/1", "a/2"]

    r = s3.list_objects_v2(Bucket=name, Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["c", "d"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/", "e/"]

    r = s3.list_objects_v2(Bucket=name, Prefix="e/", Delimiter="/")
    assert "Contents" not in r and [p["Prefix"] for p in r["CommonPrefixes"]] == ["e/x/"]

    r = s3.list_objects_v2(Bucket=name, StartAfter="b/1")
    assert [o["Key"] for o in r["Contents"]] == ["c", "d", "e/x/y"]

    # continuation: pages of 2
    seen, token, pages = [], None, 0
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket=name, MaxKeys=2, **kw)
        pages += 1
        assert r["KeyCount"] == len(r.get("Contents", []))
        seen += [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
        assert pages < 10
    assert seen == keys and pages == 3

    paginated = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 4})
        for o in page.get("Contents", [])
    ]
    assert paginated == keys

    # V1
    r = s3.list_objects(Bucket=name)
    assert [o["Key"] for o in r["Contents"]] == keys and r["IsTruncated"] is False
    r = s3.list_objects(Bucket=name, MaxKeys=2)
    assert [o["Key"] for o in r["Contents"]] == ["a/1", "a/2"] and r["IsTruncated"] is True
    r = s3.list_objects(Bucket=name, Marker="a/2", MaxKeys=2)
    assert [o["Key"] for o in r["Contents"]] == ["b/1", "c"] and r["IsTruncated"] is True
    r = s3.list_objects(Bucket=name, Delimiter="/", MaxKeys=3)
    assert [o["Key"] for o in r.get("Contents", [])] == ["c"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/"]
    assert r["IsTruncated"] is True and r["NextMarker"] == "c"
    v1 = [
        o["Key"]
        for page in s3.get_paginator("list_objects").paginate(Bucket=name, PaginationConfig={"PageSize": 2})
        for o in page.get("Contents", [])
    ]
    assert v1 == keys


# ---------------------------------------------------------------------------------------------
# Bucket CORS


def test_cors_put_get_delete_round_trip_and_versions(s3, h):
    name = new_bucket(s3, h, "cors")
    v0 = version_of(s3, h, name)
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=name)
    assert err(ei) == ("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404)

    rules = [
        {
            "ID": "Upload From Browser",
            "AllowedHeaders": ["Content-Type", "X-Amz-*", "x-amz-*", "Authorization"],
            "AllowedMethods": ["PUT", "POST", "PUT"],
            "AllowedOrigins": ["https://www.example.com", "https://*.Example.com", "http://localhost:3000"],
            "ExposeHeaders": ["ETag", "x-amz-request-id", "x-amz-version-id"],
            "MaxAgeSeconds": 0,
        },
        {"AllowedMethods": ["GET", "HEAD", "DELETE"], "AllowedOrigins": ["*"]},
        {"AllowedMethods": ["GET", "HEAD", "DELETE"], "AllowedOrigins": ["*"]},
        {"ID": "x", "AllowedMethods": ["GET"], "AllowedOrigins": ["null", "foo*"], "MaxAgeSeconds": 86400},
    ]
    put = s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    v1 = h.config_version(hdrs(put))
    assert v1 > v0
    got = s3.get_bucket_cors(Bucket=name)
    assert got["CORSRules"] == rules
    assert h.config_version(hdrs(got)) == v1
    assert version_of(s3, h, name) == v1

    rules2 = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://other.example"]}]
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules2})
    v2 = version_of(s3, h, name)
    assert v2 > v1
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == rules2

    d = s3.delete_bucket_cors(Bucket=name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    v3 = version_of(s3, h, name)
    assert v3 > v2
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=name)
    assert err(ei)[0] == "NoSuchCORSConfiguration" and err(ei)[2] == 404


def test_cors_raw_document_is_returned_as_stored(s3, s3_server, h):
    """A namespace-less document sent by hand (SigV4, Content-MD5) comes back as the same rules."""
    name = new_bucket(s3, h, "raw")
    rules = h.cross_check_rules("s3")
    doc = h.s3_rules_to_xml(rules, namespace=False).encode()
    r = h.sigv4_request("PUT", f"{s3_server.endpoint}/{name}?cors", doc)
    assert r.status_code == 200, r.content
    r = h.sigv4_request("GET", f"{s3_server.endpoint}/{name}?cors")
    assert r.status_code == 200, r.content
    assert h.parse_rules_xml(r.content) == (rules, None)
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == rules


def _rules(**rule) -> list[dict]:
    base = {"AllowedMethods": ["GET"], "AllowedOrigins": ["https://a.example"]}
    base.update(rule)
    return [base]


INVALID_VIA_SDK = {
    "lowercase-method": (
        _rules(AllowedMethods=["GET", "get"]),
        ("InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is get"),
    ),
    "two-wildcards-origin": (
        _rules(AllowedOrigins=["http://*.*.com"]),
        ("InvalidRequest", 'AllowedOrigin "http://*.*.com" can not have more than one wildcard.'),
    ),
    "101-rules": (
        _rules() * 101,
        ("InvalidRequest", "The number of CORS rules should not exceed allowed limit of 100 rules."),
    ),
    "two-wildcards-header": (
        _rules(AllowedHeaders=["x-*-*"]),
        ("InvalidRequest", 'AllowedHeader "x-*-*" can not have more than one wildcard.'),
    ),
    "unsupported-method-patch": (_rules(AllowedMethods=["PATCH"]), None),
    "expose-star": (_rules(ExposeHeaders=["*"]), None),
    "expose-space": (_rules(ExposeHeaders=["x a"]), None),
    "negative-max-age": (_rules(MaxAgeSeconds=-1), None),
    "id-256": (_rules(ID="i" * 256), None),
    "second-rule-bad": (_rules() + _rules(AllowedMethods=["OPTIONS"]), None),
}


@pytest.mark.parametrize("case", list(INVALID_VIA_SDK))
def test_cors_invalid_documents_get_the_providers_error(s3, h, case):
    rules, expected = INVALID_VIA_SDK[case]
    oracle = h.corsmatch_check(h.s3_rules_to_xml(rules), "s3")
    assert oracle is not None, "corsmatch check accepts it"
    if expected is not None:
        assert (oracle["code"], oracle["message"]) == expected
    name = new_bucket(s3, h, "bad")
    good = _rules(AllowedOrigins=["https://kept.example"])
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": good})
    v = version_of(s3, h, name)
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    assert err(ei) == (oracle["code"], oracle["message"], 400)
    # the old configuration stays
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == good
    assert version_of(s3, h, name) == v


RAW_MAX_AGE = (
    b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    b"<MaxAgeSeconds>ten</MaxAgeSeconds></CORSRule></CORSConfiguration>"
)
INVALID_RAW = {
    "max-age-not-a-number": RAW_MAX_AGE,
    "not-well-formed": b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>",
    "no-rules": b"<CORSConfiguration></CORSConfiguration>",
    "wrong-root": b"<CORSConfig><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    b"</CORSRule></CORSConfig>",
    "rule-without-method": b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"
    b"</CORSConfiguration>",
    "response-vary-is-oss-only": b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
    b"<AllowedMethod>GET</AllowedMethod></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>",
    "over-64-kb": b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    + b"<ExposeHeader>x-padding-header-name</ExposeHeader>" * 1700
    + b"</CORSRule></CORSConfiguration>",
}


@pytest.mark.parametrize("case", list(INVALID_RAW))
def test_cors_invalid_raw_documents_are_malformed_xml(s3, s3_server, h, case):
    doc = INVALID_RAW[case]
    oracle = h.corsmatch_check(doc, "s3")
    assert oracle == {"code": "MalformedXML", "message": S3_MALFORMED}
    name = new_bucket(s3, h, "raw")
    r = h.sigv4_request("PUT", f"{s3_server.endpoint}/{name}?cors", doc)
    assert r.status_code == 400, r.content
    f = h.error_fields(r.content)
    assert (f["Code"], f["Message"]) == ("MalformedXML", S3_MALFORMED)
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=name)
    assert err(ei)[0] == "NoSuchCORSConfiguration"


def test_cors_content_md5_is_verified(s3, s3_server, h):
    name = new_bucket(s3, h, "md5")
    doc = h.s3_rules_to_xml(_rules()).encode()
    wrong = base64.b64encode(hashlib.md5(doc + b" ").digest()).decode()
    r = h.sigv4_request("PUT", f"{s3_server.endpoint}/{name}?cors", doc, content_md5=wrong)
    assert r.status_code == 400 and h.error_fields(r.content)["Code"] == "BadDigest", r.content
    r = h.sigv4_request("PUT", f"{s3_server.endpoint}/{name}?cors", doc, content_md5="not base64 at all!")
    assert r.status_code == 400 and h.error_fields(r.content)["Code"] == "InvalidDigest", r.content
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=name)
    assert err(ei)[0] == "NoSuchCORSConfiguration"
    r = h.sigv4_request("PUT", f"{s3_server.endpoint}/{name}?cors", doc)
    assert r.status_code == 200, r.content


def test_cors_api_on_a_missing_bucket(s3, h):
    missing = h.unique("missing")
    for call in (
        lambda: s3.get_bucket_cors(Bucket=missing),
        lambda: s3.put_bucket_cors(Bucket=missing, CORSConfiguration={"CORSRules": _rules()}),
        lambda: s3.delete_bucket_cors(Bucket=missing),
    ):
        with pytest.raises(ClientError) as ei:
            call()
        assert err(ei)[0] == "NoSuchBucket" and err(ei)[2] == 404


# ---------------------------------------------------------------------------------------------
# Objects


def test_put_get_head_delete_object_with_range(s3, h):
    name = new_bucket(s3, h, "obj")
    body = bytes(range(256)) * 4
    put = s3.put_object(
        Bucket=name, Key="dir/file.bin", Body=body, ContentType="application/x-test", Metadata={"color": "blue"}
    )
    assert put["ETag"] == f'"{h.md5_hex(body)}"'
    h.config_version(hdrs(put))

    got = s3.get_object(Bucket=name, Key="dir/file.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"color": "blue"}
    assert got["ETag"] == put["ETag"] and got["ContentLength"] == len(body)

    part = s3.get_object(Bucket=name, Key="dir/file.bin", Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["Body"].read() == body[10:20]
    assert part["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert part["ContentLength"] == 10

    tail = s3.get_object(Bucket=name, Key="dir/file.bin", Range="bytes=-5")
    assert tail["Body"].read() == body[-5:]
    assert tail["ContentRange"] == f"bytes {len(body) - 5}-{len(body) - 1}/{len(body)}"
    opened = s3.get_object(Bucket=name, Key="dir/file.bin", Range="bytes=1000-")
    assert opened["Body"].read() == body[1000:]

    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=name, Key="dir/file.bin", Range=f"bytes={len(body)}-")
    assert err(ei)[0] == "InvalidRange" and err(ei)[2] == 416

    head = s3.head_object(Bucket=name, Key="dir/file.bin")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    assert head["Metadata"] == {"color": "blue"} and head["ContentType"] == "application/x-test"

    assert s3.delete_object(Bucket=name, Key="dir/file.bin")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=name, Key="dir/file.bin")
    assert err(ei)[0] == "NoSuchKey" and err(ei)[2] == 404
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=name, Key="dir/file.bin")
    assert err(ei)[2] == 404
    # deleting what is not there is a success in S3
    assert s3.delete_object(Bucket=name, Key="dir/file.bin")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_object_integrity_headers_are_verified(s3, h):
    name = new_bucket(s3, h, "sum")
    body = b"integrity" * 100
    md5_ok = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=name, Key="ok", Body=body, ContentMD5=md5_ok)
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=name, Key="bad-md5", Body=body, ContentMD5=base64.b64encode(b"0" * 16).decode())
    assert err(ei)[0] == "BadDigest" and err(ei)[2] == 400
    for algo in ("SHA256", "SHA1", "CRC32"):
        s3.put_object(Bucket=name, Key=f"ok-{algo}", Body=body, ChecksumAlgorithm=algo)
        assert s3.get_object(Bucket=name, Key=f"ok-{algo}")["Body"].read() == body
    # CRC32C: botocore needs awscrt for it, so the header is computed here and sent by hand
    good = base64.b64encode(_crc32c(body).to_bytes(4, "big")).decode()
    r = h.sigv4_request("PUT", f"{s3.meta.endpoint_url}/{name}/ok-CRC32C", body,
                        headers={"x-amz-checksum-crc32c": good}, content_md5=False)
    assert r.status_code == 200, r.content
    bad = base64.b64encode((_crc32c(body) ^ 1).to_bytes(4, "big")).decode()
    r = h.sigv4_request("PUT", f"{s3.meta.endpoint_url}/{name}/bad-crc32c", body,
                        headers={"x-amz-checksum-crc32c": bad}, content_md5=False)
    assert r.status_code == 400 and h.error_fields(r.content)["Code"] == "BadDigest", r.content
    wrong_sha256 = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=name, Key="bad-sha", Body=body, ChecksumSHA256=wrong_sha256)
    assert err(ei)[0] == "BadDigest" and err(ei)[2] == 400
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]]
    assert "bad-md5" not in keys and "bad-sha" not in keys and "bad-crc32c" not in keys
    assert {"ok", "ok-SHA256", "ok-SHA1", "ok-CRC32", "ok-CRC32C"} <= set(keys)


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_upload_file_multipart_and_download_file(s3, h, tmp_path):
    name = new_bucket(s3, h, "mpu")
    data = os.urandom(10 * MIB + 12345)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=2)
    s3.upload_file(str(src), name, "big.bin", Config=cfg)
    head = s3.head_object(Bucket=name, Key="big.bin")
    parts = [data[:5 * MIB], data[5 * MIB:10 * MIB], data[10 * MIB:]]
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == f'"{h.multipart_etag(parts)}"'
    dst = tmp_path / "dst.bin"
    s3.download_file(name, "big.bin", str(dst), Config=cfg)
    assert dst.read_bytes() == data


def test_multipart_low_level_list_parts_abort_and_errors(s3, h):
    name = new_bucket(s3, h, "mpl")
    p1, p2 = os.urandom(5 * MIB), b"tail of the object"
    up = s3.create_multipart_upload(Bucket=name, Key="obj")["UploadId"]
    e1 = s3.upload_part(Bucket=name, Key="obj", UploadId=up, PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part(Bucket=name, Key="obj", UploadId=up, PartNumber=2, Body=p2)["ETag"]
    assert e1 == f'"{h.md5_hex(p1)}"' and e2 == f'"{h.md5_hex(p2)}"'
    listed = s3.list_parts(Bucket=name, Key="obj", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [(1, e1, len(p1)), (2, e2, len(p2))]

    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(
            Bucket=name,
            Key="obj",
            UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": '"' + "0" * 32 + '"'}]},
        )
    assert err(ei)[0] == "InvalidPart" and err(ei)[2] == 400

    done = s3.complete_multipart_upload(
        Bucket=name,
        Key="obj",
        UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    assert done["ETag"] == f'"{h.multipart_etag([p1, p2])}"'
    assert s3.get_object(Bucket=name, Key="obj")["Body"].read() == p1 + p2
    with pytest.raises(ClientError) as ei:
        s3.list_parts(Bucket=name, Key="obj", UploadId=up)
    assert err(ei)[0] == "NoSuchUpload" and err(ei)[2] == 404

    # a part below 5 MiB that is not the last one
    up = s3.create_multipart_upload(Bucket=name, Key="small")["UploadId"]
    s1 = s3.upload_part(Bucket=name, Key="small", UploadId=up, PartNumber=1, Body=b"a" * 1024)["ETag"]
    s2 = s3.upload_part(Bucket=name, Key="small", UploadId=up, PartNumber=2, Body=b"b")["ETag"]
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(
            Bucket=name,
            Key="small",
            UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": s1}, {"PartNumber": 2, "ETag": s2}]},
        )
    assert err(ei)[0] == "EntityTooSmall" and err(ei)[2] == 400

    # abort
    aborted = s3.abort_multipart_upload(Bucket=name, Key="small", UploadId=up)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        s3.upload_part(Bucket=name, Key="small", UploadId=up, PartNumber=3, Body=b"c")
    assert err(ei)[0] == "NoSuchUpload" and err(ei)[2] == 404
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=name, Key="small")
    assert err(ei)[2] == 404


# ---------------------------------------------------------------------------------------------
# Presigned URLs and browser forms


def test_presigned_get_and_put_urls(s3, s3_server, h):
    name = new_bucket(s3, h, "pre")
    s3.put_object(Bucket=name, Key="read-me.txt", Body=b"presigned read")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "read-me.txt"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    r = h.http("GET", url)
    assert r.status_code == 200 and r.content == b"presigned read"
    h.config_version(r.headers)

    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": name, "Key": "up.bin"}, ExpiresIn=300)
    r = h.http("PUT", put_url, data=b"uploaded through a presigned URL")
    assert r.status_code == 200, r.content
    assert r.headers["ETag"] == f'"{h.md5_hex(b"uploaded through a presigned URL")}"'
    assert s3.get_object(Bucket=name, Key="up.bin")["Body"].read() == b"uploaded through a presigned URL"

    # a presigned PUT that signs Content-Type, as browser uploads use it
    typed = s3.generate_presigned_url(
        "put_object", Params={"Bucket": name, "Key": "typed.txt", "ContentType": "text/plain"}, ExpiresIn=300
    )
    r = h.http("PUT", typed, data=b"typed", headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.content
    assert s3.head_object(Bucket=name, Key="typed.txt")["ContentType"] == "text/plain"
    r = h.http("PUT", typed, data=b"typed", headers={"Content-Type": "text/html"})
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "SignatureDoesNotMatch", r.content

    # tampered: another key, or a changed signature
    forged = url.replace("read-me.txt", "up.bin")
    r = h.http("GET", forged)
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "SignatureDoesNotMatch", r.content
    sig = url.rsplit("X-Amz-Signature=", 1)[1][:64]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    r = h.http("GET", url.replace(sig, flipped))
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "SignatureDoesNotMatch", r.content
    # signed with another secret
    other = h.make_s3_client(s3_server.endpoint, secret_key="not-the-secret")
    r = h.http("GET", other.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "read-me.txt"}))
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "SignatureDoesNotMatch", r.content
    other = h.make_s3_client(s3_server.endpoint, access_key="AKIDSOMEONEELSE")
    r = h.http("PUT", other.generate_presigned_url("put_object", Params={"Bucket": name, "Key": "x"}), data=b"x")
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "InvalidAccessKeyId", r.content


def test_presigned_sigv2_query(s3, s3_server, h):
    name = new_bucket(s3, h, "prev2")
    s3.put_object(Bucket=name, Key="v2.txt", Body=b"signature version 2")
    v2 = h.make_s3_client(s3_server.endpoint, signature_version="s3")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "v2.txt"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "Signature=" in url
    r = h.http("GET", url)
    assert r.status_code == 200 and r.content == b"signature version 2", r.content
    bad = h.make_s3_client(s3_server.endpoint, signature_version="s3", secret_key="wrong")
    r = h.http("GET", bad.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "v2.txt"}))
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "SignatureDoesNotMatch", r.content


def test_sigv2_header_signing(s3, s3_server, h):
    """boto3 with signature_version="s3": `Authorization: AWS AK:SIG` (serve --help: SigV2 is
    verified with --credentials)."""
    v2 = h.make_s3_client(s3_server.endpoint, signature_version="s3")
    name = h.unique("v2h")
    v2.create_bucket(Bucket=name)
    v2.put_object(Bucket=name, Key="sp ace+plus", Body=b"v2 header", ContentType="text/plain")
    assert v2.get_object(Bucket=name, Key="sp ace+plus")["Body"].read() == b"v2 header"
    v2.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": _rules()})
    assert v2.get_bucket_cors(Bucket=name)["CORSRules"] == _rules()
    bad = h.make_s3_client(s3_server.endpoint, signature_version="s3", secret_key="wrong")
    with pytest.raises(ClientError) as ei:
        bad.put_object(Bucket=name, Key="sneaky", Body=b"x")
    assert err(ei)[0] == "SignatureDoesNotMatch" and err(ei)[2] == 403
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=name, Key="sneaky")
    assert err(ei)[2] == 404


def test_presigned_post_form(s3, h):
    name = new_bucket(s3, h, "post")
    post = s3.generate_presigned_post(
        name,
        "forms/${filename}",
        Fields={"Content-Type": "text/plain"},
        Conditions=[{"Content-Type": "text/plain"}, ["starts-with", "$key", "forms/"]],
        ExpiresIn=300,
    )
    r = h.http("POST", post["url"], data=post["fields"], files={"file": ("note.txt", b"posted by a form")})
    assert r.status_code == 204, r.content
    got = s3.get_object(Bucket=name, Key="forms/note.txt")
    assert got["Body"].read() == b"posted by a form"
    assert got["ContentType"] == "text/plain"

    # with a success_action_status of 201 the answer is an XML document naming the object
    post = s3.generate_presigned_post(
        name, "forms/201.txt", Fields={"success_action_status": "201"}, Conditions=[{"success_action_status": "201"}]
    )
    r = h.http("POST", post["url"], data=post["fields"], files={"file": ("x", b"201")})
    assert r.status_code == 201 and b"<Key>forms/201.txt</Key>" in r.content, r.content

    # a forged signature stores nothing (the policy is verified with --credentials)
    post = s3.generate_presigned_post(name, "forms/forged.txt", ExpiresIn=300)
    fields = dict(post["fields"])
    fields["x-amz-signature"] = "0" * 64
    r = h.http("POST", post["url"], data=fields, files={"file": ("forged.txt", b"forged")})
    assert r.status_code == 403, r.content
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=name, Key="forms/forged.txt")
    assert err(ei)[2] == 404


# ---------------------------------------------------------------------------------------------
# Who is asking


def test_wrong_credentials(s3, s3_server, h):
    name = new_bucket(s3, h, "creds")
    wrong_secret = h.make_s3_client(s3_server.endpoint, secret_key=h.SECRET_KEY + "x")
    for call in (
        lambda: wrong_secret.list_objects_v2(Bucket=name),
        lambda: wrong_secret.get_bucket_cors(Bucket=name),
        lambda: wrong_secret.put_object(Bucket=name, Key="sneaky", Body=b"x"),
        lambda: wrong_secret.list_buckets(),
    ):
        with pytest.raises(ClientError) as ei:
            call()
        assert err(ei)[0] == "SignatureDoesNotMatch" and err(ei)[2] == 403
    other_key = h.make_s3_client(s3_server.endpoint, access_key="AKIDNOTKNOWNHERE")
    for call in (
        lambda: other_key.get_bucket_cors(Bucket=name),
        lambda: other_key.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": _rules()}),
        lambda: other_key.create_bucket(Bucket=h.unique("nope")),
    ):
        with pytest.raises(ClientError) as ei:
            call()
        assert err(ei)[0] == "InvalidAccessKeyId" and err(ei)[2] == 403
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=name, Key="sneaky")
    assert err(ei)[2] == 404
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=name)
    assert err(ei)[0] == "NoSuchCORSConfiguration"


def test_anonymous_reads_follow_object_acls(s3, s3_server, h):
    name = new_bucket(s3, h, "anon")
    s3.put_object(Bucket=name, Key="private.txt", Body=b"secret")
    s3.put_object(Bucket=name, Key="public.html", Body=b"<script>1</script>", ContentType="text/html",
                  ACL="public-read")
    r = h.http("GET", f"{s3_server.endpoint}/{name}/private.txt")
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "AccessDenied", r.content
    assert b"secret" not in r.content
    r = h.http("GET", f"{s3_server.endpoint}/{name}/public.html")
    assert r.status_code == 200 and r.content == b"<script>1</script>"
    assert r.headers.get("X-Content-Type-Options", "").lower() == "nosniff"
    assert "sandbox" in r.headers.get("Content-Security-Policy", "")
    r = h.http("HEAD", f"{s3_server.endpoint}/{name}/private.txt")
    assert r.status_code == 403
    # ?acl on an object
    s3.put_object_acl(Bucket=name, Key="private.txt", ACL="public-read")
    grants = s3.get_object_acl(Bucket=name, Key="private.txt")["Grants"]
    assert {g["Permission"] for g in grants
            if g["Grantee"].get("URI") == "http://acs.amazonaws.com/groups/global/AllUsers"} == {"READ"}
    r = h.http("GET", f"{s3_server.endpoint}/{name}/private.txt")
    assert r.status_code == 200 and r.content == b"secret"
    s3.put_object_acl(Bucket=name, Key="private.txt", ACL="private")
    assert h.http("GET", f"{s3_server.endpoint}/{name}/private.txt").status_code == 403
    # nobody deletes anonymously
    r = h.http("DELETE", f"{s3_server.endpoint}/{name}/public.html")
    assert r.status_code == 403
    assert s3.head_object(Bucket=name, Key="public.html")["ContentLength"] == len(b"<script>1</script>")


def test_unsupported_operation_is_not_implemented(s3, h):
    name = new_bucket(s3, h, "ni")
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_website(
            Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
        )
    assert err(ei)[0] == "NotImplemented" and err(ei)[2] == 501


# ---------------------------------------------------------------------------------------------
# Virtual-hosted addressing


def test_virtual_hosted_addressing(s3, s3_server, h, localhost_subdomains):
    vs3 = h.make_s3_client(f"http://localhost:{s3_server.port}", addressing="virtual")
    name = h.unique("vhost")
    seen_hosts = []
    vs3.meta.events.register("before-send.s3", lambda request, **kw: seen_hosts.append(request.url))
    vs3.create_bucket(Bucket=name)
    put = vs3.put_object(Bucket=name, Key="v/k.txt", Body=b"virtual")
    assert vs3.get_object(Bucket=name, Key="v/k.txt")["Body"].read() == b"virtual"
    assert [o["Key"] for o in vs3.list_objects_v2(Bucket=name)["Contents"]] == ["v/k.txt"]
    rules = _rules(AllowedOrigins=["https://virtual.example"])
    vs3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    assert vs3.get_bucket_cors(Bucket=name)["CORSRules"] == rules
    h.config_version(hdrs(vs3.head_bucket(Bucket=name)))
    assert all(u.startswith(f"http://{name}.localhost:{s3_server.port}/") for u in seen_hosts), seen_hosts
    # the same bucket, path style
    assert s3.get_object(Bucket=name, Key="v/k.txt")["ETag"] == put["ETag"]
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == rules
    vs3.delete_object(Bucket=name, Key="v/k.txt")
    vs3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket=name)
    assert err(ei)[2] == 404


# ---------------------------------------------------------------------------------------------
# The CORS cross-check against corsmatch eval


def test_cors_cross_check_with_corsmatch_eval(s3, s3_server, h):
    name = new_bucket(s3, h, "xc")
    rules = h.cross_check_rules("s3")
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    s3.put_object(Bucket=name, Key="obj.txt", Body=b"hello", ACL="public-read")
    version = version_of(s3, h, name)
    config = h.s3_rules_to_xml(rules)
    cases = h.standard_cases("s3", s3_server.endpoint, s3_server.port, name, "obj.txt", h.unique("nobucket"))
    h.cross_check("s3", config, cases, version=version)


def test_cors_headers_on_signed_responses_errors_included(s3, s3_server, h):
    """S3 adds the CORS headers to every response of the bucket, error responses included
    (NoSuchKey, NoSuchUpload, InvalidRange, SignatureDoesNotMatch, MalformedXML, ...)."""
    name = new_bucket(s3, h, "xe")
    rules = h.cross_check_rules("s3")
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    s3.put_object(Bucket=name, Key="obj", Body=b"0123456789")
    version = version_of(s3, h, name)
    ep, www, app = s3_server.endpoint, "https://www.example.com", "https://app.example.com"
    bad_cors = h.s3_rules_to_xml(_rules(AllowedMethods=["get"])).encode()
    # (method, url, body, origin, target, status, code, signer kwargs)
    cases = [
        ("GET", f"{ep}/{name}/missing", b"", www, "object", 404, "NoSuchKey", {}),
        ("PUT", f"{ep}/{name}/x?partNumber=1&uploadId=nope", b"x", www, "object", 404, "NoSuchUpload", {}),
        ("GET", f"{ep}/{name}?list-type=2", b"", www, "bucket", 200, None, {}),
        ("GET", f"{ep}/{name}/obj", b"", app, "object", 200, None, {}),
        ("DELETE", f"{ep}/{name}", b"", www, "bucket", 409, "BucketNotEmpty", {}),
        ("GET", f"{ep}/{name}/obj", b"", "https://evil.example", "object", 403, "SignatureDoesNotMatch",
         {"secret_key": "wrong"}),
        ("PUT", f"{ep}/{name}/obj", b"x", www, "object", 403, "SignatureDoesNotMatch", {"secret_key": "wrong"}),
        ("PUT", f"{ep}/{name}/obj", b"x", app, "object", 403, "InvalidAccessKeyId", {"access_key": "AKIDNOBODY"}),
        ("PUT", f"{ep}/{name}?cors", bad_cors, www, "bucket", 400, "InvalidRequest", {}),
        ("PUT", f"{ep}/{name}?cors", b"<CORSConfiguration>", www, "bucket", 400, "MalformedXML", {}),
    ]
    want = h.corsmatch_eval(
        h.s3_rules_to_xml(rules), "s3", [{"method": c[0], "origin": c[3], "target": c[4]} for c in cases]
    )
    failures = []
    for (method, url, body, origin, target, status, code, kw), w in zip(cases, want):
        r = h.sigv4_request(method, url, body, headers={"Origin": origin}, **kw)
        got_code = h.error_fields(r.content).get("Code") if r.content.startswith(b"<?xml") and b"<Error>" in r.content \
            else None
        expected = [(k.lower(), v) for k, v in w["headers"]]
        if (r.status_code, got_code) != (status, code) or h.cors_headers(r) != expected or \
                r.headers.get(h.VERSION_HEADER) != str(version):
            failures.append(f"{method} {url} Origin {origin} {kw}: {r.status_code} {got_code} "
                            f"{h.wire_headers(r)}; want {status} {code} {expected}, version {version}")
    # Range not satisfiable, through boto3 with an Origin header added
    events = s3.meta.events
    add_origin = lambda request, **kw: request.headers.__setitem__("Origin", www)  # noqa: E731
    events.register("before-sign.s3.GetObject", add_origin)
    try:
        with pytest.raises(ClientError) as ei:
            s3.get_object(Bucket=name, Key="obj", Range="bytes=100-")
    finally:
        events.unregister("before-sign.s3.GetObject", add_origin)
    got = [(k, v) for k, v in ei.value.response["ResponseMetadata"]["HTTPHeaders"].items()
           if k.startswith("access-control-") or k == "vary"]
    assert err(ei)[:1] == ("InvalidRange",) and err(ei)[2] == 416
    assert sorted(got) == sorted((k.lower(), v) for k, v in want[0]["headers"]), got
    assert not failures, "\n".join(failures)


def test_cors_cross_check_bucket_without_configuration(s3, s3_server, h):
    name = new_bucket(s3, h, "nocors")
    s3.put_object(Bucket=name, Key="o", Body=b"o", ACL="public-read")
    version = version_of(s3, h, name)
    ep = s3_server.endpoint
    www = "https://www.example.com"
    cases = [
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", origin=www, acrm="GET"),
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", origin=www),
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", acrm="GET"),
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", origin=www, acrm="get"),
        dict(method="OPTIONS", url=f"{ep}/{name}", target="bucket", origin=www, acrm="PUT", acrh="content-type"),
        dict(method="GET", url=f"{ep}/{name}/o", target="object", origin=www, status=200),
        dict(method="PUT", url=f"{ep}/{name}/o", target="object", origin=www, data=b"x", status=403,
             code="AccessDenied"),
    ]
    h.cross_check("s3", None, cases, version=version)
    # after a configuration is installed and deleted, the bucket answers as without one again
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": _rules(AllowedOrigins=["*"])})
    s3.delete_bucket_cors(Bucket=name)
    h.cross_check("s3", None, cases, version=version_of(s3, h, name))


# ---------------------------------------------------------------------------------------------
# --data DIR and --bucket NAME=FILE


@pytest.mark.parametrize("how", ["stop", "kill9"])
def test_data_dir_survives_a_restart(start_server, h, tmp_path, how):
    data = tmp_path / "data"
    data.mkdir()
    srv = start_server("--profile", "s3", "--data", str(data))
    c = h.make_s3_client(srv.endpoint)
    name = h.unique("keep")
    c.create_bucket(Bucket=name, ACL="public-read")
    rules = h.cross_check_rules("s3")
    c.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    c.put_object(Bucket=name, Key="kept.txt", Body=b"still here", ContentType="text/plain", Metadata={"a": "b"},
                 ACL="public-read")
    c.put_object(Bucket=name, Key="private.txt", Body=b"hidden")
    srv.stop() if how == "stop" else srv.kill9()

    srv2 = start_server("--profile", "s3", "--data", str(data))
    c2 = h.make_s3_client(srv2.endpoint)
    assert name in [b["Name"] for b in c2.list_buckets()["Buckets"]]
    assert c2.get_bucket_cors(Bucket=name)["CORSRules"] == rules
    got = c2.get_object(Bucket=name, Key="kept.txt")
    assert got["Body"].read() == b"still here"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"a": "b"}
    assert [o["Key"] for o in c2.list_objects_v2(Bucket=name)["Contents"]] == ["kept.txt", "private.txt"]
    # ACLs survive: anonymous listing and reading as before
    assert h.http("GET", f"{srv2.endpoint}/{name}/kept.txt").content == b"still here"
    assert h.http("GET", f"{srv2.endpoint}/{name}/private.txt").status_code == 403
    assert h.http("GET", f"{srv2.endpoint}/{name}").status_code == 200
    h.config_version(hdrs(c2.head_bucket(Bucket=name)))
    # and the configuration decides preflights as before
    cases = [
        dict(method="OPTIONS", url=f"{srv2.endpoint}/{name}/kept.txt", target="object",
             origin="https://www.example.com", acrm="PUT", acrh="content-type"),
        dict(method="OPTIONS", url=f"{srv2.endpoint}/{name}/kept.txt", target="object",
             origin="https://evil.example", acrm="PUT"),
    ]
    h.cross_check("s3", h.s3_rules_to_xml(rules), cases)


def test_bucket_file_is_the_configurations_home(start_server, h, tmp_path):
    f = tmp_path / "site-cors.xml"
    first = _rules(AllowedOrigins=["https://first.example"], MaxAgeSeconds=60)
    f.write_text(h.s3_rules_to_xml(first))
    srv = start_server("--profile", "s3", "--bucket", f"site={f}", "--bucket", "plain")
    c = h.make_s3_client(srv.endpoint)
    assert sorted(b["Name"] for b in c.list_buckets()["Buckets"]) == ["plain", "site"]
    assert c.get_bucket_cors(Bucket="site")["CORSRules"] == first
    with pytest.raises(ClientError) as ei:
        c.get_bucket_cors(Bucket="plain")
    assert err(ei)[0] == "NoSuchCORSConfiguration"

    # PutBucketCors rewrites the file
    second = h.cross_check_rules("s3")
    c.put_bucket_cors(Bucket="site", CORSConfiguration={"CORSRules": second})
    assert h.parse_rules_xml(f.read_bytes())[0] == second
    v = version_of(c, h, "site")
    assert h.corsmatch_check(f.read_bytes(), "s3") is None

    # editing the file by hand changes the next answers
    third = [
        {"AllowedOrigins": ["https://third.example"], "AllowedMethods": ["PUT"], "AllowedHeaders": ["*"],
         "ExposeHeaders": ["ETag"]},
    ]
    f.write_text(h.s3_rules_to_xml(third, namespace=False) + "\n<!-- edited by hand -->\n")
    url = f"{srv.endpoint}/site/some/key"

    def changed() -> bool:
        r = h.http("OPTIONS", url, headers={"Origin": "https://third.example", "Access-Control-Request-Method": "PUT"})
        return h.config_version(r.headers) != v

    assert h.wait_until(changed, timeout=10), "the hand edit was not picked up within 10 s"
    v2 = version_of(c, h, "site")
    assert v2 > v
    assert c.get_bucket_cors(Bucket="site")["CORSRules"] == third
    cases = [
        dict(method="OPTIONS", url=url, target="object", origin="https://third.example", acrm="PUT",
             acrh="x-whatever, content-type"),
        dict(method="OPTIONS", url=url, target="object", origin="https://www.example.com", acrm="PUT"),
        dict(method="GET", url=url, target="object", origin="https://third.example", acrm="PUT"),
    ]
    h.cross_check("s3", h.s3_rules_to_xml(third), cases, version=v2)

    # an invalid hand edit keeps the rules in force
    f.write_text("<CORSConfiguration><CORSRule>")
    time.sleep(1.5)
    assert c.get_bucket_cors(Bucket="site")["CORSRules"] == third
    h.cross_check("s3", h.s3_rules_to_xml(third), cases, version=v2)

    # the file is the configuration's home: a restart with the same flags (no --data) reads
    # what PutBucketCors last wrote
    c.put_bucket_cors(Bucket="site", CORSConfiguration={"CORSRules": first})
    srv.stop()
    srv = start_server("--profile", "s3", "--bucket", f"site={f}", "--bucket", "plain")
    c = h.make_s3_client(srv.endpoint)
    assert c.get_bucket_cors(Bucket="site")["CORSRules"] == first

    # DeleteBucketCors: no configuration any more, also after a restart
    assert c.delete_bucket_cors(Bucket="site")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        c.get_bucket_cors(Bucket="site")
    assert err(ei)[0] == "NoSuchCORSConfiguration"
    url = f"{srv.endpoint}/site/some/key"
    for case in cases:
        case["url"] = url
    h.cross_check("s3", None, cases, version=version_of(c, h, "site"))
    srv.stop()
    srv = start_server("--profile", "s3", "--bucket", f"site={f}", "--bucket", "plain")
    c = h.make_s3_client(srv.endpoint)
    with pytest.raises(ClientError) as ei:
        c.get_bucket_cors(Bucket="site")
    assert err(ei)[0] == "NoSuchCORSConfiguration"


def test_without_credentials_signatures_are_not_verified(start_server, h):
    srv = start_server("--profile", "s3", credentials=False)
    c = h.make_s3_client(srv.endpoint, access_key="ANYKEY", secret_key="any secret")
    # the s3 profile's shipped example
    want, _ = h.parse_rules_xml((h.ROOT / "examples" / "s3-web-upload.xml").read_bytes())
    assert c.get_bucket_cors(Bucket="example")["CORSRules"] == want
    c.put_object(Bucket="example", Key="k", Body=b"owner")
    assert c.get_object(Bucket="example", Key="k")["Body"].read() == b"owner"
    # anonymous is still anonymous
    r = h.http("GET", f"{srv.endpoint}/example/k")
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "AccessDenied"
    # PostObject's policy is not verified without --credentials
    post = c.generate_presigned_post("example", "forms/unverified.txt", ExpiresIn=300)
    fields = dict(post["fields"])
    fields["x-amz-signature"] = "0" * 64
    r = h.http("POST", post["url"], data=fields, files={"file": ("u.txt", b"unverified")})
    assert r.status_code == 204, r.content
    assert c.get_object(Bucket="example", Key="forms/unverified.txt")["Body"].read() == b"unverified"


SPECIAL_KEYS = [
    "with space/and+plus",
    "percent%20not-a-space",
    "ünïcödé/日本語.txt",
    "a//double//slash",
    "tilde~star*quote'paren(1)",
    "question?hash#amp&eq=",
]


def test_keys_that_need_encoding(s3, s3_server, h):
    """botocore percent-encodes keys in the path and the SigV4 canonical URI, and asks for
    `encoding-type=url` listings; the server must agree on every byte."""
    name = new_bucket(s3, h, "keys")
    for k in SPECIAL_KEYS:
        s3.put_object(Bucket=name, Key=k, Body=k.encode())
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]) == sorted(SPECIAL_KEYS)
    assert sorted(o["Key"] for o in s3.list_objects(Bucket=name)["Contents"]) == sorted(SPECIAL_KEYS)
    for k in SPECIAL_KEYS:
        assert s3.get_object(Bucket=name, Key=k)["Body"].read() == k.encode()
        url = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": k}, ExpiresIn=60)
        r = h.http("GET", url)
        assert r.status_code == 200 and r.content == k.encode(), (k, r.content)
    for k in SPECIAL_KEYS:
        s3.delete_object(Bucket=name, Key=k)
    assert "Contents" not in s3.list_objects_v2(Bucket=name)


def test_operations_beyond_the_contract_work_or_are_not_implemented(s3, h):
    """ENDPOINT.md: unsupported operations answer NotImplemented (501), never a wrong 200."""
    name = new_bucket(s3, h, "ni2")
    s3.put_object(Bucket=name, Key="src", Body=b"source bytes")

    def works_or_501(call, check):
        try:
            call()
        except ClientError as e:
            assert (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]) == (
                "NotImplemented", 501), e.response
            return
        check()

    works_or_501(
        lambda: s3.copy_object(Bucket=name, Key="dst", CopySource={"Bucket": name, "Key": "src"}),
        lambda: (s3.get_object(Bucket=name, Key="dst")["Body"].read() == b"source bytes") or pytest.fail(
            "CopyObject answered 200 without copying"),
    )
    s3.put_object(Bucket=name, Key="gone1", Body=b"1")
    s3.put_object(Bucket=name, Key="gone2", Body=b"2")

    def deleted():
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
        assert "gone1" not in keys and "gone2" not in keys, f"DeleteObjects answered 200 and kept {keys}"

    works_or_501(
        lambda: s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "gone1"}, {"Key": "gone2"}]}),
        deleted,
    )
    works_or_501(
        lambda: s3.put_object_tagging(Bucket=name, Key="src", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}),
        lambda: s3.get_object_tagging(Bucket=name, Key="src")["TagSet"] == [{"Key": "k", "Value": "v"}]
        or pytest.fail("PutObjectTagging answered 200 without storing the tags"),
    )


@pytest.mark.parametrize("flags", [["--no-credentials"], ["--strict-origins"], ["--no-credentials", "--strict-origins"]])
def test_engine_options_of_serve_match_eval(start_server, h, flags):
    srv = start_server("--profile", "s3", *flags)
    c = h.make_s3_client(srv.endpoint)
    name = h.unique("opts")
    c.create_bucket(Bucket=name)
    rules = h.cross_check_rules("s3")
    c.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    c.put_object(Bucket=name, Key="obj.txt", Body=b"hello", ACL="public-read")
    cases = h.standard_cases("s3", srv.endpoint, srv.port, name, "obj.txt", h.unique("nobucket"))
    cases += [
        dict(method="OPTIONS", url=f"{srv.endpoint}/{name}/obj.txt", target="object", origin=o, acrm="PUT")
        for o in ("https://evil.example/.example.com", "https://www.example.com:443", "HTTPS://app.example.com",
                  "https://a b.example.com", "null")
    ]
    h.cross_check("s3", h.s3_rules_to_xml(rules), cases, version=version_of(c, h, name), eval_args=flags)


def test_log_file_gets_one_json_line_per_decision(start_server, h, tmp_path):
    import json

    log = tmp_path / "decisions.jsonl"
    srv = start_server("--profile", "s3", "--log", str(log))
    origin = "https://logged.example.com"
    for method in ("PUT", "DELETE"):
        r = h.http("OPTIONS", f"{srv.endpoint}/example/k",
                   headers={"Origin": origin, "Access-Control-Request-Method": method})
        assert r.status_code in (200, 403)

    def logged() -> list:
        if not log.exists():
            return []
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        return [json.loads(line) for line in lines]

    assert h.wait_until(lambda: sum(origin in json.dumps(e) for e in logged()) >= 2, timeout=10), log.read_text() \
        if log.exists() else "no log file"


def test_several_key_pairs_are_each_an_owner(start_server, h):
    """`--credentials` repeats: a conformance suite signs as several users (ceph/s3-tests' main,
    alt and tenant), and each key pair verifies; a key named by none is InvalidAccessKeyId,
    and a known key with the wrong secret SignatureDoesNotMatch."""
    srv = start_server("--profile", "s3", "--credentials", "AKIDALT:alt-secret")
    main = h.make_s3_client(srv.endpoint)
    alt = h.make_s3_client(srv.endpoint, access_key="AKIDALT", secret_key="alt-secret")
    name = new_bucket(main, h, "multi")
    assert name in [b["Name"] for b in alt.list_buckets()["Buckets"]]
    alt.put_object(Bucket=name, Key="k", Body=b"from alt")
    assert main.get_object(Bucket=name, Key="k")["Body"].read() == b"from alt"
    with pytest.raises(ClientError) as ei:
        h.make_s3_client(srv.endpoint, access_key="AKIDNOBODY", secret_key="x").list_buckets()
    assert err(ei)[0] == "InvalidAccessKeyId" and err(ei)[2] == 403
    with pytest.raises(ClientError) as ei:
        h.make_s3_client(srv.endpoint, access_key="AKIDALT", secret_key="wrong").list_buckets()
    assert err(ei)[0] == "SignatureDoesNotMatch"
