"""corsmatch.Interner: one compiled structure per distinct configuration."""

from __future__ import annotations

import gc
import threading

import pytest

import corsmatch
from corsmatch import ConfigError, Interner, RuleSet

PUBLIC = (
    b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
    b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
)
PUBLIC_FORMATTED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>\n  <!-- public -->\n  <CORSRule>\n'
    "    <AllowedOrigin>*</AllowedOrigin>\n    <AllowedMethod>GET</AllowedMethod>\n  </CORSRule>\n"
    "</CORSConfiguration>\n"
)


def test_formatting_variants_share() -> None:
    interner = Interner()
    a = interner.from_xml(PUBLIC, "s3")
    b = interner.from_xml(PUBLIC_FORMATTED, "s3")
    c = interner.from_xml(bytearray(PUBLIC), "s3")
    assert a.shares_with(b) and b.shares_with(c)
    assert not a.shares_with(RuleSet.from_xml(PUBLIC, "s3"))
    assert b.preflight("https://a.example", "GET").status == 200
    assert len(interner) == 1
    assert interner.stats() == {"hits": 2, "misses": 1, "sets": 1, "entries": 1}
    assert "sets=1" in repr(interner)


@pytest.mark.parametrize(
    "profile, options",
    [
        ("oss", {}),
        ("s3", {"allow_credentials": False}),
        ("s3", {"strict_origins": True}),
        ("s3", {"max_rules": 5}),
        ("s3", {"max_document_bytes": 4096}),
        ("s3", {"max_compiled_bytes": 1 << 20}),
    ],
)
def test_profiles_and_options_do_not_share(profile: str, options: dict[str, object]) -> None:
    interner = Interner()
    base = interner.from_xml(PUBLIC, "s3")
    other = interner.from_xml(PUBLIC, profile, **options)  # type: ignore[arg-type]
    assert not base.shares_with(other)
    assert interner.from_xml(PUBLIC, profile, **options).shares_with(other)  # type: ignore[arg-type]


def test_values_are_compared_verbatim() -> None:
    interner = Interner()
    a = interner.from_xml(PUBLIC, "s3")
    spaced = interner.from_xml(PUBLIC.replace(b">*<", b"> *<"), "s3")
    assert not a.shares_with(spaced)


@pytest.mark.parametrize(
    "doc",
    [
        b"",
        b"<nope/>",
        PUBLIC.replace(b"GET", b"FETCH"),
        PUBLIC.replace(b">*<", b">*.*<"),
    ],
)
@pytest.mark.parametrize("profile", ["oss", "s3"])
def test_errors_are_those_of_from_xml(doc: bytes, profile: str) -> None:
    with pytest.raises(ConfigError) as plain:
        RuleSet.from_xml(doc, profile)
    interner = Interner()
    with pytest.raises(ConfigError) as interned:
        interner.from_xml(doc, profile)
    assert (interned.value.code, interned.value.message, str(interned.value)) == (
        plain.value.code,
        plain.value.message,
        str(plain.value),
    )
    assert interner.stats()["misses"] == 0


def test_unused_structures_are_freed() -> None:
    interner = Interner()
    a = interner.from_xml(PUBLIC, "s3")
    assert len(interner) == 1
    del a
    gc.collect()
    assert len(interner) == 0


def test_threads_share() -> None:
    interner = Interner()
    results: list[list[corsmatch.RuleSet]] = [[] for _ in range(8)]

    def work(slot: list[corsmatch.RuleSet]) -> None:
        for n in range(50):
            slot.append(interner.from_xml(PUBLIC if n % 2 else PUBLIC_FORMATTED.replace("GET", "PUT"), "oss"))

    threads = [threading.Thread(target=work, args=(r,)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        for n, rs in enumerate(r):
            assert rs.shares_with(results[0][n % 2])
    assert interner.stats()["misses"] == 2
