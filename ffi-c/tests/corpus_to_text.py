#!/usr/bin/env python3
"""Converts the shared case corpus (core/tests/data/*.json) to a line format the C test reads
without a JSON parser. The configuration becomes the XML document a server would receive.

One case is a block of lines, each `key token...`, tokens separated by one space:

    case <id>
    profile oss|s3
    config <xml>|n                 n: no CORS configuration
    request <method> <origin> <acrm> <acrh> <target>   target: 0 object, 1 bucket, 2 missing
    status <n>                     only when the case expects a status
    header <name> <value>          expect.headers, one per name (value n: must be absent)
    exact <n> <name> <value> ...   expect.headers_exact
    error n                        the preflight must not be refused
    error <code> <message> <method> <resource-type>   (method/resource type n: must be absent)
    rule <n>|n                     only when the case names the rule (n: none)
    end

A string token is `s` followed by the percent-encoded UTF-8 bytes; `n` alone means absent.
"""

import json
import os
import sys
from urllib.parse import quote
from xml.sax.saxutils import escape

TARGETS = {"object": 0, "bucket": 1, "nonexistent-bucket": 2, "missing-bucket": 2}
RULE_FIELDS = ["ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"]


def tok(value):
    if value is None:
        return "n"
    # Everything but space, "%" and control bytes stays readable.
    return "s" + quote(str(value).encode("utf-8"), safe="!$&'()*+,/:;=?@<>\"[]{}^|`~")


def as_list(value):
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def to_xml(rules, response_vary):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>']
    for rule in rules:
        unknown = set(rule) - set(RULE_FIELDS)
        if unknown:
            raise SystemExit(f"unknown rule fields {sorted(unknown)}")
        out.append("<CORSRule>")
        for name in RULE_FIELDS:
            for value in as_list(rule.get(name)):
                out.append(f"<{name}>{escape(str(value))}</{name}>")
        out.append("</CORSRule>")
    if response_vary is not None:
        out.append(f"<ResponseVary>{'true' if response_vary else 'false'}</ResponseVary>")
    out.append("</CORSConfiguration>\n")
    return "".join(out)


def convert(path, default_profile, emit):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases:
        req, expect = case["request"], case["expect"]
        emit(f"case {tok(case['id'])}")
        emit(f"profile {case.get('profile', default_profile)}")
        config = case.get("config")
        emit(f"config {tok(None if config is None else to_xml(config, case.get('response_vary')))}")
        target = TARGETS[req.get("target") or "object"]
        fields = [tok(req["method"])] + [tok(req.get(k)) for k in ("origin", "acrm", "acrh")]
        emit(f"request {' '.join(fields)} {target}")
        if expect.get("status") is not None:
            emit(f"status {int(expect['status'])}")
        for name, value in (expect.get("headers") or {}).items():
            emit(f"header {tok(name)} {tok(value)}")
        if "headers_exact" in expect:
            pairs = expect["headers_exact"]
            emit(f"exact {len(pairs)}" + "".join(f" {tok(n)} {tok(v)}" for n, v in pairs))
        if "error" in expect:
            err = expect["error"]
            if err is None:
                emit("error n")
            else:
                emit("error " + " ".join(tok(err.get(k)) for k in ("Code", "Message", "Method", "ResourceType")))
        if "rule" in expect:
            emit(f"rule {'n' if expect['rule'] is None else int(expect['rule'])}")
        emit("end")
    return len(cases)


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: corpus_to_text.py DATA_DIR > corpus.txt")
    # The files in the corpus schema (README "Test corpus") and their default profiles, as
    # core/tests/corpus.rs has them. Other files in that folder have schemas of their own.
    lines = []
    total = 0
    for name, profile in (("s3-public.json", "s3"), ("oss-cases.json", "oss"), ("s3-cases.json", "s3")):
        path = os.path.join(sys.argv[1], name)
        total += convert(path, profile, lines.append)
    sys.stdout.write("\n".join(lines) + "\n")
    print(f"corpus_to_text: {total} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
