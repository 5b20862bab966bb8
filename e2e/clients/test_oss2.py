"""`corsmatch serve --profile oss` driven by Alibaba Cloud's oss2 SDK (and `requests` for signed
URLs and the unsigned CORS requests), against ENDPOINT.md."""

from __future__ import annotations

import os

import oss2
import pytest
from oss2.models import BucketCors, CorsRule, PartInfo

KIB = 1024
OSS_MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"


def raises_oss(call):
    try:
        call()
    except oss2.exceptions.OssError as e:
        return e
    raise AssertionError("no oss2 exception")


def new_bucket(h, endpoint: str, prefix: str = "b", acl=None) -> oss2.Bucket:
    name = h.unique(prefix)
    b = h.oss_bucket(endpoint, name)
    r = b.create_bucket(acl) if acl is not None else b.create_bucket()
    assert r.status == 200
    return b


def version_of(bucket: oss2.Bucket, h) -> int:
    return h.config_version(bucket.get_bucket_acl().headers)


def to_rules(cors) -> list[tuple]:
    return [
        (r.allowed_origins, r.allowed_methods, r.allowed_headers, r.expose_headers, r.max_age_seconds)
        for r in cors.rules
    ]


def cross_check_cors(h, response_vary=True) -> BucketCors:
    rules = [
        CorsRule(
            allowed_origins=r["AllowedOrigins"],
            allowed_methods=r["AllowedMethods"],
            allowed_headers=r.get("AllowedHeaders"),
            expose_headers=r.get("ExposeHeaders"),
            max_age_seconds=r.get("MaxAgeSeconds"),
        )
        for r in h.cross_check_rules("oss")
    ]
    return BucketCors(rules, response_vary=response_vary)


# ---------------------------------------------------------------------------------------------
# Buckets


def test_default_bucket_example_holds_the_example_configuration(oss_server, h):
    b = h.oss_bucket(oss_server.endpoint, "example")
    got = b.get_bucket_cors()
    want, vary = h.parse_rules_xml((h.ROOT / "examples" / "oss-web-upload.xml").read_bytes())
    assert vary == "true" and got.response_vary is True
    assert to_rules(got) == [
        (
            r["AllowedOrigins"],
            r["AllowedMethods"],
            [x.lower() for x in r.get("AllowedHeaders", [])],
            r.get("ExposeHeaders", []),
            r.get("MaxAgeSeconds"),
        )
        for r in want
    ]
    names = [x.name for x in oss2.Service(oss2.Auth(h.ACCESS_KEY, h.SECRET_KEY), oss_server.endpoint,
                                          connect_timeout=h.HTTP_TIMEOUT).list_buckets().buckets]
    assert "example" in names


@pytest.mark.parametrize(
    "acl, anon_list, anon_put, anon_read",
    [
        (oss2.BUCKET_ACL_PRIVATE, 403, 403, 403),
        (oss2.BUCKET_ACL_PUBLIC_READ, 200, 403, 200),
        (oss2.BUCKET_ACL_PUBLIC_READ_WRITE, 200, 200, 200),
    ],
)
def test_create_bucket_acls(oss_server, h, acl, anon_list, anon_put, anon_read):
    b = new_bucket(h, oss_server.endpoint, "acl", acl)
    assert b.get_bucket_acl().acl == acl
    ep = oss_server.endpoint
    r = h.http("GET", f"{ep}/{b.bucket_name}/")
    assert r.status_code == anon_list, r.content
    if anon_list == 403:
        assert h.error_fields(r.content)["Code"] == "AccessDenied"
    r = h.http("PUT", f"{ep}/{b.bucket_name}/anon", data=b"anonymous")
    assert r.status_code == anon_put, r.content
    if anon_put == 403:
        assert h.error_fields(r.content)["Code"] == "AccessDenied"
        assert not b.object_exists("anon")
    # an object with the default ACL inherits the bucket's
    b.put_object("inherits", b"bucket acl")
    r = h.http("GET", f"{ep}/{b.bucket_name}/inherits")
    assert r.status_code == anon_read, r.content


def test_bucket_lifecycle_acl_and_not_empty(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "life")
    service = oss2.Service(oss2.Auth(h.ACCESS_KEY, h.SECRET_KEY), oss_server.endpoint, connect_timeout=h.HTTP_TIMEOUT)
    assert b.bucket_name in [x.name for x in service.list_buckets().buckets]
    assert b.get_bucket_acl().acl == oss2.BUCKET_ACL_PRIVATE
    b.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert b.get_bucket_acl().acl == oss2.BUCKET_ACL_PUBLIC_READ
    assert h.http("GET", f"{oss_server.endpoint}/{b.bucket_name}/").status_code == 200
    b.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    assert h.http("GET", f"{oss_server.endpoint}/{b.bucket_name}/").status_code == 403
    b.put_object("k", b"v")
    e = raises_oss(b.delete_bucket)
    assert (e.status, e.code) == (409, "BucketNotEmpty"), e
    b.delete_object("k")
    assert b.delete_bucket().status == 204
    assert b.bucket_name not in [x.name for x in service.list_buckets().buckets]
    e = raises_oss(b.get_bucket_acl)
    assert (e.status, e.code) == (404, "NoSuchBucket"), e


def test_no_such_bucket(oss_server, h):
    b = h.oss_bucket(oss_server.endpoint, h.unique("missing"))
    for call in (
        lambda: b.get_object("k"),
        lambda: b.put_object("k", b"v"),
        lambda: b.get_bucket_cors(),
        lambda: b.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["*"], allowed_methods=["GET"])])),
        lambda: b.delete_bucket_cors(),
        lambda: b.list_objects(),
    ):
        e = raises_oss(call)
        assert isinstance(e, oss2.exceptions.NoSuchBucket), e
        assert (e.status, e.code, e.message) == (404, "NoSuchBucket", "The specified bucket does not exist."), e


def test_bad_access_key_on_the_cors_api(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "ak")
    other = h.oss_bucket(oss_server.endpoint, b.bucket_name, auth=oss2.Auth("AKIDNOTKNOWNHERE", h.SECRET_KEY))
    for call in (
        other.get_bucket_cors,
        lambda: other.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["*"], allowed_methods=["GET"])])),
        other.delete_bucket_cors,
    ):
        e = raises_oss(call)
        assert (e.status, e.code) == (403, "InvalidAccessKeyId"), e
    e = raises_oss(b.get_bucket_cors)
    assert e.code == "NoSuchCORSConfiguration"


# ---------------------------------------------------------------------------------------------
# Bucket CORS


def test_cors_round_trip_lowercases_allowed_headers_only(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "cors")
    v0 = version_of(b, h)
    e = raises_oss(b.get_bucket_cors)
    assert isinstance(e, oss2.exceptions.NoSuchCors), e
    assert (e.status, e.code, e.message) == (404, "NoSuchCORSConfiguration", "The CORS Configuration does not exist.")

    rules = [
        CorsRule(
            allowed_origins=["https://www.Example.com", "https://*.example.com", "https://www.Example.com"],
            allowed_methods=["PUT", "GET", "PUT"],
            allowed_headers=["Authorization", "X-Oss-Meta-*", "content-TYPE", "authorization"],
            expose_headers=["ETag", "X-Oss-Request-Id"],
            max_age_seconds=0,
        ),
        CorsRule(allowed_origins=["*"], allowed_methods=["GET", "HEAD"]),
        CorsRule(allowed_origins=["*"], allowed_methods=["GET", "HEAD"]),
    ]
    put = b.put_bucket_cors(BucketCors(rules))
    assert put.status == 200
    v1 = h.config_version(put.headers)
    assert v1 > v0
    got = b.get_bucket_cors()
    assert got.status == 200 and h.config_version(got.headers) == v1
    assert got.response_vary is False, "ResponseVary is always in the answer, false when the PUT left it out"
    assert to_rules(got) == [
        (
            ["https://www.Example.com", "https://*.example.com", "https://www.Example.com"],
            ["PUT", "GET", "PUT"],
            ["authorization", "x-oss-meta-*", "content-type", "authorization"],
            ["ETag", "X-Oss-Request-Id"],
            0,
        ),
        (["*"], ["GET", "HEAD"], [], [], None),
        (["*"], ["GET", "HEAD"], [], [], None),
    ]

    b.put_bucket_cors(BucketCors([CorsRule(allowed_origins=["https://a.example"], allowed_methods=["POST"],
                                           max_age_seconds=30)], response_vary=True))
    v2 = version_of(b, h)
    assert v2 > v1
    got = b.get_bucket_cors()
    assert got.response_vary is True
    assert to_rules(got) == [(["https://a.example"], ["POST"], [], [], 30)]

    d = b.delete_bucket_cors()
    assert d.status == 204
    v3 = version_of(b, h)
    assert v3 > v2
    e = raises_oss(b.get_bucket_cors)
    assert e.code == "NoSuchCORSConfiguration"
    # 204 also without a configuration
    assert b.delete_bucket_cors().status == 204


def _cors(**kw) -> BucketCors:
    rule = dict(allowed_origins=["https://a.example"], allowed_methods=["GET"])
    response_vary = kw.pop("response_vary", None)
    rule.update(kw)
    return BucketCors([CorsRule(**rule)], response_vary=response_vary)


INVALID = {
    "lowercase-method": (
        _cors(allowed_methods=["get"]),
        ("InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is get"),
    ),
    "two-wildcards-origin": (
        _cors(allowed_origins=["http://*.*.com"]),
        ("InvalidRequest", 'AllowedOrigin "http://*.*.com" can not have more than one wildcard.'),
    ),
    "11-rules": (
        BucketCors([CorsRule(allowed_origins=["*"], allowed_methods=["GET"])] * 11),
        ("CORSRuleBeyondLimit", "The CORS Rules num is beyond limit."),
    ),
    "max-age-not-a-number": (_cors(max_age_seconds="ten"), ("MalformedXML", OSS_MALFORMED)),
    "no-rules": (BucketCors([]), ("MalformedXML", OSS_MALFORMED)),
    "rule-without-origin": (BucketCors([CorsRule(allowed_methods=["GET"])]), ("MalformedXML", OSS_MALFORMED)),
    "two-wildcards-header": (_cors(allowed_headers=["x-*-*"]), None),
    "negative-max-age": (_cors(max_age_seconds=-1), None),
    "expose-quote": (_cors(expose_headers=["x-'quoted'"]), None),
    "expose-star": (_cors(expose_headers=["*"]), None),
    "expose-ampersand": (_cors(expose_headers=["a&b"]), None),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_cors_invalid_documents_get_the_providers_error(oss_server, h, case):
    cors, expected = INVALID[case]
    oracle = h.corsmatch_check(h.oss_cors_to_xml(cors), "oss")
    assert oracle is not None, "corsmatch check accepts it"
    if expected is not None:
        assert (oracle["code"], oracle["message"]) == expected
    b = new_bucket(h, oss_server.endpoint, "bad")
    good = _cors(allowed_origins=["https://kept.example"], response_vary=True)
    b.put_bucket_cors(good)
    v = version_of(b, h)
    e = raises_oss(lambda: b.put_bucket_cors(cors))
    assert (e.status, e.code, e.message) == (400, oracle["code"], oracle["message"]), e
    assert to_rules(b.get_bucket_cors()) == [(["https://kept.example"], ["GET"], [], [], None)]
    assert version_of(b, h) == v


def test_cors_invalid_response_vary_and_s3_id(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "rv")
    for doc in (
        b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        b"</CORSRule><ResponseVary>yes</ResponseVary></CORSConfiguration>",
        b"<CORSConfiguration><CORSRule><ID>s3-only</ID><AllowedOrigin>*</AllowedOrigin>"
        b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    ):
        oracle = h.corsmatch_check(doc, "oss")
        assert oracle == {"code": "MalformedXML", "message": OSS_MALFORMED}
        # put_bucket_cors sends a document given as bytes as it is
        e = raises_oss(lambda: b.put_bucket_cors(doc))
        assert (e.status, e.code, e.message) == (400, "MalformedXML", OSS_MALFORMED), e
    assert raises_oss(b.get_bucket_cors).code == "NoSuchCORSConfiguration"


# ---------------------------------------------------------------------------------------------
# Objects


def test_put_get_head_delete_object_with_range(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "obj")
    body = os.urandom(3000)
    put = b.put_object("dir/file.bin", body, headers={"Content-Type": "application/x-test", "x-oss-meta-color": "blue"})
    assert put.status == 200 and put.etag.lower() == h.md5_hex(body)
    h.config_version(put.headers)
    got = b.get_object("dir/file.bin")
    assert got.read() == body
    assert got.content_type == "application/x-test"
    assert got.headers["x-oss-meta-color"] == "blue"
    part = b.get_object("dir/file.bin", byte_range=(100, 199))
    assert part.status == 206
    assert part.read() == body[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    tail = b.get_object("dir/file.bin", byte_range=(None, 10))
    assert tail.read() == body[-10:]
    head = b.head_object("dir/file.bin")
    assert head.content_length == len(body) and head.etag.lower() == h.md5_hex(body)
    assert head.headers["x-oss-meta-color"] == "blue"
    assert b.delete_object("dir/file.bin").status == 204
    e = raises_oss(lambda: b.get_object("dir/file.bin"))
    assert isinstance(e, oss2.exceptions.NoSuchKey) and e.status == 404, e
    e = raises_oss(lambda: b.head_object("dir/file.bin"))
    assert e.status == 404, e
    assert not b.object_exists("dir/file.bin")


def test_content_md5_is_verified(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "md5")
    body = b"checked" * 50
    b.put_object("ok", body, headers={"Content-MD5": oss2.utils.content_md5(body)})
    e = raises_oss(lambda: b.put_object("bad", body, headers={"Content-MD5": oss2.utils.content_md5(b"other")}))
    assert (e.status, e.code) == (400, "BadDigest"), e
    e = raises_oss(lambda: b.put_object("bad", body, headers={"Content-MD5": "not base64!"}))
    assert (e.status, e.code) == (400, "InvalidDigest"), e
    assert b.object_exists("ok") and not b.object_exists("bad")


def test_multipart_upload(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "mpu")
    p1, p2 = os.urandom(100 * KIB), os.urandom(777)
    up = b.init_multipart_upload("big.bin").upload_id
    r1 = b.upload_part("big.bin", up, 1, p1)
    r2 = b.upload_part("big.bin", up, 2, p2)
    assert r1.etag.lower() == h.md5_hex(p1) and r2.etag.lower() == h.md5_hex(p2)
    listed = b.list_parts("big.bin", up).parts
    assert [(p.part_number, p.etag.lower(), p.size) for p in listed] == [
        (1, h.md5_hex(p1), len(p1)),
        (2, h.md5_hex(p2), len(p2)),
    ]
    done = b.complete_multipart_upload("big.bin", up, [PartInfo(1, r1.etag), PartInfo(2, r2.etag)])
    assert done.status == 200
    assert b.get_object("big.bin").read() == p1 + p2
    head = b.head_object("big.bin")
    assert head.content_length == len(p1) + len(p2)
    assert head.etag.lower() == h.multipart_etag([p1, p2])
    assert done.etag is not None, "oss2 reads CompleteMultipartUpload's ETag from the ETag header"
    assert done.etag.lower() == h.multipart_etag([p1, p2])

    # below 100 KiB and not last
    up = b.init_multipart_upload("small.bin").upload_id
    s1 = b.upload_part("small.bin", up, 1, b"a" * (100 * KIB - 1))
    s2 = b.upload_part("small.bin", up, 2, b"b")
    e = raises_oss(lambda: b.complete_multipart_upload("small.bin", up, [PartInfo(1, s1.etag), PartInfo(2, s2.etag)]))
    assert (e.status, e.code) == (400, "EntityTooSmall"), e
    # abort
    assert b.abort_multipart_upload("small.bin", up).status == 204
    e = raises_oss(lambda: b.upload_part("small.bin", up, 3, b"c"))
    assert (e.status, e.code) == (404, "NoSuchUpload"), e
    assert not b.object_exists("small.bin")


def test_sign_url_get_and_put(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "sign")
    b.put_object("read.txt", b"signed read")
    url = b.sign_url("GET", "read.txt", 300)
    assert "Signature=" in url
    r = h.http("GET", url)
    assert r.status_code == 200 and r.content == b"signed read", r.content
    h.config_version(r.headers)
    put_url = b.sign_url("PUT", "written.txt", 300)
    r = h.http("PUT", put_url, data=b"signed write")
    assert r.status_code == 200, r.content
    assert b.get_object("written.txt").read() == b"signed write"
    # without the query it is anonymous, and the bucket is private
    r = h.http("GET", url.split("?", 1)[0])
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "AccessDenied"


def test_list_objects(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "list")
    keys = ["a/1", "a/2", "b/1", "c", "d"]
    for k in keys:
        b.put_object(k, k.encode())
    r = b.list_objects()
    assert [o.key for o in r.object_list] == keys and r.is_truncated is False
    assert {o.key: o.etag.lower() for o in r.object_list} == {k: h.md5_hex(k.encode()) for k in keys}
    assert [o.size for o in r.object_list] == [len(k) for k in keys]
    r = b.list_objects(prefix="a/")
    assert [o.key for o in r.object_list] == ["a/1", "a/2"]
    r = b.list_objects(delimiter="/")
    assert [o.key for o in r.object_list] == ["c", "d"] and r.prefix_list == ["a/", "b/"]
    r = b.list_objects(max_keys=2)
    assert [o.key for o in r.object_list] == ["a/1", "a/2"] and r.is_truncated is True
    assert r.next_marker == "a/2"
    r = b.list_objects(marker="a/2", max_keys=2)
    assert [o.key for o in r.object_list] == ["b/1", "c"]
    assert [o.key for o in oss2.ObjectIterator(b, max_keys=2)] == keys
    assert [o.key for o in oss2.ObjectIteratorV2(b, max_keys=2)] == keys


def test_anonymous_reads_follow_object_acls(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "anon")
    b.put_object("private.txt", b"secret")
    b.put_object("public.html", b"<script>1</script>",
                 headers={"x-oss-object-acl": oss2.OBJECT_ACL_PUBLIC_READ, "Content-Type": "text/html"})
    ep = oss_server.endpoint
    r = h.http("GET", f"{ep}/{b.bucket_name}/private.txt")
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "AccessDenied"
    r = h.http("GET", f"{ep}/{b.bucket_name}/public.html")
    assert r.status_code == 200 and r.content == b"<script>1</script>"
    assert r.headers.get("X-Content-Type-Options", "").lower() == "nosniff"
    assert "sandbox" in r.headers.get("Content-Security-Policy", "")
    b.put_object_acl("private.txt", oss2.OBJECT_ACL_PUBLIC_READ)
    assert b.get_object_acl("private.txt").acl == oss2.OBJECT_ACL_PUBLIC_READ
    assert h.http("GET", f"{ep}/{b.bucket_name}/private.txt").content == b"secret"


# ---------------------------------------------------------------------------------------------
# Virtual-hosted addressing


def test_virtual_hosted_addressing(oss_server, h, localhost_subdomains):
    name = h.unique("vhost")
    vb = h.oss_bucket(f"http://{name}.localhost:{oss_server.port}", name, is_cname=True)
    vb.create_bucket()
    vb.put_object("v.txt", b"virtual")
    assert vb.get_object("v.txt").read() == b"virtual"
    vb.put_bucket_cors(_cors(allowed_origins=["https://virtual.example"], allowed_headers=["X-Y"]))
    assert to_rules(vb.get_bucket_cors()) == [(["https://virtual.example"], ["GET"], ["x-y"], [], None)]
    assert [o.key for o in vb.list_objects().object_list] == ["v.txt"]
    # the same bucket, path style
    pb = h.oss_bucket(oss_server.endpoint, name)
    assert pb.get_object("v.txt").read() == b"virtual"


# ---------------------------------------------------------------------------------------------
# The CORS cross-check against corsmatch eval


@pytest.mark.parametrize("response_vary", [True, False, None])
def test_cors_cross_check_with_corsmatch_eval(oss_server, h, response_vary):
    b = new_bucket(h, oss_server.endpoint, "xc")
    cors = cross_check_cors(h, response_vary)
    b.put_bucket_cors(cors)
    b.put_object("obj.txt", b"hello", headers={"x-oss-object-acl": oss2.OBJECT_ACL_PUBLIC_READ})
    version = version_of(b, h)
    cases = h.standard_cases("oss", oss_server.endpoint, oss_server.port, b.bucket_name, "obj.txt",
                             h.unique("nobucket"))
    h.cross_check("oss", h.oss_cors_to_xml(cors), cases, version=version)


def test_response_vary_on_every_response_of_the_bucket(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "vary")
    b.put_bucket_cors(cross_check_cors(h, True))
    b.put_object("o", b"o")
    # signed SDK calls without Origin, successes and errors alike
    assert b.head_object("o").headers.get("Vary") == "Origin"
    assert b.get_bucket_cors().headers.get("Vary") == "Origin"
    assert raises_oss(lambda: b.get_object("missing")).headers.get("Vary") == "Origin"
    b.put_bucket_cors(cross_check_cors(h, False))
    assert "Vary" not in b.head_object("o").headers


def test_cors_cross_check_bucket_without_configuration(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "nocors")
    b.put_object("o", b"o", headers={"x-oss-object-acl": oss2.OBJECT_ACL_PUBLIC_READ})
    ep, name, www = oss_server.endpoint, b.bucket_name, "https://www.example.com"
    cases = [
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", origin=www, acrm="GET"),
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", origin=www),
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", acrm="GET"),
        dict(method="OPTIONS", url=f"{ep}/{name}/o", target="object", origin=www, acrm="get"),
        dict(method="OPTIONS", url=f"{ep}/{name}/", target="bucket", origin=www, acrm="PUT", acrh="content-type"),
        dict(method="GET", url=f"{ep}/{name}/o", target="object", origin=www, status=200),
        dict(method="PUT", url=f"{ep}/{name}/o", target="object", origin=www, data=b"x", status=403,
             code="AccessDenied"),
    ]
    h.cross_check("oss", None, cases, version=version_of(b, h))


def test_preflight_ignores_a_bad_signature(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "presig")
    cors = cross_check_cors(h, True)
    b.put_bucket_cors(cors)
    bad = h.oss_bucket(oss_server.endpoint, b.bucket_name, auth=oss2.Auth("AKIDNOTKNOWNHERE", "nope"))
    url = bad.sign_url("PUT", "k", 60)
    cases = [
        dict(method="OPTIONS", url=url, target="object", origin="https://www.example.com", acrm="PUT",
             acrh="content-type, x-oss-meta-a"),
        dict(method="OPTIONS", url=url, target="object", origin="https://evil.example", acrm="PUT"),
        dict(method="OPTIONS", url=f"{oss_server.endpoint}/{b.bucket_name}/k", target="object",
             origin="https://www.example.com", acrm="PUT",
             headers={"Authorization": "OSS AKIDNOTKNOWNHERE:AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                      "Date": "Mon, 01 Jan 2024 00:00:00 GMT"}),
    ]
    h.cross_check("oss", h.oss_cors_to_xml(cors), cases, version=version_of(b, h))


# ---------------------------------------------------------------------------------------------
# --data DIR and --bucket NAME=FILE


def test_data_dir_survives_kill9(start_server, h, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    srv = start_server("--profile", "oss", "--data", str(data))
    name = h.unique("keep")
    b = h.oss_bucket(srv.endpoint, name)
    b.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)
    cors = cross_check_cors(h, True)
    b.put_bucket_cors(cors)
    b.put_object("kept.txt", b"still here", headers={"x-oss-meta-a": "b"})
    p1 = os.urandom(100 * KIB)
    up = b.init_multipart_upload("mp.bin").upload_id
    e1 = b.upload_part("mp.bin", up, 1, p1).etag
    e2 = b.upload_part("mp.bin", up, 2, b"end").etag
    b.complete_multipart_upload("mp.bin", up, [PartInfo(1, e1), PartInfo(2, e2)])
    srv.kill9()

    srv2 = start_server("--profile", "oss", "--data", str(data))
    b2 = h.oss_bucket(srv2.endpoint, name)
    assert b2.get_bucket_acl().acl == oss2.BUCKET_ACL_PUBLIC_READ
    got = b2.get_bucket_cors()
    assert got.response_vary is True
    assert [r.allowed_origins for r in got.rules] == [r.allowed_origins for r in cors.rules]
    obj = b2.get_object("kept.txt")
    assert obj.read() == b"still here" and obj.headers["x-oss-meta-a"] == "b"
    assert b2.get_object("mp.bin").read() == p1 + b"end"
    assert h.http("GET", f"{srv2.endpoint}/{name}/kept.txt").content == b"still here"
    cases = [
        dict(method="OPTIONS", url=f"{srv2.endpoint}/{name}/kept.txt", target="object",
             origin="https://www.example.com", acrm="PUT", acrh="content-type"),
        dict(method="GET", url=f"{srv2.endpoint}/{name}/kept.txt", target="object", status=200),
    ]
    h.cross_check("oss", h.oss_cors_to_xml(cors), cases)


def test_bucket_file_is_the_configurations_home(start_server, h, tmp_path):
    f = tmp_path / "cors.xml"
    f.write_bytes(h.oss_cors_to_xml(_cors(allowed_origins=["https://first.example"])).encode())
    srv = start_server("--profile", "oss", "--bucket", f"site={f}")
    b = h.oss_bucket(srv.endpoint, "site")
    assert to_rules(b.get_bucket_cors()) == [(["https://first.example"], ["GET"], [], [], None)]
    b.put_bucket_cors(_cors(allowed_origins=["https://second.example"], allowed_headers=["X-Second"],
                            response_vary=True))
    rules, vary = h.parse_rules_xml(f.read_bytes())
    assert [r["AllowedOrigins"] for r in rules] == [["https://second.example"]]
    assert [[x.lower() for x in r["AllowedHeaders"]] for r in rules] == [["x-second"]]
    assert vary == "true"
    v = version_of(b, h)

    third = _cors(allowed_origins=["https://third.example"], allowed_methods=["PUT", "GET"], max_age_seconds=5)
    f.write_bytes(h.oss_cors_to_xml(third).encode())
    url = f"{srv.endpoint}/site/k"
    assert h.wait_until(
        lambda: h.config_version(
            h.http("OPTIONS", url, headers={"Origin": "https://third.example",
                                            "Access-Control-Request-Method": "PUT"}).headers) != v,
        timeout=10,
    ), "the hand edit was not picked up within 10 s"
    got = b.get_bucket_cors()
    assert to_rules(got) == [(["https://third.example"], ["PUT", "GET"], [], [], 5)]
    cases = [
        dict(method="OPTIONS", url=url, target="object", origin="https://third.example", acrm="PUT"),
        dict(method="OPTIONS", url=url, target="object", origin="https://second.example", acrm="GET"),
        dict(method="GET", url=url, target="object", origin="https://third.example"),
    ]
    h.cross_check("oss", h.oss_cors_to_xml(third), cases, version=version_of(b, h))
    # the file stays the configuration's home after the edit
    b.put_bucket_cors(_cors(allowed_origins=["https://fourth.example"]))
    assert [r["AllowedOrigins"] for r in h.parse_rules_xml(f.read_bytes())[0]] == [["https://fourth.example"]]


# ---------------------------------------------------------------------------------------------
# Signatures (serve --help: SigV4, SigV2 and OSS signatures are verified with --credentials),
# browser forms, and the server's start-up forms


def test_wrong_secret_and_oss_v4_signing(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "sig")
    b.put_object("k", b"value")
    v4 = h.oss_bucket(oss_server.endpoint, b.bucket_name, auth=oss2.AuthV4(h.ACCESS_KEY, h.SECRET_KEY),
                      region="cn-hangzhou")
    assert v4.get_object("k").read() == b"value"
    v4.put_object("v4", b"signed with v4")
    assert b.get_object("v4").read() == b"signed with v4"
    for auth in (oss2.Auth(h.ACCESS_KEY, "wrong"), oss2.AuthV4(h.ACCESS_KEY, "wrong")):
        bad = h.oss_bucket(oss_server.endpoint, b.bucket_name, auth=auth, region="cn-hangzhou")
        e = raises_oss(lambda: bad.get_object("k"))
        assert (e.status, e.code) == (403, "SignatureDoesNotMatch"), e
        e = raises_oss(lambda: bad.put_object("sneaky", b"x"))
        assert (e.status, e.code) == (403, "SignatureDoesNotMatch"), e
    r = h.http("GET", v4.sign_url("GET", "k", 60))
    assert r.status_code == 200 and r.content == b"value", r.content
    r = h.http("PUT", v4.sign_url("PUT", "v4-url", 60), data=b"through a v4 url")
    assert r.status_code == 200, r.content
    assert b.get_object("v4-url").read() == b"through a v4 url"
    bad = h.oss_bucket(oss_server.endpoint, b.bucket_name, auth=oss2.Auth(h.ACCESS_KEY, "wrong"))
    r = h.http("GET", bad.sign_url("GET", "k", 60))
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "SignatureDoesNotMatch", r.content
    assert not b.object_exists("sneaky")


def _oss_post_fields(key: str, secret: str, h) -> dict:
    import base64
    import hashlib
    import hmac
    import json
    from datetime import datetime, timedelta, timezone

    expiration = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    policy = base64.b64encode(
        json.dumps({"expiration": expiration, "conditions": [["content-length-range", 0, 1048576]]}).encode()
    ).decode()
    signature = base64.b64encode(hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    return {"key": key, "OSSAccessKeyId": h.ACCESS_KEY, "policy": policy, "Signature": signature,
            "success_action_status": "200"}


def test_post_object_form(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "form")
    url = f"{oss_server.endpoint}/{b.bucket_name}"
    r = h.http("POST", url, data=_oss_post_fields("forms/a.txt", h.SECRET_KEY, h),
               files={"file": ("a.txt", b"posted to oss", "text/plain")})
    assert r.status_code == 200, r.content
    assert b.get_object("forms/a.txt").read() == b"posted to oss"
    r = h.http("POST", url, data=_oss_post_fields("forms/forged.txt", "not-the-secret", h),
               files={"file": ("f.txt", b"forged")})
    assert r.status_code == 403, r.content
    assert not b.object_exists("forms/forged.txt")


def test_no_flags_at_all_starts_the_oss_example(start_server, h):
    """`corsmatch serve` with no flag but the port: oss, bucket `example`, signatures not
    verified (any key is the owner)."""
    srv = start_server(credentials=False)
    b = h.oss_bucket(srv.endpoint, "example", auth=oss2.Auth("ANYKEY", "anysecret"))
    got = b.get_bucket_cors()
    want, _ = h.parse_rules_xml((h.ROOT / "examples" / "oss-web-upload.xml").read_bytes())
    assert [r.allowed_origins for r in got.rules] == [r["AllowedOrigins"] for r in want]
    assert got.response_vary is True
    b.put_object("k", b"owner without credentials")
    assert b.get_object("k").read() == b"owner without credentials"
    # an unsigned request is still anonymous
    r = h.http("GET", f"{srv.endpoint}/example/k")
    assert r.status_code == 403 and h.error_fields(r.content)["Code"] == "AccessDenied"


def test_config_flag_is_bucket_example(start_server, h, tmp_path):
    f = tmp_path / "cors.xml"
    f.write_bytes(h.oss_cors_to_xml(_cors(allowed_origins=["https://configured.example"])).encode())
    srv = start_server("--config", str(f))
    b = h.oss_bucket(srv.endpoint, "example")
    assert to_rules(b.get_bucket_cors()) == [(["https://configured.example"], ["GET"], [], [], None)]
    b.put_bucket_cors(_cors(allowed_origins=["https://rewritten.example"]))
    assert [r["AllowedOrigins"] for r in h.parse_rules_xml(f.read_bytes())[0]] == [["https://rewritten.example"]]


SPECIAL_KEYS = ["with space/and+plus", "percent%20x", "ünïcödé/日本語.txt", "a//b", "q?h#a&e="]


def test_keys_that_need_encoding(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "keys")
    for k in SPECIAL_KEYS:
        b.put_object(k, k.encode())
    assert sorted(o.key for o in oss2.ObjectIterator(b)) == sorted(SPECIAL_KEYS)
    for k in SPECIAL_KEYS:
        assert b.get_object(k).read() == k.encode()
        r = h.http("GET", b.sign_url("GET", k, 60))
        assert r.status_code == 200 and r.content == k.encode(), (k, r.content)
        b.delete_object(k)
    assert list(oss2.ObjectIterator(b)) == []


@pytest.mark.parametrize("name", ["ab", "Bad_Name", "-starts-with-hyphen"])
def test_bad_bucket_name_is_refused(oss_server, h, name):
    b = h.oss_bucket(oss_server.endpoint, "placeholder")
    b.bucket_name = name  # oss2 checks names itself; this sends the request anyway
    e = raises_oss(b.create_bucket)
    assert (e.status, e.code) == (400, "InvalidBucketName"), e


def test_chunked_put_object(oss_server, h):
    """oss2 sends a body of unknown length with Transfer-Encoding: chunked."""
    b = new_bucket(h, oss_server.endpoint, "chunk")
    chunks = [os.urandom(1000) for _ in range(5)]
    b.put_object("chunked.bin", iter(chunks))
    assert b.get_object("chunked.bin").read() == b"".join(chunks)
    assert b.head_object("chunked.bin").content_length == 5000


def test_cors_headers_on_sdk_error_responses(oss_server, h):
    b = new_bucket(h, oss_server.endpoint, "xe")
    cors = cross_check_cors(h, True)
    b.put_bucket_cors(cors)
    www = {"Origin": "https://www.example.com"}
    want = h.corsmatch_eval(h.oss_cors_to_xml(cors), "oss", [
        {"method": "GET", "origin": www["Origin"], "target": "object"},
        {"method": "PUT", "origin": www["Origin"], "target": "object"},
    ])

    def cors_of(headers) -> dict:
        return {k.lower(): v for k, v in headers.items() if k.lower().startswith("access-control-") or
                k.lower() == "vary"}

    e = raises_oss(lambda: b.get_object("missing", headers=www))
    assert (e.status, e.code) == (404, "NoSuchKey")
    assert cors_of(e.headers) == {k.lower(): v for k, v in want[0]["headers"]}
    e = raises_oss(lambda: b.upload_part("k", "no-such-upload", 1, b"x", headers=www))
    assert (e.status, e.code) == (404, "NoSuchUpload")
    assert cors_of(e.headers) == {k.lower(): v for k, v in want[1]["headers"]}
    bad = h.oss_bucket(oss_server.endpoint, b.bucket_name, auth=oss2.Auth(h.ACCESS_KEY, "wrong"))
    e = raises_oss(lambda: bad.put_object("k", b"x", headers=www))
    assert (e.status, e.code) == (403, "SignatureDoesNotMatch")
    assert cors_of(e.headers) == {k.lower(): v for k, v in want[1]["headers"]}
    ok = b.put_object("k", b"x", headers=www)
    assert cors_of(ok.headers) == {k.lower(): v for k, v in want[1]["headers"]}


def test_operations_beyond_the_contract_work_or_are_not_implemented(oss_server, h):
    """ENDPOINT.md: unsupported operations answer NotImplemented (501), never a wrong 200."""
    b = new_bucket(h, oss_server.endpoint, "ni")
    b.put_object("src", b"source bytes")

    def works_or_501(call, check):
        try:
            call()
        except oss2.exceptions.OssError as e:
            assert (e.status, e.code) == (501, "NotImplemented"), e
            return
        assert check(), "answered 2xx without doing it"

    works_or_501(lambda: b.copy_object(b.bucket_name, "src", "dst"),
                 lambda: b.get_object("dst").read() == b"source bytes")
    b.put_object("gone1", b"1")
    b.put_object("gone2", b"2")
    works_or_501(lambda: b.batch_delete_objects(["gone1", "gone2"]),
                 lambda: not b.object_exists("gone1") and not b.object_exists("gone2"))
    works_or_501(lambda: b.append_object("appended", 0, b"first"),
                 lambda: b.get_object("appended").read() == b"first")
    rule = oss2.models.TaggingRule()
    rule.add("k", "v")
    works_or_501(lambda: b.put_object_tagging("src", oss2.models.Tagging(rule)),
                 lambda: b.get_object_tagging("src").tag_set.tagging_rule == {"k": "v"})
    works_or_501(lambda: b.put_bucket_website(oss2.models.BucketWebsite("index.html", "error.html")),
                 lambda: b.get_bucket_website().index_file == "index.html")
