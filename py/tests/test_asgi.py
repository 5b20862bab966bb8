"""corsmatch.asgi.CORSMiddleware in front of a Starlette application."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from corsmatch import RuleSet
from corsmatch.asgi import CORSMiddleware, Scope

from buckets import BUCKETS, PHOTOS, PUBLIC


def bucket(scope: Scope) -> str:
    host = dict(scope["headers"]).get(b"host", b"").decode()
    return host.split(".", 1)[0]


def lookup(scope: Scope) -> Optional[RuleSet]:
    return BUCKETS.get(bucket(scope))


def target(scope: Scope) -> str:
    if bucket(scope) not in BUCKETS:
        return "nonexistent-bucket"
    return "bucket" if scope["path"] == "/" else "object"


calls: list[str] = []
started: list[bool] = []


async def get_object(request: Request) -> Response:
    calls.append(request.method)
    key = request.path_params["key"]
    if key == "missing":
        return JSONResponse({"error": "NoSuchKey"}, status_code=404)
    return PlainTextResponse(f"object {key}", headers={"ETag": '"abc"'})


async def startup() -> None:
    started.append(True)


def make_app(**kwargs: Any) -> Starlette:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await startup()
        yield

    return Starlette(
        routes=[Route("/{key:path}", get_object, methods=["GET", "PUT", "POST", "DELETE", "OPTIONS"])],
        middleware=[Middleware(CORSMiddleware, lookup=kwargs.pop("lookup", lookup), target=target, **kwargs)],
        lifespan=lifespan,
    )


@pytest.fixture
def client() -> TestClient:
    calls.clear()
    return TestClient(make_app(), base_url="http://photos.oss.example.com")


def preflight_headers(origin: Optional[str] = "https://www.example.com", acrm: Optional[str] = "PUT",
                      acrh: Optional[str] = None) -> dict[str, str]:
    h = {}
    if origin is not None:
        h["Origin"] = origin
    if acrm is not None:
        h["Access-Control-Request-Method"] = acrm
    if acrh is not None:
        h["Access-Control-Request-Headers"] = acrh
    return h


def cors_items(response: Any) -> list[tuple[str, str]]:
    return [(n, v) for n, v in response.headers.multi_items() if n.startswith("access-control-") or n == "vary"]


def lowered(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n.lower(), v) for n, v in headers]


def test_allowed_preflight_is_answered_without_the_app(client: TestClient) -> None:
    r = client.options("/a/b.jpg", headers=preflight_headers(acrh="Content-Type, X-OSS-Meta-Author"))
    assert r.status_code == 200
    assert r.content == b""
    want = PHOTOS.preflight("https://www.example.com", "PUT", "Content-Type, X-OSS-Meta-Author")
    assert cors_items(r) == lowered(want.headers)
    assert r.headers["access-control-allow-headers"] == "content-type, x-oss-meta-author"
    assert r.headers["content-length"] == "0"
    assert calls == []


def test_refused_preflight_has_the_xml_body(client: TestClient) -> None:
    r = client.options("/a/b.jpg", headers=preflight_headers(origin="https://evil.example"))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/xml"
    assert cors_items(r) == []
    want = PHOTOS.preflight("https://evil.example", "PUT")
    assert r.text == want.body
    assert "<Code>AccessForbidden</Code>" in r.text
    r = client.options("/a/b.jpg", headers=preflight_headers(origin=None))
    assert r.status_code == 400 and "<Code>BadRequest</Code>" in r.text
    r = client.options("/a/b.jpg", headers=preflight_headers(acrm=None))
    assert r.status_code == 400 and "Request Access-Control-Request-Method header needed" in r.text
    r = client.options("/a/b.jpg", headers=preflight_headers(acrh="x-forbidden"))
    assert r.status_code == 403
    assert calls == []


def test_bucket_without_configuration_and_missing_bucket() -> None:
    for profile, message in [
        ("oss", "<Message>CORSResponse: This CORS request is not allowed."),
        ("s3", "<Message>CORSResponse: CORS is not enabled for this bucket.</Message><Method>PUT</Method>"),
    ]:
        client = TestClient(make_app(profile=profile), base_url="http://plain.oss.example.com")
        r = client.options("/k", headers=preflight_headers())
        assert r.status_code == 403 and message in r.text
        r = client.get("/k", headers={"Origin": "https://www.example.com"})
        assert r.status_code == 200 and cors_items(r) == []
    client = TestClient(make_app(), base_url="http://nobody.oss.example.com")
    r = client.options("/k", headers=preflight_headers())
    assert r.status_code == 404 and "<Code>NoSuchBucket</Code>" in r.text


def test_actual_requests_get_the_rule_headers(client: TestClient) -> None:
    r = client.get("/a/b.jpg", headers={"Origin": "https://www.example.com"})
    assert r.status_code == 200 and r.text == "object a/b.jpg"
    assert r.headers["etag"] == '"abc"'  # the app's own headers are kept
    want = PHOTOS.actual("GET", "https://www.example.com")
    assert cors_items(r) == lowered(want.headers)
    assert r.headers["access-control-expose-headers"] == "ETag"
    # Error responses of the app get them too, as the providers send them.
    r = client.get("/missing", headers={"Origin": "https://www.example.com"})
    assert r.status_code == 404 and cors_items(r) == lowered(want.headers)
    # No Origin, or an origin no rule allows, or a method no rule allows: nothing added.
    for headers, method in [({}, "GET"), ({"Origin": "https://evil.example"}, "GET"),
                            ({"Origin": "https://www.example.com"}, "DELETE")]:
        r = client.request(method, "/a/b.jpg", headers=headers)
        assert r.status_code == 200 and cors_items(r) == []
    assert calls == ["GET", "GET", "GET", "GET", "DELETE"]


def test_profiles_vary() -> None:
    public = TestClient(make_app(), base_url="http://public.s3.example.com")
    r = public.get("/", headers={"Origin": "https://anyone.example"})
    assert cors_items(r) == [("access-control-allow-origin", "*"), ("access-control-allow-methods", "GET"),
                             ("vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")]
    r = public.options("/", headers=preflight_headers(acrm="PUT"))
    # s3 names the resource: the bucket root here.
    assert r.status_code == 403 and "<ResourceType>BUCKET</ResourceType>" in r.text
    r = public.options("/key", headers=preflight_headers(acrm="PUT"))
    assert "<ResourceType>OBJECT</ResourceType>" in r.text
    # oss ResponseVary: Vary: Origin on every response of the bucket, CORS or not.
    vary = TestClient(make_app(), base_url="http://vary.oss.example.com")
    assert cors_items(vary.get("/k")) == [("vary", "Origin")]
    assert cors_items(vary.options("/k", headers=preflight_headers(origin="https://evil.example", acrm="GET"))) == [
        ("vary", "Origin")
    ]


def test_async_lookup_ids_and_repeated_headers() -> None:
    async def async_lookup(scope: Scope) -> Optional[RuleSet]:
        await asyncio.sleep(0)
        return PHOTOS

    client = TestClient(make_app(lookup=async_lookup, ids=lambda scope: ("req-42", "host<1>")),
                        base_url="http://photos.oss.example.com")
    r = client.options("/k", headers=preflight_headers(origin="https://evil.example"))
    assert "<RequestId>req-42</RequestId><HostId>host&lt;1&gt;</HostId>" in r.text
    # Two Access-Control-Request-Headers lines are one list.
    r = client.options("/k", headers=[("Origin", "https://www.example.com"), ("Access-Control-Request-Method", "PUT"),
                                      ("Access-Control-Request-Headers", "Content-Type"),
                                      ("Access-Control-Request-Headers", "X-OSS-Meta-A")])
    assert r.status_code == 200
    assert r.headers["access-control-allow-headers"] == "content-type, x-oss-meta-a"


def test_lifespan_passes_through() -> None:
    started.clear()
    with TestClient(make_app(), base_url="http://photos.oss.example.com") as client:
        assert started == [True]
        assert client.get("/k").status_code == 200


def test_bare_asgi_app() -> None:
    # Without Starlette around it: the raw messages the middleware sends.
    sent: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": [(b"x-app", b"1")]})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    mw = CORSMiddleware(app, lambda scope: PHOTOS)
    scope = {"type": "http", "method": "PUT", "path": "/k", "headers": [(b"origin", b"https://www.example.com")]}
    asyncio.run(mw(scope, receive, send))
    assert sent[0]["status"] == 204
    assert sent[0]["headers"][0] == (b"x-app", b"1")
    assert sent[0]["headers"][1:] == [(n.lower().encode(), v.encode()) for n, v in
                                      PHOTOS.actual("PUT", "https://www.example.com").headers]
    sent.clear()
    scope = {"type": "http", "method": "OPTIONS", "path": "/", "headers": [(b"origin", b"https://x\xe9.example"),
                                                                        (b"access-control-request-method", b"GET")]}
    asyncio.run(CORSMiddleware(app, lambda scope: PUBLIC)(scope, receive, send))
    # The Origin travels byte for byte (Latin-1 in, Latin-1 out); the default target of "/" is the bucket.
    assert sent[0]["status"] == 200
    assert (b"access-control-allow-origin", b"*") in sent[0]["headers"]
    sent.clear()
    scope = {"type": "http", "method": "OPTIONS", "path": "/k", "headers": [(b"origin", b"https://x\xe9.example"),
                                                                         (b"access-control-request-method", b"GET")]}
    asyncio.run(CORSMiddleware(app, lambda scope: PHOTOS)(scope, receive, send))
    assert sent[0]["status"] == 403
