"""The buckets the middleware tests put behind corsmatch: one name per kind of configuration
(an oss rule set, a public s3 one, one with ResponseVary) and a bucket without configuration."""

from __future__ import annotations

from typing import Optional

from corsmatch import RuleSet

PHOTOS = RuleSet.from_rules(
    [
        {
            "AllowedOrigin": ["https://www.example.com"],
            "AllowedMethod": ["PUT", "GET"],
            "AllowedHeader": ["content-type", "x-oss-meta-*"],
            "ExposeHeader": ["ETag"],
            "MaxAgeSeconds": 600,
        }
    ]
)
PUBLIC = RuleSet.from_rules([{"AllowedOrigin": "*", "AllowedMethod": "GET"}], "s3")
VARY = RuleSet.from_rules([{"AllowedOrigin": "https://www.example.com", "AllowedMethod": "GET"}], response_vary=True)
BUCKETS: dict[str, Optional[RuleSet]] = {"photos": PHOTOS, "public": PUBLIC, "vary": VARY, "plain": None}
