"""The exceptions corsmatch raises, all rooted in ``CorsmatchError`` (a ``ValueError``)."""

from __future__ import annotations

from typing import Any


class CorsmatchError(ValueError):
    """Root of corsmatch's exceptions."""


class ConfigError(CorsmatchError):
    """A configuration the provider would refuse (or one too large to compile).

    ``code``, ``message`` and ``status`` are what the provider answers ``PutBucketCors``
    with, verbatim; ``xml`` is its XML error body. ``kind`` names the problem
    (``MalformedXml``, ``TooManyRules``, ``UnsupportedMethod``, ``OriginWildcards``,
    ``HeaderWildcards``, ``ExposeHeaderChar``, ``NegativeMaxAge``, ``ControlCharacter``,
    ``IdTooLong``, ``CompiledTooLarge``) and ``str(err)`` explains it in our words.
    """

    code: str
    message: str
    status: int
    xml: str
    kind: str

    def __init__(self, description: str, code: str, message: str, status: int, xml: str, kind: str) -> None:
        super().__init__(description)
        self.code = code
        self.message = message
        self.status = status
        self.xml = xml
        self.kind = kind

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.code, self.message, self.status, self.xml, self.kind))


class InvalidHeaderValue(CorsmatchError):
    """A request value holding CR, LF or NUL, refused before anything is decided.

    The engine echoes the request's values into response headers (the Origin into
    ``Access-Control-Allow-Origin``, the ACRH items into ``Access-Control-Allow-Headers``)
    and error bodies (the ids), where a CR or LF would split the response. HTTP parsers never
    deliver such header values; every ``RuleSet`` method taking request values (``preflight``,
    ``actual``, ``evaluate``, ``explain``) refuses them too. ``argument`` names the argument
    (``method``, ``origin``, ``acrm``, ``acrh``, ``request_id`` or ``host_id``).
    """

    argument: str

    def __init__(self, description: str, argument: str) -> None:
        super().__init__(description)
        self.argument = argument

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.argument))
