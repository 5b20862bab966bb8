"""corsmatch: bucket CORS decided exactly as Alibaba Cloud OSS (``oss``) and AWS S3 (``s3``)
decide it.

>>> import corsmatch
>>> rules = corsmatch.RuleSet.from_xml(
...     "<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>"
...     "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader>"
...     "</CORSRule></CORSConfiguration>")
>>> r = rules.preflight("https://www.example.com", "PUT", "Content-Type")
>>> r.status, r.header("Access-Control-Allow-Headers")
(200, 'content-type')
>>> [(f.severity, f.id) for f in rules.lint()]
[('warning', 'vary-missing')]
"""

from ._errors import ConfigError, CorsmatchError, InvalidHeaderValue
from ._corsmatch import CORE_VERSION, Explanation, Finding, Interner, LintExample, Response, RuleSet, RuleVerdict, __version__

__all__ = [
    "CORE_VERSION",
    "ConfigError",
    "CorsmatchError",
    "Explanation",
    "Finding",
    "Interner",
    "InvalidHeaderValue",
    "LintExample",
    "Response",
    "RuleSet",
    "RuleVerdict",
    "__version__",
]
