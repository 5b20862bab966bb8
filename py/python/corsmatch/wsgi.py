"""WSGI middleware that answers bucket CORS as the provider would (Flask, Django, moto, ...).

``CORSMiddleware(app, lookup)`` behaves as ``corsmatch.asgi.CORSMiddleware`` does, for WSGI:
``lookup(environ)`` gives the bucket's ``RuleSet`` (``None`` for a bucket without CORS
configuration). Then:

- ``OPTIONS`` is a preflight and is answered here, never passed to ``app``: the status,
  the CORS headers, and for a refusal the provider's XML error body with
  ``Content-Type: application/xml``.
- Any other method goes to ``app``; the CORS headers of the matched rule are appended to
  the headers it gives ``start_response`` (errors of the app included, as the providers do).
  Requests without ``Origin`` get none (except oss ``ResponseVary``'s ``Vary: Origin``).

``target(environ)`` says which resource a request addresses (``ResourceType`` in s3's error
bodies): by default ``"bucket"`` for the path ``/`` and ``"object"`` otherwise; return
``"nonexistent-bucket"`` there for a bucket that does not exist.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Callable, Iterable, Optional

from ._corsmatch import Response, RuleSet
from ._middleware import Decider, header_bytes, preflight_body

Environ = dict[str, Any]
Headers = list[tuple[str, str]]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Lookup = Callable[[Environ], Optional[RuleSet]]
Ids = Callable[[Environ], "tuple[Optional[str], Optional[str]]"]

__all__ = ["CORSMiddleware", "default_target", "response_headers"]


def default_target(environ: Environ) -> str:
    """``"bucket"`` for the bucket root (path ``/``), ``"object"`` for anything else."""
    return "bucket" if environ.get("PATH_INFO", "/") in ("", "/") else "object"


def response_headers(response: Response) -> Headers:
    """The response's headers as WSGI wants them: ``(name, value)`` native strings holding
    Latin-1 (PEP 3333)."""
    return [(name, header_bytes(value).decode("latin-1")) for name, value in response.headers]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class CORSMiddleware:
    """Answers preflights and adds CORS headers to actual responses (see the module doc)."""

    def __init__(
        self,
        app: WSGIApp,
        lookup: Lookup,
        *,
        profile: str = "oss",
        target: Callable[[Environ], str] = default_target,
        ids: Optional[Ids] = None,
    ) -> None:
        """``profile`` answers buckets for which ``lookup`` returns ``None``; ``ids(environ)``
        gives the ``(RequestId, HostId)`` put in error bodies."""
        self.app = app
        self.lookup = lookup
        self.decider: Decider[Environ] = Decider(profile, target, ids)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        origin: Optional[str] = environ.get("HTTP_ORIGIN")
        acrm: Optional[str] = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        # WSGI servers join repeated header lines with commas (RFC 9110 §5.3), as wanted.
        acrh: Optional[str] = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        method = environ["REQUEST_METHOD"]
        r = self.decider.decide(environ, self.lookup(environ), method, origin, acrm, acrh)
        if method == "OPTIONS":
            headers = response_headers(r)
            body, xml = preflight_body(r)
            if xml:
                headers.append(("Content-Type", "application/xml"))
            headers.append(("Content-Length", str(len(body))))
            # A preflight always has a status (only actual requests leave it to the app).
            start_response(_status_line(r.status if r.status is not None else 200), headers)
            return [body]
        extra = response_headers(r)
        if not extra:
            return self.app(environ, start_response)

        def start_with_cors(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], object]:
            headers = [*headers, *extra]
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return self.app(environ, start_with_cors)
