#!/usr/bin/env python3
"""Converts the shared case data (core/tests/data/*.json) to a line format the C test reads
without a JSON parser. The configuration becomes the XML document a server would receive.

One case is a block of lines, each `key token...`, tokens separated by one space:

    case <id>
    profile oss|s3
    strict 1                       compile with strict origins (absent: the defaults)
    config <xml>|n                 n: no CORS configuration
    config_error <code>            the configuration must be refused (400 <code>); no request
    request <method> <origin> <acrm> <acrh> <target>   target: 0 object, 1 bucket, 2 missing
    status <n>                     only when the case expects a status
    header <name> <value>          expect.headers, one per name (value n: must be absent)
    exact <n> <name> <value> ...   expect.headers_exact
    error n                        the preflight must not be refused
    error <code> <message> <method> <resource-type>   (n: must be absent; x: not checked)
    unrecorded                     a recorded vector without an error body (see below)
    rule <n>|n                     only when the case names the rule (n: none)
    bare                           no Access-Control-* header at all
    end

A string token is `s` followed by the percent-encoded UTF-8 bytes; `n` alone means absent;
`x` alone means not checked; `g<times>:<prefix>:<repeat>:<suffix>` (each part
percent-encoded) is prefix + repeat * times + suffix, for values too large to write out.

The corpus files (`s3-public.json`, `oss-cases.json`, `s3-cases.json`; README "Tests") give
one block per case. A refused preflight must name its error; the C test fails one that does
not, except the ceph/s3-tests vectors of `s3-public.json` (`"fidelity": "s3-tests"`,
written `unrecorded`), which recorded the status and the headers only.

`adversarial.json` states its answer per profile and with strict origins (`oss`, `s3`,
`oss_strict`, `s3_strict`; core/tests/adversarial.rs): it gives four blocks per case, named
`<id>:<profile>[-strict]`, each with its status, rule and error code always checked, the
message when stated, and `bare` when no rule matches. Its rules become XML with control
characters as character references; rules XML cannot carry (NUL and the other C0 controls
but tab, CR and LF) are left out, and must be exactly XML_CANNOT_CARRY. Requests with CR, LF
or NUL stay in: the C ABI refuses them with CORSMATCH_INVALID_HEADER_VALUE, which the C test
checks.
"""
import json
import os
import sys
from urllib.parse import quote
from xml.sax.saxutils import escape

TARGETS = {"object": 0, "bucket": 1, "nonexistent-bucket": 2, "missing-bucket": 2}
RULE_FIELDS = ["ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"]


SAFE = "!$&'()*+,/:;=?@<>\"[]{}^|`~"
PROFILES = ("oss", "s3")
# Adversarial cases whose rules hold a character no XML document can carry (NUL, ESC): the
# C ABI takes documents only. config-xml-nul-reference and config-xml-literal-nul cover a
# document with a NUL.
XML_CANNOT_CARRY = {"config-control-allowedorigin-00", "config-control-allowedheader-1b"}


def tok(value):
    if value is None:
        return "n"
    if isinstance(value, dict):
        # A generator of adversarial.json: {"repeat", "times", "prefix"?, "suffix"?}.
        parts = (value.get("prefix", ""), value["repeat"], value.get("suffix", ""))
        return f"g{int(value['times'])}:" + ":".join(quote(p.encode("utf-8"), safe="") for p in parts)
    # Everything but space, "%" and control bytes stays readable.
    return "s" + quote(str(value).encode("utf-8"), safe=SAFE)


def xml_text(value):
    """XML character data that parses back to `value` (CR, LF and tab as references, since a
    parser normalises them when literal); None when XML cannot carry it."""
    out = []
    for ch in escape(str(value)):
        o = ord(ch)
        if ch in "\t\n\r":
            out.append(f"&#{o};")
        elif o < 0x20 or 0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF):
            return None
        else:
            out.append(ch)
    return "".join(out)


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
                text = xml_text(value)
                if text is None:
                    return None
                out.append(f"<{name}>{text}</{name}>")
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
        if config is None:
            emit("config n")
        else:
            xml = to_xml(config, case.get("response_vary"))
            if xml is None:
                raise SystemExit(f"{path}: {case['id']}: XML cannot carry its rules")
            emit(f"config {tok(xml)}")
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
        if case.get("fidelity") == "s3-tests":
            emit("unrecorded")
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


def request_line(req):
    target = TARGETS[req.get("target") or "object"]
    fields = [tok(req["method"])] + [tok(req.get(k)) for k in ("origin", "acrm", "acrh")]
    return f"request {' '.join(fields)} {target}"


def convert_adversarial(path, emit):
    """Four blocks per case: each profile, strict origins off and on."""
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    left_out = set()
    runs = 0
    for case in cases:
        if "config_xml" in case:
            xml = case["config_xml"]
        else:
            xml = to_xml(case["config"], case.get("response_vary"))
            if xml is None:
                left_out.add(case["id"])
                continue
        for profile in PROFILES:
            for strict in (False, True):
                expect = case["expect"].get(f"{profile}_strict" if strict else profile, case["expect"][profile])
                runs += 1
                emit(f"case {tok(case['id'] + ':' + profile + ('-strict' if strict else ''))}")
                emit(f"profile {profile}")
                if strict:
                    emit("strict 1")
                emit(f"config {tok(xml)}")
                if "config_error" in expect:
                    emit(f"config_error {tok(expect['config_error'])}")
                    emit("end")
                    continue
                req = case["request"]
                emit(request_line(req))
                if (req["method"] == "OPTIONS") != (expect.get("status") is not None):
                    raise SystemExit(f"{case['id']}: a preflight has a status, an actual request none")
                if expect.get("status") is not None:
                    emit(f"status {int(expect['status'])}")
                for name, value in (expect.get("headers") or {}).items():
                    emit(f"header {tok(name)} {tok(value)}")
                code = expect.get("error")
                if code is None:
                    emit("error n")
                else:
                    emit(f"error {tok(code)} {tok(expect['message']) if 'message' in expect else 'x'} x x")
                rule = expect.get("rule")
                emit(f"rule {'n' if rule is None else int(rule)}")
                if rule is None:
                    emit("bare")
                emit("end")
    if left_out != XML_CANNOT_CARRY:
        raise SystemExit(f"{path}: rules XML cannot carry: {sorted(left_out)}, want {sorted(XML_CANNOT_CARRY)}")
    return runs


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: corpus_to_text.py DATA_DIR > corpus.txt")
    # The files in the corpus schema (README "Tests") and their default profiles, as
    # core/tests/corpus.rs has them, then adversarial.json in its own schema
    # (core/tests/adversarial.rs). Other files in that folder are not cases.
    lines = []
    total = 0
    for name, profile in (("s3-public.json", "s3"), ("oss-cases.json", "oss"), ("s3-cases.json", "s3")):
        path = os.path.join(sys.argv[1], name)
        total += convert(path, profile, lines.append)
    runs = convert_adversarial(os.path.join(sys.argv[1], "adversarial.json"), lines.append)
    sys.stdout.write("\n".join(lines) + "\n")
    print(f"corpus_to_text: {total} cases, {runs} adversarial runs", file=sys.stderr)


if __name__ == "__main__":
    main()
