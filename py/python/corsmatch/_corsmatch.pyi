"""Type stubs of the extension module (checked by ``python -m mypy.stubtest corsmatch``)."""

from typing import Any, Literal, Optional, TypedDict, Union, final

__all__ = ["RuleSet", "Interner", "Response", "Explanation", "RuleVerdict", "Finding", "LintExample", "__version__", "CORE_VERSION"]

__version__: str
CORE_VERSION: str

# Arguments take any str (an unknown profile or target raises ValueError); these name the
# values.
_Profile = str  # "oss" | "s3"
_Target = str  # "object" | "bucket" | "nonexistent-bucket"

@final
class Response:
    """A preflight's response, or the headers to add to an actual request's response."""

    @property
    def status(self) -> Optional[int]: ...
    @property
    def rule(self) -> Optional[int]: ...
    @property
    def allowed(self) -> bool: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    @property
    def error_code(self) -> Optional[str]: ...
    @property
    def error_message(self) -> Optional[str]: ...
    @property
    def body(self) -> Optional[str]: ...
    def header(self, name: str) -> Optional[str]: ...
    def to_dict(self) -> dict[str, object]: ...

@final
class RuleVerdict:
    """One rule's verdict in an explanation."""

    @property
    def index(self) -> int: ...
    @property
    def result(self) -> Literal["match", "origin", "method", "header"]: ...
    @property
    def header(self) -> Optional[str]: ...
    @property
    def detail(self) -> str: ...
    def to_dict(self) -> dict[str, object]: ...

@final
class Explanation:
    """What each rule made of a request, the winner and the response."""

    @property
    def method(self) -> Optional[str]: ...
    @property
    def headers(self) -> list[str]: ...
    @property
    def skipped(self) -> Optional[Literal["no-origin", "no-config", "refused"]]: ...
    @property
    def rules(self) -> list[RuleVerdict]: ...
    @property
    def winner(self) -> Optional[int]: ...
    @property
    def response(self) -> Response: ...
    def to_dict(self) -> dict[str, object]: ...

@final
class LintExample:
    """A request that shows a lint finding (an overlap)."""

    @property
    def origin(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def headers(self) -> list[str]: ...
    def to_dict(self) -> dict[str, object]: ...

@final
class Finding:
    """One lint finding; ``to_dict()`` is one element of ``corsmatch lint --json``."""

    @property
    def id(self) -> str: ...
    @property
    def severity(self) -> Literal["info", "warning", "error"]: ...
    @property
    def is_problem(self) -> bool: ...
    @property
    def rule(self) -> Optional[int]: ...
    @property
    def element(self) -> Optional[Literal["AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader"]]: ...
    @property
    def item(self) -> Optional[int]: ...
    @property
    def message(self) -> str: ...
    @property
    def fix(self) -> str: ...
    @property
    def related(self) -> list[int]: ...
    @property
    def example(self) -> Optional[LintExample]: ...
    def to_dict(self) -> dict[str, object]: ...

@final
class RuleSet:
    """A compiled CORS configuration (or a bucket without one); immutable and thread-safe."""

    @staticmethod
    def from_xml(
        data: Union[bytes, bytearray, str],
        profile: _Profile = "oss",
        *,
        max_rules: Optional[int] = None,
        max_document_bytes: Optional[int] = None,
        allow_credentials: bool = True,
        strict_origins: bool = False,
        max_compiled_bytes: Optional[int] = None,
    ) -> RuleSet: ...
    @staticmethod
    def from_json(
        data: Union[bytes, bytearray, str],
        profile: Optional[_Profile] = None,
        *,
        resource: Optional[str] = None,
        max_rules: Optional[int] = None,
        max_document_bytes: Optional[int] = None,
        allow_credentials: bool = True,
        strict_origins: bool = False,
        max_compiled_bytes: Optional[int] = None,
    ) -> RuleSet: ...
    @staticmethod
    def from_rules(
        rules: Union[list[dict[str, Any]], tuple[dict[str, Any], ...]],
        profile: _Profile = "oss",
        *,
        response_vary: Optional[bool] = None,
        max_rules: Optional[int] = None,
        allow_credentials: bool = True,
        strict_origins: bool = False,
        max_compiled_bytes: Optional[int] = None,
    ) -> RuleSet: ...
    @staticmethod
    def no_config(profile: _Profile = "oss") -> RuleSet: ...
    # preflight, actual, evaluate and explain raise corsmatch.InvalidHeaderValue (a
    # CorsmatchError, so a ValueError) when a request value (method, origin, acrm, acrh,
    # request_id, host_id) holds CR, LF or NUL: those values are echoed into the response.
    def preflight(
        self,
        origin: Optional[str] = None,
        acrm: Optional[str] = None,
        acrh: Optional[str] = None,
        target: _Target = "object",
        request_id: Optional[str] = None,
        host_id: Optional[str] = None,
    ) -> Response: ...
    def actual(
        self,
        method: str,
        origin: Optional[str] = None,
        acrm: Optional[str] = None,
        acrh: Optional[str] = None,
        target: _Target = "object",
    ) -> Response: ...
    def evaluate(
        self,
        method: str,
        origin: Optional[str] = None,
        acrm: Optional[str] = None,
        acrh: Optional[str] = None,
        target: _Target = "object",
        request_id: Optional[str] = None,
        host_id: Optional[str] = None,
    ) -> Response: ...
    def explain(
        self,
        method: str,
        origin: Optional[str] = None,
        acrm: Optional[str] = None,
        acrh: Optional[str] = None,
        target: _Target = "object",
        request_id: Optional[str] = None,
        host_id: Optional[str] = None,
    ) -> Explanation: ...
    def lint(self, sdk: Optional[Literal["aws-js-v3", "ali-oss"]] = None, origin: Optional[str] = None) -> list[Finding]: ...
    def doctor(
        self,
        origin: str,
        sdk: Literal["aws-js-v3", "ali-oss"],
        operations: Optional[list[str]] = None,
    ) -> dict[str, Any]: ...
    @property
    def profile(self) -> Literal["oss", "s3"]: ...
    @property
    def has_config(self) -> bool: ...
    @property
    def rule_count(self) -> int: ...
    @property
    def allow_credentials(self) -> bool: ...
    @property
    def strict_origins(self) -> bool: ...
    @property
    def max_rules(self) -> int: ...
    @property
    def max_document_bytes(self) -> int: ...
    @property
    def memory_usage(self) -> int: ...
    def shares_with(self, other: RuleSet) -> bool: ...
    @property
    def rules(self) -> list[dict[str, Any]]: ...
    @property
    def response_vary(self) -> Optional[bool]: ...
    def to_xml(self) -> Optional[str]: ...

class _InternerStats(TypedDict):
    hits: int
    misses: int
    sets: int
    entries: int

@final
class Interner:
    """Hands out rule sets that share one compiled structure per distinct configuration."""

    def __init__(self) -> None: ...
    def from_xml(
        self,
        data: Union[bytes, bytearray, str],
        profile: _Profile = "oss",
        *,
        max_rules: Optional[int] = None,
        max_document_bytes: Optional[int] = None,
        allow_credentials: bool = True,
        strict_origins: bool = False,
        max_compiled_bytes: Optional[int] = None,
    ) -> RuleSet: ...
    def stats(self) -> _InternerStats: ...
    def __len__(self) -> int: ...
