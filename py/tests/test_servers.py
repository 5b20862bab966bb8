"""corsmatch.wsgi and corsmatch.asgi behind real servers on loopback: wsgiref (the standard
library's WSGI server) and uvicorn (ASGI), each on a port picked here. The same requests go to
both over HTTP, and both must answer what the RuleSet says, as the providers would."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from typing import Any, Iterable, Iterator, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import uvicorn

from corsmatch import RuleSet
from corsmatch import asgi as cors_asgi
from corsmatch import wsgi as cors_wsgi

from buckets import BUCKETS

calls: list[str] = []


def _bucket(host: str) -> str:
    return host.split(".", 1)[0]


def _target(bucket: str, path: str) -> str:
    if bucket not in BUCKETS:
        return "nonexistent-bucket"
    return "bucket" if path == "/" else "object"


# The application behind each middleware: an object store's GET, with its own headers and a 404.
def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    calls.append(environ["REQUEST_METHOD"])
    key = environ["PATH_INFO"].lstrip("/")
    if key == "missing":
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error": "NoSuchKey"}']
    start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", '"abc"')])
    return [f"object {key}".encode()]


async def asgi_app(scope: cors_asgi.Scope, receive: cors_asgi.Receive, send: cors_asgi.Send) -> None:
    calls.append(scope["method"])
    key = scope["path"].lstrip("/")
    if key == "missing":
        status, headers, body = 404, [(b"content-type", b"application/json")], b'{"error": "NoSuchKey"}'
    else:
        status, headers, body = 200, [(b"content-type", b"text/plain"), (b"etag", b'"abc"')], f"object {key}".encode()
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _ids(_: Any) -> tuple[Optional[str], Optional[str]]:
    return ("req-42", "host<1>")


WSGI = cors_wsgi.CORSMiddleware(
    wsgi_app,
    lambda environ: BUCKETS.get(_bucket(environ.get("HTTP_HOST", ""))),
    target=lambda environ: _target(_bucket(environ.get("HTTP_HOST", "")), environ["PATH_INFO"]),
    ids=_ids,
)


def _scope_host(scope: cors_asgi.Scope) -> str:
    return str(dict(scope["headers"]).get(b"host", b"").decode())


ASGI = cors_asgi.CORSMiddleware(
    asgi_app,
    lambda scope: BUCKETS.get(_bucket(_scope_host(scope))),
    target=lambda scope: _target(_bucket(_scope_host(scope)), scope["path"]),
    ids=_ids,
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def wsgi_port() -> Iterator[int]:
    server: WSGIServer = make_server("127.0.0.1", 0, WSGI, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def asgi_port() -> Iterator[int]:
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(ASGI, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(params=["wsgi", "asgi"])
def port(request: pytest.FixtureRequest) -> int:
    calls.clear()
    return int(request.getfixturevalue(f"{request.param}_port"))


def send(port: int, method: str, path: str, host: str, headers: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, [(n.lower(), v) for n, v in r.getheaders()], r.read()
    finally:
        conn.close()


def cors_items(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers if n.startswith("access-control-") or n == "vary"]


def lowered(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n.lower(), v) for n, v in headers]


WWW = "https://www.example.com"


@pytest.mark.parametrize(
    "bucket, path, origin, acrm, acrh",
    [
        ("photos", "/a/b.jpg", WWW, "PUT", ["Content-Type, X-OSS-Meta-Author"]),  # allowed
        ("photos", "/a/b.jpg", "https://evil.example", "PUT", []),  # origin refused
        ("photos", "/a/b.jpg", None, "PUT", []),  # no Origin: BadRequest
        ("photos", "/a/b.jpg", WWW, None, []),  # no method
        ("photos", "/a/b.jpg", WWW, "PUT", ["x-forbidden"]),  # header refused
        ("photos", "/k", WWW, "PUT", ["Content-Type", "X-OSS-Meta-A"]),  # two header lines, one list
        ("public", "/", "https://anyone.example", "PUT", []),  # s3, the bucket as resource
        ("public", "/key", "https://anyone.example", "GET", []),
        ("vary", "/k", "https://evil.example", "GET", []),  # oss ResponseVary
        ("plain", "/k", WWW, "PUT", []),  # no CORS configuration
        ("nobody", "/k", WWW, "PUT", []),  # no such bucket
    ],
)
def test_preflight_is_answered_by_the_middleware(
    port: int, bucket: str, path: str, origin: Optional[str], acrm: Optional[str], acrh: list[str]
) -> None:
    headers = [("Origin", origin)] if origin is not None else []
    if acrm is not None:
        headers.append(("Access-Control-Request-Method", acrm))
    headers += [("Access-Control-Request-Headers", h) for h in acrh]
    status, got, body = send(port, "OPTIONS", path, f"{bucket}.oss.example.com", headers)
    rules = BUCKETS.get(bucket) or RuleSet.no_config("oss")
    want = rules.preflight(origin, acrm, ",".join(acrh) or None, _target(bucket, path), "req-42", "host<1>")
    assert status == want.status
    assert cors_items(got) == lowered(want.headers)
    assert body == (want.body or "").encode()
    assert dict(got)["content-length"] == str(len(body))
    if want.body is not None:
        assert dict(got)["content-type"] == "application/xml"
    assert calls == []


def test_answers_of_the_example_requests(port: int) -> None:
    status, got, body = send(port, "OPTIONS", "/a/b.jpg", "photos.oss.example.com",
                             [("Origin", WWW), ("Access-Control-Request-Method", "PUT"),
                              ("Access-Control-Request-Headers", "Content-Type"),
                              ("Access-Control-Request-Headers", "X-OSS-Meta-A")])
    assert status == 200 and body == b""
    assert dict(got)["access-control-allow-headers"] == "content-type, x-oss-meta-a"
    status, got, body = send(port, "OPTIONS", "/k", "photos.oss.example.com",
                             [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "PUT")])
    assert status == 403
    assert b"<Code>AccessForbidden</Code>" in body
    assert b"<RequestId>req-42</RequestId><HostId>host&lt;1&gt;</HostId>" in body
    status, got, body = send(port, "OPTIONS", "/k", "nobody.oss.example.com",
                             [("Origin", WWW), ("Access-Control-Request-Method", "PUT")])
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body


@pytest.mark.parametrize(
    "bucket, method, path, origin",
    [
        ("photos", "GET", "/a/b.jpg", WWW),  # the rule's headers added
        ("photos", "GET", "/missing", WWW),  # to the app's errors too
        ("photos", "GET", "/a/b.jpg", None),  # no Origin: nothing
        ("photos", "GET", "/a/b.jpg", "https://evil.example"),
        ("photos", "DELETE", "/a/b.jpg", WWW),  # a method no rule allows
        ("public", "GET", "/", "https://anyone.example"),
        ("vary", "GET", "/k", None),  # Vary: Origin on every response
        ("plain", "GET", "/k", WWW),
    ],
)
def test_actual_requests_reach_the_app_with_the_rule_headers(
    port: int, bucket: str, method: str, path: str, origin: Optional[str]
) -> None:
    status, got, body = send(port, method, path, f"{bucket}.oss.example.com", [("Origin", origin)] if origin else [])
    rules = BUCKETS.get(bucket) or RuleSet.no_config("oss")
    want = rules.actual(method, origin, None, None, _target(bucket, path))
    assert cors_items(got) == lowered(want.headers)
    key = path.lstrip("/")
    if key == "missing":
        assert status == 404 and body == b'{"error": "NoSuchKey"}'
    else:
        assert status == 200 and body == f"object {key}".encode()
        assert dict(got)["etag"] == '"abc"'  # the app's own headers are kept
    assert calls == [method]


def test_allowed_actual_request_names_the_exposed_headers(port: int) -> None:
    _, got, _ = send(port, "GET", "/a/b.jpg", "photos.oss.example.com", [("Origin", WWW)])
    assert dict(got)["access-control-allow-origin"] == WWW
    assert dict(got)["access-control-expose-headers"] == "ETag"
