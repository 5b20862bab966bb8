"""ASGI middleware that answers bucket CORS as the provider would.

``CORSMiddleware(app, lookup)`` asks ``lookup(scope)`` for the bucket's ``RuleSet`` (``None``
for a bucket without CORS configuration; ``lookup`` may also be ``async``). Then:

- ``OPTIONS`` is a preflight and is answered here, never passed to ``app``: the status,
  the CORS headers, and for a refusal the provider's XML error body with
  ``content-type: application/xml``.
- Any other method goes to ``app``; the CORS headers of the matched rule are appended to
  the headers of its ``http.response.start`` message (errors of the app included, as the
  providers do). Requests without ``Origin`` get none (except oss ``ResponseVary``'s
  ``Vary: Origin``).

Which resource a request addresses (``ResourceType`` in s3's error bodies) comes from
``target(scope)``: by default ``"bucket"`` for the path ``/`` and ``"object"`` otherwise;
return ``"nonexistent-bucket"`` there for a bucket that does not exist.
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, MutableMapping, Optional, Union

from ._corsmatch import Response, RuleSet
from ._middleware import Decider, header_bytes, preflight_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Lookup = Callable[[Scope], Union[Optional[RuleSet], Awaitable[Optional[RuleSet]]]]
Ids = Callable[[Scope], "tuple[Optional[str], Optional[str]]"]

__all__ = ["CORSMiddleware", "default_target", "response_headers"]


def default_target(scope: Scope) -> str:
    """``"bucket"`` for the bucket root (path ``/``), ``"object"`` for anything else."""
    return "bucket" if scope.get("path", "/") in ("", "/") else "object"


def response_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response's headers as ASGI wants them: lowercase names, bytes."""
    return [(name.lower().encode("latin-1"), header_bytes(value)) for name, value in response.headers]


class CORSMiddleware:
    """Answers preflights and adds CORS headers to actual responses (see the module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        lookup: Lookup,
        *,
        profile: str = "oss",
        target: Callable[[Scope], str] = default_target,
        ids: Optional[Ids] = None,
    ) -> None:
        """``profile`` answers buckets for which ``lookup`` returns ``None``; ``ids(scope)``
        gives the ``(RequestId, HostId)`` put in error bodies."""
        self.app = app
        self.lookup = lookup
        self.decider: Decider[Scope] = Decider(profile, target, ids)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin: Optional[str] = None
        acrm: Optional[str] = None
        acrh: list[str] = []
        for name, value in scope.get("headers", ()):
            if name == b"origin":
                if origin is None:
                    origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                if acrm is None:
                    acrm = value.decode("latin-1")
            elif name == b"access-control-request-headers":
                # Repeated header lines are one comma-separated list (RFC 9110 §5.3).
                acrh.append(value.decode("latin-1"))
        headers = ",".join(acrh) if acrh else None
        found = self.lookup(scope)
        rules = await found if inspect.isawaitable(found) else found
        method = scope["method"]
        r = self.decider.decide(scope, rules, method, origin, acrm, headers)
        if method == "OPTIONS":
            await self._answer(send, r)
            return
        extra = response_headers(r)
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _answer(send: Send, r: Response) -> None:
        headers = response_headers(r)
        body, xml = preflight_body(r)
        if xml:
            headers.append((b"content-type", b"application/xml"))
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await send({"type": "http.response.start", "status": r.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
