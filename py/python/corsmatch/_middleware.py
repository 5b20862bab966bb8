"""What the ASGI and WSGI middlewares share: choosing the rule set and asking it."""

from __future__ import annotations

from typing import Callable, Generic, Optional, TypeVar

from ._corsmatch import Response, RuleSet

R = TypeVar("R")  # the server's request: an ASGI scope or a WSGI environ


class Decider(Generic[R]):
    """The rule set of a request (``lookup``'s, or ``profile``'s no-configuration set) asked
    for the preflight or actual response; ``target(request)`` names the resource and
    ``ids(request)`` gives the ``(RequestId, HostId)`` put in error bodies."""

    def __init__(
        self,
        profile: str,
        target: Callable[[R], str],
        ids: Optional[Callable[[R], "tuple[Optional[str], Optional[str]]"]],
    ) -> None:
        self.target = target
        self.ids = ids
        self.no_config = RuleSet.no_config(profile)

    def decide(
        self,
        request: R,
        rules: Optional[RuleSet],
        method: str,
        origin: Optional[str],
        acrm: Optional[str],
        acrh: Optional[str],
    ) -> Response:
        if rules is None:
            rules = self.no_config
        target = self.target(request)
        if method == "OPTIONS":
            request_id, host_id = self.ids(request) if self.ids is not None else (None, None)
            return rules.preflight(origin, acrm, acrh, target, request_id, host_id)
        return rules.actual(method, origin, acrm, acrh, target)


def preflight_body(r: Response) -> "tuple[bytes, bool]":
    """A preflight response's body, and whether it is the provider's XML error body."""
    if r.body is None:
        return b"", False
    return r.body.encode("utf-8"), True


def header_bytes(value: str) -> bytes:
    """A header value's bytes: Latin-1, as servers decoded the request's Origin and ACRH (so
    they go back byte for byte), or UTF-8 for a configured value outside Latin-1."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
