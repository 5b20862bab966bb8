"""Bucket CORS in plain Python, written from docs/SEMANTICS.md: the oracle the Rust engine is
checked against (test_oracle.py) and the baseline of bench.py.

It is the straightforward implementation: patterns are split once when the rules are
loaded, then every request walks the rules in order. Responses have the shape of
``Response.to_dict()`` (and of ``corsmatch eval``).
"""

from __future__ import annotations

from typing import Any, Optional

METHODS = ("GET", "PUT", "DELETE", "POST", "HEAD")

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_METHODS = "Access-Control-Allow-Methods"
ALLOW_HEADERS = "Access-Control-Allow-Headers"
EXPOSE_HEADERS = "Access-Control-Expose-Headers"
MAX_AGE = "Access-Control-Max-Age"
ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials"
VARY = "Vary"
S3_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

NO_ORIGIN = "Insufficient information. Origin request header needed."
OSS_NO_ACRM = "Insufficient information. Request Access-Control-Request-Method header needed."
S3_NO_ACRM = "Invalid Access-Control-Request-Method: null"
OSS_DENIED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted "
    "by the resource's CORS spec."
)
S3_DENIED = OSS_DENIED.replace("Access-Control-Requet-Headers", "Access-Control-Request-Headers")
S3_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."
S3_NO_BUCKET = "CORSResponse: Bucket not found"
OSS_NO_BUCKET = "The specified bucket does not exist."

Response = dict[str, Any]


def parse_pattern(pattern: str) -> tuple[str, str, str]:
    """``("any", "", "")``, ``("exact", value, "")`` or ``("glob", prefix, suffix)``."""
    if pattern == "*":
        return ("any", "", "")
    if "*" not in pattern:
        return ("exact", pattern, "")
    prefix, suffix = pattern.split("*", 1)
    return ("glob", prefix, suffix)


def pattern_matches(p: tuple[str, str, str], value: str) -> bool:
    kind, a, b = p
    if kind == "any":
        return True
    if kind == "exact":
        return value == a
    return len(value) >= len(a) + len(b) and value.startswith(a) and value.endswith(b)


def ascii_lower(s: str) -> str:
    # str.lower() folds Unicode; header names compare ASCII-case-insensitively only.
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def parse_acrh(acrh: Optional[str]) -> list[str]:
    if acrh is None:
        return []
    items = (item.strip(" \t") for item in acrh.split(","))
    return [ascii_lower(item) for item in items if item]


def _lower_ascii_only(s: str, extra: str) -> bool:
    return all(("a" <= c <= "z") or ("0" <= c <= "9") or c in extra for c in s)


def is_serialized_origin(origin: str) -> bool:
    """``null`` or ``scheme://host[:port]`` in lowercase ASCII (SEMANTICS §7)."""
    if origin == "null":
        return True
    if "://" not in origin:
        return False
    scheme, rest = origin.split("://", 1)
    if not scheme or not ("a" <= scheme[0] <= "z") or not _lower_ascii_only(scheme, "+-."):
        return False
    port: Optional[str]
    if rest.startswith("["):
        inside, sep, after = rest[1:].partition("]")
        if not sep or not inside or not all(c in "0123456789abcdef:." for c in inside):
            return False
        if after == "":
            port = None
        elif after.startswith(":"):
            port = after[1:]
        else:
            return False
    else:
        host, sep, port_text = rest.rpartition(":")
        if sep:
            rest, port = host, port_text
        else:
            port = None
        if not rest or not _lower_ascii_only(rest, "-._"):
            return False
    if port is None:
        return True
    # A port is a 16-bit number (the URL standard); browsers never send another.
    return 0 < len(port) <= 5 and all("0" <= c <= "9" for c in port) and int(port) <= 65535


def xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Rule:
    def __init__(self, rule: dict[str, Any]) -> None:
        def listed(key: str) -> list[str]:
            value = rule.get(key)
            if value is None:
                return []
            return [value] if isinstance(value, str) else list(value)

        self.origins = [parse_pattern(o) for o in listed("AllowedOrigin")]
        self.wildcard = "*" in listed("AllowedOrigin")
        self.methods = listed("AllowedMethod")
        self.headers = [parse_pattern(ascii_lower(h)) for h in listed("AllowedHeader")]
        self.expose = listed("ExposeHeader")
        self.max_age = rule.get("MaxAgeSeconds")


class Oracle:
    """A bucket's CORS: ``rules`` in the corpus' JSON form, ``None`` without configuration."""

    def __init__(
        self,
        rules: Optional[list[dict[str, Any]]],
        profile: str = "oss",
        response_vary: Optional[bool] = None,
        allow_credentials: bool = True,
        strict_origins: bool = False,
    ) -> None:
        self.rules = None if rules is None else [Rule(r) for r in rules]
        self.profile = profile
        self.vary_everywhere = profile == "oss" and response_vary is True
        self.allow_credentials = allow_credentials
        self.strict_origins = strict_origins

    def preflight(
        self,
        origin: Optional[str] = None,
        acrm: Optional[str] = None,
        acrh: Optional[str] = None,
        target: str = "object",
        request_id: Optional[str] = None,
        host_id: Optional[str] = None,
    ) -> Response:
        return self.respond("OPTIONS", origin, acrm, acrh, target, request_id, host_id)

    def respond(
        self,
        method: str,
        origin: Optional[str] = None,
        acrm: Optional[str] = None,
        acrh: Optional[str] = None,
        target: str = "object",
        request_id: Optional[str] = None,
        host_id: Optional[str] = None,
    ) -> Response:
        rules = None if target == "nonexistent-bucket" else self.rules
        if method == "OPTIONS":
            r = self._preflight(rules, origin, acrm, acrh, target, request_id, host_id)
        else:
            r = self._actual(rules, method, origin, acrm, acrh)
        if self.vary_everywhere and rules is not None and all(n != VARY for n, _ in r["headers"]):
            r["headers"].append([VARY, "Origin"])
        return r

    def _preflight(
        self,
        rules: Optional[list[Rule]],
        origin: Optional[str],
        acrm: Optional[str],
        acrh: Optional[str],
        target: str,
        request_id: Optional[str],
        host_id: Optional[str],
    ) -> Response:
        def refuse(reason: str) -> Response:
            return self._refuse(reason, acrm, target, request_id, host_id)

        if origin is None:
            return refuse("no-origin")
        if acrm is not None and acrm not in METHODS:
            return refuse("invalid-acrm")
        if target == "nonexistent-bucket":
            return refuse("no-bucket")
        if rules is None:
            return refuse("not-enabled")
        if acrm is None:
            return refuse("no-acrm")
        headers = parse_acrh(acrh)
        index = self._first_match(rules, origin, acrm, headers)
        if index is None:
            return refuse("denied")
        r = self._allowed(rules[index], index, origin, headers)
        r["status"] = 200
        return r

    def _actual(
        self,
        rules: Optional[list[Rule]],
        method: str,
        origin: Optional[str],
        acrm: Optional[str],
        acrh: Optional[str],
    ) -> Response:
        nothing: Response = {"status": None, "headers": [], "error": None, "rule": None}
        if origin is None or rules is None:
            return nothing
        headers = parse_acrh(acrh)
        index = self._first_match(rules, origin, acrm if acrm is not None else method, headers)
        if index is None:
            return nothing
        return self._allowed(rules[index], index, origin, headers)

    def _first_match(self, rules: list[Rule], origin: str, method: str, headers: list[str]) -> Optional[int]:
        strict_ok = not self.strict_origins or is_serialized_origin(origin)
        for index, rule in enumerate(rules):
            if not any((p[0] == "any" or strict_ok) and pattern_matches(p, origin) for p in rule.origins):
                continue
            if method not in rule.methods:
                continue
            if all(any(pattern_matches(p, h) for p in rule.headers) for h in headers):
                return index
        return None

    def _allowed(self, rule: Rule, index: int, origin: str, headers: list[str]) -> Response:
        out = [[ALLOW_ORIGIN, "*" if rule.wildcard else origin], [ALLOW_METHODS, ", ".join(rule.methods)]]
        if headers:
            out.append([ALLOW_HEADERS, ", ".join(headers)])
        if rule.expose:
            out.append([EXPOSE_HEADERS, ", ".join(rule.expose)])
        if rule.max_age is not None:
            out.append([MAX_AGE, str(rule.max_age)])
        if not rule.wildcard and self.allow_credentials:
            out.append([ALLOW_CREDENTIALS, "true"])
        if self.profile == "s3":
            out.append([VARY, S3_VARY])
        return {"status": None, "headers": out, "error": None, "rule": index}

    def _refuse(
        self,
        reason: str,
        acrm: Optional[str],
        target: str,
        request_id: Optional[str],
        host_id: Optional[str],
    ) -> Response:
        s3 = self.profile == "s3"
        status, code = 403, "AccessForbidden"
        if reason in ("no-origin", "invalid-acrm", "no-acrm"):
            status, code = 400, "BadRequest"
        elif reason == "no-bucket" and not s3:
            status, code = 404, "NoSuchBucket"
        message = {
            "no-origin": NO_ORIGIN,
            "invalid-acrm": f"Invalid Access-Control-Request-Method: {acrm}",
            "no-bucket": S3_NO_BUCKET if s3 else OSS_NO_BUCKET,
            "not-enabled": S3_NOT_ENABLED if s3 else OSS_DENIED,
            "no-acrm": S3_NO_ACRM if s3 else OSS_NO_ACRM,
            "denied": S3_DENIED if s3 else OSS_DENIED,
        }[reason]
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{xml_escape(message)}</Message>'
        if s3 and reason in ("no-bucket", "not-enabled", "denied"):
            resource = "OBJECT" if reason == "denied" and target == "object" else "BUCKET"
            method = acrm if acrm is not None else "OPTIONS"
            body += f"<Method>{xml_escape(method)}</Method><ResourceType>{resource}</ResourceType>"
        if request_id is not None:
            body += f"<RequestId>{xml_escape(request_id)}</RequestId>"
        if host_id is not None:
            body += f"<HostId>{xml_escape(host_id)}</HostId>"
        body += "</Error>"
        return {"status": status, "headers": [], "error": {"code": code, "message": message, "body": body}, "rule": None}
