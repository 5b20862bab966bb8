"""Load and fault tests for `corsmatch serve` as a local S3/OSS endpoint (shared/spec/ENDPOINT.md).

Bounded and on loopback only:

* `test_load_s3` / `test_load_oss`: thousands of mixed requests (preflights, anonymous GETs
  of present and missing keys, PUT uploads, multipart uploads) from many threads and
  connections while another thread replaces the CORS configuration of two buckets: one
  through PutBucketCors, one (served with `--bucket NAME=FILE`) by rewriting FILE. Every
  response must name the configuration version that decided it, that version must be one
  that was installed, and its CORS headers must be exactly what `corsmatch eval` answers for
  that version's document.
* `test_kill9_keeps_acknowledged_writes`: with `--data DIR`, every write acknowledged with a
  200 before a `kill -9` is there after a restart, byte for byte, with its ETag; the bucket,
  its ACL and its CORS document survive too.

Nothing here asserts on time; the latency figures are printed (`pytest -s`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serveproc import ACCESS_KEY, BIN, SECRET_KEY, Serve  # noqa: E402

VERSION = "x-corsmatch-config-version"
TIMEOUT = (5, 30)  # (connect, read) for every request
# Anonymous uploads readable by anyone: s3 objects are private unless their own ACL says
# otherwise; oss objects inherit the bucket's ACL.
PUBLIC_READ = {"s3": {"x-amz-acl": "public-read"}, "oss": {}}

# ---------------------------------------------------------------------------------------------
# CORS documents: five valid configurations that answer the same requests differently.
# ---------------------------------------------------------------------------------------------


def rule(origins, methods, headers=(), expose=(), max_age=None):
    return {"origins": list(origins), "methods": list(methods), "headers": list(headers),
            "expose": list(expose), "max_age": max_age}


DOCS: list[list[dict]] = [
    [rule(["https://app.example.com"], ["GET", "PUT", "POST"], ["content-type", "x-amz-*"], ["ETag"], 100)],
    [rule(["*"], ["GET", "HEAD"], max_age=200)],
    [
        rule(["https://*.example.com"], ["PUT", "POST", "DELETE"], ["*"], ["x-amz-request-id"]),
        rule(["http://localhost:3000"], ["GET"], max_age=5),
    ],
    [rule(["https://other.example.org", "https://app.example.com"], ["GET", "PUT"], [], ["ETag", "x-amz-version-id"], 300)],
    [
        rule(["https://app.example.com"], ["GET"]),
        rule(["https://app.example.com", "http://localhost:3000"], ["PUT", "GET", "DELETE"], ["content-type", "authorization"], [], 400),
        rule(["*"], ["HEAD"]),
    ],
]
# OSS only: ResponseVary on some documents, so that Vary differs too.
OSS_VARY = [False, True, False, True, False]

ORIGINS = [None, "https://app.example.com", "https://x.example.com", "http://localhost:3000",
           "https://other.example.org", "https://evil.test"]
ACRMS = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"]
ACRHS = [None, "content-type", "x-amz-meta-a, content-type", "authorization", "x-custom", "X-Amz-Date"]


def render(doc: list[dict], profile: str, vary: bool = False) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>']
    for r in doc:
        out.append("<CORSRule>")
        out += [f"<AllowedOrigin>{o}</AllowedOrigin>" for o in r["origins"]]
        out += [f"<AllowedMethod>{m}</AllowedMethod>" for m in r["methods"]]
        out += [f"<AllowedHeader>{h}</AllowedHeader>" for h in r["headers"]]
        out += [f"<ExposeHeader>{h}</ExposeHeader>" for h in r["expose"]]
        if r["max_age"] is not None:
            out.append(f"<MaxAgeSeconds>{r['max_age']}</MaxAgeSeconds>")
        out.append("</CORSRule>")
    if profile == "oss":
        out.append(f"<ResponseVary>{'true' if vary else 'false'}</ResponseVary>")
    out.append("</CORSConfiguration>\n")
    return "".join(out).encode()


def to_boto(doc: list[dict]) -> dict:
    rules = []
    for r in doc:
        b: dict[str, Any] = {"AllowedOrigins": r["origins"], "AllowedMethods": r["methods"]}
        if r["headers"]:
            b["AllowedHeaders"] = r["headers"]
        if r["expose"]:
            b["ExposeHeaders"] = r["expose"]
        if r["max_age"] is not None:
            b["MaxAgeSeconds"] = r["max_age"]
        rules.append(b)
    return {"CORSRules": rules}


_canon_cache: dict[tuple[bytes, str], str | None] = {}
_canon_lock = threading.Lock()


def canon(xml: bytes, profile: str) -> str | None:
    """The configuration as `corsmatch check` normalises it (AllowedHeader lowercased, as OSS
    returns it), or None when check refuses the document."""
    key = (xml, profile)
    with _canon_lock:
        if key in _canon_cache:
            return _canon_cache[key]
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(xml)
        f.flush()
        p = subprocess.run([BIN, "check", "--profile", profile, "--config", f.name],
                           capture_output=True, timeout=30)
    result = None
    if p.returncode == 0:
        v = json.loads(p.stdout)
        v.pop("compiled_bytes", None)
        for r in v.get("rules", []):
            r["allowed_headers"] = [h.lower() for h in r.get("allowed_headers", [])]
            r.pop("index", None)
        result = json.dumps(v, sort_keys=True)
    with _canon_lock:
        _canon_cache[key] = result
    return result


def eval_many(xml: bytes, profile: str, reqs: list[tuple]) -> list[dict]:
    """`corsmatch eval --requests` for (method, origin, acrm, acrh, target) tuples."""
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "cors.xml"
        cfg.write_bytes(xml)
        lines = "".join(
            json.dumps({"method": m, "origin": o, "acrm": a, "acrh": h, "target": t}) + "\n"
            for (m, o, a, h, t) in reqs
        )
        p = subprocess.run([BIN, "eval", "--profile", profile, "--config", str(cfg), "--requests", "-"],
                           input=lines.encode(), capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    out = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
    assert len(out) == len(reqs)
    return out


def cors_headers(resp: requests.Response) -> list[tuple[str, str]]:
    """The Access-Control-* and Vary headers, every occurrence, names lowercased, sorted."""
    return sorted((k.lower(), v) for k, v in resp.raw.headers.items()
                  if k.lower().startswith("access-control-") or k.lower() == "vary")


def expected_headers(result: dict) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in result["headers"])


# ---------------------------------------------------------------------------------------------
# Clients: the owner (SigV4-signed raw requests, boto3) and anonymous sessions.
# ---------------------------------------------------------------------------------------------


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # never a proxy: loopback only
    return s


class Owner:
    """Raw requests signed with SigV4 and the Serve credentials (one per thread)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.s = session()
        self.creds = Credentials(ACCESS_KEY, SECRET_KEY)

    def request(self, method: str, path: str, query: str = "", body: bytes = b"",
                headers: dict | None = None) -> requests.Response:
        url = self.endpoint + path + (("?" + query) if query else "")
        req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        S3SigV4Auth(self.creds, "s3", "us-east-1").add_auth(req)
        return self.s.request(method, url, data=body, headers=dict(req.headers.items()), timeout=TIMEOUT)

    def put_cors(self, bucket: str, xml: bytes) -> requests.Response:
        md5 = base64.b64encode(hashlib.md5(xml).digest()).decode()
        return self.request("PUT", f"/{bucket}", "cors", xml,
                            {"Content-MD5": md5, "Content-Type": "application/xml"})

    def get_cors(self, bucket: str) -> requests.Response:
        return self.request("GET", f"/{bucket}", "cors")


def s3client(endpoint: str):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"},
                      connect_timeout=5, read_timeout=30),
    )


def create_public_bucket(srv: Serve, profile: str, bucket: str) -> None:
    if profile == "s3":
        s3client(srv.endpoint).create_bucket(Bucket=bucket, ACL="public-read-write")
    else:
        r = Owner(srv.endpoint).request("PUT", f"/{bucket}", headers={"x-oss-acl": "public-read-write"})
        assert r.status_code == 200, (r.status_code, r.text)


def make_public(srv: Serve, profile: str, bucket: str) -> None:
    if profile == "s3":
        s3client(srv.endpoint).put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    else:
        r = Owner(srv.endpoint).request("PUT", f"/{bucket}", "acl", headers={"x-oss-acl": "public-read-write"})
        assert r.status_code == 200, (r.status_code, r.text)


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def etag_of(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


# ---------------------------------------------------------------------------------------------
# The load test.
# ---------------------------------------------------------------------------------------------


def run_load(tmp_path: Path, profile: str, threads: int, per_thread: int, steps: int,
             multipart: int, budget: float, burst_per_thread: int) -> None:
    bucket_a, bucket_b = "load-api", "load-file"
    docs_xml = [render(d, profile, OSS_VARY[i]) for i, d in enumerate(DOCS)]
    canon_to_doc: dict[str, int] = {}
    for i, x in enumerate(docs_xml):
        c = canon(x, profile)
        assert c is not None, f"test document {i} is not valid for {profile}"
        assert c not in canon_to_doc, "test documents must be distinct"
        canon_to_doc[c] = i

    cors_file = tmp_path / "load-file.xml"
    write_atomically(cors_file, docs_xml[1])
    srv = Serve("--profile", profile, "--bucket", f"{bucket_b}={cors_file}")
    try:
        _run_load(srv, tmp_path, profile, threads, per_thread, steps, multipart, budget, burst_per_thread,
                  bucket_a, bucket_b, docs_xml, canon_to_doc, cors_file)
        assert srv.proc.poll() is None, "the server exited during the load test"
        assert not any("panicked" in line for line in srv.stderr), "".join(srv.stderr)[-4000:]
    finally:
        srv.stop()


def _run_load(srv, tmp_path, profile, threads, per_thread, steps, multipart, budget, burst_per_thread,
              bucket_a, bucket_b, docs_xml, canon_to_doc, cors_file) -> None:
    port = srv.port
    owner = Owner(srv.endpoint)
    public_read = PUBLIC_READ[profile]
    create_public_bucket(srv, profile, bucket_a)
    make_public(srv, profile, bucket_b)

    # version -> document index, per bucket; learned from PutBucketCors and GetBucketCors.
    known: dict[str, dict[str, int]] = {bucket_a: {}, bucket_b: {}}
    problems: list[str] = []  # configuration-side disagreements, found by the changer

    def learn_from_get(bucket: str) -> tuple[str | None, int | None]:
        r = owner.get_cors(bucket)
        v = r.headers.get(VERSION)
        if r.status_code != 200 or v is None:
            problems.append(f"GetBucketCors {bucket}: {r.status_code} version={v!r} {r.text[:300]}")
            return v, None
        c = canon(r.content, profile)
        d = canon_to_doc.get(c) if c else None
        if d is None:
            problems.append(f"GetBucketCors {bucket} v{v} returned a document that is none of those installed: {r.text[:500]}")
            return v, None
        if v in known[bucket] and known[bucket][v] != d:
            problems.append(f"{bucket}: version {v} named document {known[bucket][v]} and later document {d}")
        known[bucket][v] = d
        return v, d

    s3 = s3client(srv.endpoint)

    def put_cors(bucket: str, d: int) -> str | None:
        if profile == "s3":
            resp = s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=to_boto(DOCS[d]))
            status = resp["ResponseMetadata"]["HTTPStatusCode"]
            v = resp["ResponseMetadata"]["HTTPHeaders"].get(VERSION)
        else:
            r = owner.put_cors(bucket, docs_xml[d])
            status, v = r.status_code, r.headers.get(VERSION)
        if status != 200 or v is None:
            problems.append(f"PutBucketCors {bucket} doc {d}: status {status}, {VERSION}={v!r}")
            return None
        if v in known[bucket] and known[bucket][v] != d:
            problems.append(f"PutBucketCors {bucket}: version {v} reused for another document")
        known[bucket][v] = d
        gv, gd = learn_from_get(bucket)
        if gv != v or gd != d:
            problems.append(f"PutBucketCors {bucket} installed v{v} (doc {d}); the next GetBucketCors said v{gv} (doc {gd})")
        return v

    # The API bucket starts with document 0, put through PutBucketCors; the file bucket with 1.
    put_cors(bucket_a, 0)
    _, d_b0 = learn_from_get(bucket_b)
    assert d_b0 == 1, f"the --bucket file's document was not served: {problems}"

    # Seed objects for the anonymous GETs.
    seeds: dict[tuple[str, str], bytes] = {}
    anon = session()
    rng0 = random.Random(7)
    for b in (bucket_a, bucket_b):
        for i in range(8):
            data = rng0.randbytes(rng0.randrange(0, 3000))
            r = anon.put(f"{srv.endpoint}/{b}/seed/{i}", data=data, headers=public_read, timeout=TIMEOUT)
            assert r.status_code == 200, (b, r.status_code, r.text)
            seeds[(b, f"seed/{i}")] = data

    records: list[dict] = []
    uploads: list[tuple[str, str, bytes, str | None]] = []  # bucket, key, data, etag
    cond = threading.Condition()
    progress = [0]
    done = threading.Event()
    t_start = time.monotonic()
    deadline = t_start + budget

    def changer() -> None:
        rng = random.Random(99)
        cur = {bucket_a: 0, bucket_b: 1}
        try:
            for i in range(steps):
                if time.monotonic() > deadline - 5:
                    print(f"[load {profile}] changer stopped after {i} of {steps} changes (time budget)")
                    break
                bucket = bucket_a if i % 2 == 0 else bucket_b
                d = rng.choice([x for x in range(len(DOCS)) if x != cur[bucket]])
                cur[bucket] = d
                if bucket == bucket_a:
                    put_cors(bucket_a, d)
                else:
                    write_atomically(cors_file, docs_xml[d])
                    # The server polls the file about every 500 ms: wait until it is seen.
                    seen = False
                    t_end = time.monotonic() + 5.0
                    while time.monotonic() < t_end:
                        time.sleep(0.05)
                        _, gd = learn_from_get(bucket_b)
                        if gd == d:
                            seen = True
                            break
                    if not seen:
                        problems.append(f"file edit {i} (doc {d}) not served after 5 s (the server polls every 500 ms)")
                with cond:
                    progress[0] += 1
                    cond.notify_all()
            learn_from_get(bucket_a)
            learn_from_get(bucket_b)
        except Exception as e:  # noqa: BLE001 - reported below
            problems.append(f"changer failed: {e!r}")
        finally:
            done.set()
            with cond:
                cond.notify_all()

    def do(sess, idx, rng, kind, method, bucket, key, origin=None, acrm=None, acrh=None,
           body=None, extra=None, query="") -> tuple[requests.Response | None, dict]:
        vhost = rng.random() < 0.25
        if vhost:
            url = f"{srv.endpoint}/{key}"
            headers = {"Host": f"{bucket}.localhost:{port}"}
        else:
            url = f"{srv.endpoint}/{bucket}/{key}"
            headers = {}
        if query:
            url += "?" + query
        if origin is not None:
            headers["Origin"] = origin
        if acrm is not None:
            headers["Access-Control-Request-Method"] = acrm
        if acrh is not None:
            headers["Access-Control-Request-Headers"] = acrh
        headers.update(extra or {})
        target = "object" if key else "bucket"
        rec = {"kind": kind, "bucket": bucket, "key": key, "method": method, "origin": origin,
               "acrm": acrm, "acrh": acrh, "target": target, "vhost": vhost, "status": None,
               "cors": None, "version": None, "lat": None, "error": None}
        fresh = rng.random() < 0.1
        t0 = time.perf_counter()
        try:
            if fresh:
                with session() as s:
                    headers["Connection"] = "close"
                    r = s.request(method, url, data=body, headers=headers, timeout=TIMEOUT)
            else:
                r = sess.request(method, url, data=body, headers=headers, timeout=TIMEOUT)
            _ = r.content
        except requests.RequestException as e:
            rec["error"] = repr(e)
            rec["lat"] = time.perf_counter() - t0
            records.append(rec)
            return None, rec
        rec["lat"] = time.perf_counter() - t0
        rec["status"] = r.status_code
        rec["cors"] = cors_headers(r)
        rec["version"] = r.headers.get(VERSION)
        records.append(rec)
        return r, rec

    def multipart_upload(sess, idx, rng, bucket) -> None:
        key = f"mpu/{idx}"
        origin = rng.choice(ORIGINS[1:])
        r, rec = do(sess, idx, rng, "mpu-create", "POST", bucket, key, origin, query="uploads", extra=public_read)
        if r is None or r.status_code != 200:
            return
        upload_id = r.text.split("<UploadId>")[1].split("</UploadId>")[0] if "<UploadId>" in r.text else None
        if upload_id is None:
            rec["bad"] = "no UploadId in CreateMultipartUpload's answer"
            return
        parts = [rng.randbytes(5 * 1024 * 1024), rng.randbytes(1234)]
        etags = []
        for n, p in enumerate(parts, 1):
            r, _ = do(sess, idx, rng, "mpu-part", "PUT", bucket, key, origin, body=p,
                   query=f"partNumber={n}&uploadId={upload_id}")
            if r is None or r.status_code != 200:
                return
            etags.append(r.headers.get("ETag"))
        xml = "<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags, 1)
        ) + "</CompleteMultipartUpload>"
        r, _ = do(sess, idx, rng, "mpu-complete", "POST", bucket, key, origin, body=xml.encode(),
               query=f"uploadId={upload_id}")
        if r is None or r.status_code != 200:
            return
        want = '"' + hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f'-{len(parts)}"'
        uploads.append((bucket, key, b"".join(parts), want))

    def worker(idx: int, count: int, paced: bool) -> None:
        rng = random.Random(1000 + idx + (0 if paced else 500))
        sess = session()
        mine: list[tuple[str, str, bytes]] = []
        phase = "" if paced else "b"  # distinct keys in the burst
        try:
            for n in range(count):
                if paced:  # spread the requests over the configuration changes
                    with cond:
                        cond.wait_for(lambda: done.is_set() or progress[0] * count >= n * steps,
                                      timeout=max(0.0, deadline - time.monotonic()))
                if time.monotonic() > deadline:
                    break
                if paced and idx < multipart and n == 3:
                    multipart_upload(sess, idx, rng, bucket_a)
                    continue
                bucket = bucket_a if rng.random() < 0.6 else bucket_b
                origin = rng.choice(ORIGINS)
                x = rng.random()
                if x < 0.40:  # preflight, object or bucket URL
                    key = "" if rng.random() < 0.2 else rng.choice(["seed/1", "missing/x", f"up/{phase}{idx}-{n}"])
                    do(sess, idx, rng, "preflight", "OPTIONS", bucket, key,
                       origin if rng.random() < 0.95 else None,
                       rng.choice(ACRMS) if rng.random() < 0.97 else None, rng.choice(ACRHS))
                elif x < 0.62:  # anonymous GET of a seed
                    key = f"seed/{rng.randrange(8)}"
                    r, rec = do(sess, idx, rng, "get-seed", "GET", bucket, key, origin)
                    if r is not None and r.status_code == 200 and r.content != seeds[(bucket, key)]:
                        rec["bad"] = "seed object content differs"
                elif x < 0.67:
                    key = f"seed/{rng.randrange(8)}"
                    do(sess, idx, rng, "head-seed", "HEAD", bucket, key, origin)
                elif x < 0.75:  # a missing key
                    do(sess, idx, rng, "get-missing", "GET", bucket, f"missing/{phase}{idx}-{n}", origin)
                elif x < 0.93:  # upload
                    key = f"up/{phase}{idx}-{n}"
                    data = rng.randbytes(rng.randrange(0, 4096))
                    r, _ = do(sess, idx, rng, "put", "PUT", bucket, key, origin, body=data,
                           extra={"Content-Type": "application/octet-stream", **public_read})
                    if r is not None and r.status_code == 200:
                        mine.append((bucket, key, data))
                        uploads.append((bucket, key, data, r.headers.get("ETag")))
                elif x < 0.97 and mine:  # download one of this thread's uploads
                    b, key, data = rng.choice(mine)
                    # the bucket decides the version; keep the request on the object's bucket
                    r, rec = do(sess, idx, rng, "get-own", "GET", b, key, origin)
                    if r is not None and r.status_code == 200 and r.content != data:
                        rec["bad"] = "downloaded bytes differ from the upload"
                else:  # ListObjects (anonymous, public bucket)
                    do(sess, idx, rng, "list", "GET", bucket, "", origin)
        finally:
            sess.close()

    ch = threading.Thread(target=changer, name="changer")
    workers = [threading.Thread(target=worker, args=(i, per_thread, True), name=f"w{i}") for i in range(threads)]
    ch.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=max(1.0, deadline + 15 - time.monotonic()))
    done.set()
    ch.join(timeout=30)
    elapsed = time.monotonic() - t_start
    assert not ch.is_alive() and not any(w.is_alive() for w in workers), "load threads did not finish"
    mixed = len(records)

    # A short unpaced burst of the same mix, configurations settled: the throughput figure.
    t_burst = time.monotonic()
    deadline = t_burst + 15
    burst = [threading.Thread(target=worker, args=(i, burst_per_thread, False), name=f"b{i}") for i in range(threads)]
    for w in burst:
        w.start()
    for w in burst:
        w.join(timeout=30)
    burst_elapsed = time.monotonic() - t_burst
    assert not any(w.is_alive() for w in burst), "burst threads did not finish"

    # ---- latency report (printed, never asserted)
    def report(name: str, recs: list[dict], secs: float) -> None:
        lats = sorted(r["lat"] for r in recs if r["lat"] is not None)
        by_kind: dict[str, int] = {}
        for r in recs:
            by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
        print(f"\n[load {profile}] {name}: {len(recs)} requests in {secs:.1f} s from {threads} threads: "
              f"{len(recs) / secs:.0f} req/s, p50 {percentile(lats, 0.5) * 1000:.1f} ms, "
              f"p99 {percentile(lats, 0.99) * 1000:.1f} ms; {by_kind}")

    report(f"paced over {progress[0]} configuration changes", records[:mixed], elapsed)
    report("unpaced burst", records[mixed:], burst_elapsed)

    # ---- assertions
    failures: list[str] = list(problems)

    def fail(msg: str) -> None:
        if len(failures) < 400:
            failures.append(msg)

    def describe(r: dict) -> str:
        host = f"Host {r['bucket']}.localhost" if r["vhost"] else f"/{r['bucket']}"
        return (f"{r['method']} {host}/{r['key']} Origin={r['origin']!r} ACRM={r['acrm']!r} "
                f"ACRH={r['acrh']!r} -> {r['status']} {VERSION}={r['version']!r}")

    assert len(records) >= threads * 10, f"too few requests ran: {len(records)}"
    to_eval: dict[int, list[tuple]] = {}
    for r in records:
        if r["error"]:
            fail(f"no answer: {describe(r)}: {r['error']}")
            continue
        if r["status"] >= 500:
            fail(f"5xx: {describe(r)}")
        if r.get("bad"):
            fail(f"{r['bad']}: {describe(r)}")
        if r["version"] is None:
            fail(f"no {VERSION} header: {describe(r)}")
            continue
        d = known[r["bucket"]].get(r["version"])
        if d is None:
            fail(f"version never installed on {r['bucket']} (known {sorted(known[r['bucket']])}): {describe(r)}")
            continue
        r["doc"] = d
        to_eval.setdefault(d, []).append((r["method"], r["origin"], r["acrm"], r["acrh"], r["target"]))
        want_status = {"get-seed": 200, "head-seed": 200, "get-missing": 404, "put": 200, "get-own": 200,
                       "list": 200, "mpu-create": 200, "mpu-part": 200, "mpu-complete": 200}.get(r["kind"])
        if want_status is not None and r["status"] != want_status:
            fail(f"expected {want_status}: {describe(r)}")

    answers: dict[tuple[int, tuple], dict] = {}
    for d, reqs in to_eval.items():
        uniq = sorted(set(reqs), key=repr)
        for req, res in zip(uniq, eval_many(docs_xml[d], profile, uniq)):
            answers[(d, req)] = res
    compared = 0
    for r in records:
        if "doc" not in r:
            continue
        res = answers[(r["doc"], (r["method"], r["origin"], r["acrm"], r["acrh"], r["target"]))]
        compared += 1
        if r["method"] == "OPTIONS" and res["status"] != r["status"]:
            fail(f"preflight status {r['status']}, eval says {res['status']} (doc {r['doc']}): {describe(r)}")
        if r["cors"] != expected_headers(res):
            fail(f"CORS headers differ (doc {r['doc']}): {describe(r)}\n    got  {r['cors']}\n"
                 f"    eval {expected_headers(res)}")

    # Uploads acknowledged with 200 read back with the same bytes (and ETag).
    s = session()
    for bucket, key, data, etag in uploads:
        try:
            g = s.get(f"{srv.endpoint}/{bucket}/{key}", timeout=TIMEOUT)
        except requests.RequestException as e:
            fail(f"read-back of {bucket}/{key}: {e!r}")
            continue
        if g.status_code != 200 or g.content != data:
            fail(f"acknowledged upload {bucket}/{key} ({len(data)} B) reads back as {g.status_code}, "
                 f"{len(g.content)} B, equal={g.content == data}")
        want = etag if etag is not None else etag_of(data)
        if key.startswith("up/") and (etag or "").lower() != etag_of(data):
            fail(f"PUT {bucket}/{key}: ETag {etag!r}, want {etag_of(data)}")
        if (g.headers.get("ETag") or "").lower() != want.lower():
            fail(f"GET {bucket}/{key}: ETag {g.headers.get('ETag')!r}, want {want}")
    if multipart:
        mpus = [u for u in uploads if u[1].startswith("mpu/")]
        if len(mpus) != multipart:
            fail(f"{multipart} multipart uploads started, {len(mpus)} completed")

    versions_a = {r["version"] for r in records if r["bucket"] == bucket_a}
    versions_b = {r["version"] for r in records if r["bucket"] == bucket_b}
    print(f"[load {profile}] compared {compared} CORS answers with eval; {len(uploads)} uploads read back; "
          f"{len(versions_a)} versions seen on {bucket_a}, {len(versions_b)} on {bucket_b}")
    assert not failures, f"{len(failures)} disagreements (first 40):\n" + "\n".join(failures[:40])
    # The requests really did overlap the changes.
    assert len(versions_a) >= 5 and len(versions_b) >= 3, (versions_a, versions_b)


def test_load_s3(tmp_path: Path) -> None:
    run_load(tmp_path, "s3", threads=24, per_thread=170, steps=100, multipart=3, budget=45, burst_per_thread=40)


def test_load_oss(tmp_path: Path) -> None:
    run_load(tmp_path, "oss", threads=12, per_thread=90, steps=30, multipart=0, budget=20, burst_per_thread=40)


# ---------------------------------------------------------------------------------------------
# --data DIR and kill -9.
# ---------------------------------------------------------------------------------------------


def test_kill9_keeps_acknowledged_writes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    bucket = "durable"
    doc_xml = render(DOCS[2], "s3")
    srv = Serve("--profile", "s3", "--data", str(data_dir))
    acked: list[tuple[str, bytes, str | None]] = []
    unknown: list[tuple[str, bytes]] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        s3 = s3client(srv.endpoint)
        s3.create_bucket(Bucket=bucket, ACL="public-read-write")
        resp = s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=to_boto(DOCS[2]))
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200

        def uploader(idx: int) -> None:
            rng = random.Random(500 + idx)
            sess = session()
            for n in range(80):
                if stop.is_set():
                    return
                key = f"k/{idx}/{n}"
                size = rng.choice([0, 1, 100, 4096, 65536, 300_000]) + rng.randrange(50)
                data = rng.randbytes(size)
                try:
                    r = sess.put(f"{srv.endpoint}/{bucket}/{key}", data=data, headers=PUBLIC_READ["s3"], timeout=TIMEOUT)
                except requests.RequestException:
                    with lock:
                        unknown.append((key, data))
                    return  # the server is gone
                with lock:
                    if r.status_code == 200:
                        acked.append((key, data, r.headers.get("ETag")))
                    else:
                        unknown.append((key, data))

        threads = [threading.Thread(target=uploader, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        t_end = time.monotonic() + 15
        while time.monotonic() < t_end:
            with lock:
                if len(acked) >= 150:
                    break
            time.sleep(0.01)
        srv.kill9()  # in the middle of the uploads
        stop.set()
        for t in threads:
            t.join(timeout=40)
        assert not any(t.is_alive() for t in threads)
    finally:
        srv.stop()
    assert len(acked) >= 20, f"only {len(acked)} uploads acknowledged before kill -9"

    srv2 = Serve("--profile", "s3", "--data", str(data_dir))
    try:
        s3 = s3client(srv2.endpoint)
        assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
        g = Owner(srv2.endpoint).get_cors(bucket)
        assert g.status_code == 200, (g.status_code, g.text)
        assert canon(g.content, "s3") == canon(doc_xml, "s3"), g.text
        assert g.headers.get(VERSION), f"GetBucketCors after restart has no {VERSION}"
        sess = session()
        lost = []
        for key, data, etag in acked:
            r = sess.get(f"{srv2.endpoint}/{bucket}/{key}", timeout=TIMEOUT)  # anonymous: the ACL survived
            if r.status_code != 200 or r.content != data:
                lost.append(f"{key}: {r.status_code}, {len(r.content)} of {len(data)} B, equal={r.content == data}")
            elif (r.headers.get("ETag") or "").lower() != (etag or "").lower() or (etag or "").lower() != etag_of(data):
                lost.append(f"{key}: ETag after restart {r.headers.get('ETag')!r}, at PUT {etag!r}, md5 {etag_of(data)}")
        torn = []
        for key, data in unknown:  # not acknowledged: absent, or whole
            r = sess.get(f"{srv2.endpoint}/{bucket}/{key}", timeout=TIMEOUT)
            if r.status_code == 200 and r.content != data:
                torn.append(f"{key}: {len(r.content)} of {len(data)} B")
            elif r.status_code not in (200, 404):
                torn.append(f"{key}: {r.status_code} {r.text[:200]}")
        listed = set()
        token = None
        for _ in range(100):
            kw = {"Bucket": bucket, "MaxKeys": 1000}
            if token:
                kw["ContinuationToken"] = token
            page = s3.list_objects_v2(**kw)
            listed |= {o["Key"] for o in page.get("Contents", [])}
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated"):
                break
        missing_from_list = [k for k, _, _ in acked if k not in listed]
        print(f"\n[kill -9] {len(acked)} acknowledged, {len(unknown)} in flight; lost {len(lost)}, "
              f"torn {len(torn)}, missing from ListObjectsV2 {len(missing_from_list)}")
        assert not lost, "acknowledged writes lost after kill -9:\n" + "\n".join(lost[:20])
        assert not torn, "unacknowledged writes stored partially:\n" + "\n".join(torn[:20])
        assert not missing_from_list, missing_from_list[:20]
        assert srv2.proc.poll() is None
    finally:
        srv2.stop()


# ---------------------------------------------------------------------------------------------
# --bucket NAME=FILE: PutBucketCors and DeleteBucketCors rewrite the file; kill -9 right after.
# ---------------------------------------------------------------------------------------------


def test_put_bucket_cors_rewrites_the_file_before_answering(tmp_path: Path) -> None:
    cors_file = tmp_path / "fb.xml"
    write_atomically(cors_file, render(DOCS[0], "s3"))
    args = ("--profile", "s3", "--bucket", f"filebucket={cors_file}")
    srv = Serve(*args)
    try:
        resp = s3client(srv.endpoint).put_bucket_cors(Bucket="filebucket", CORSConfiguration=to_boto(DOCS[3]))
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
        v = resp["ResponseMetadata"]["HTTPHeaders"].get(VERSION)
        assert v, f"PutBucketCors answered without {VERSION}"
        srv.kill9()  # the 200 promised the file
    finally:
        srv.stop()
    assert canon(cors_file.read_bytes(), "s3") == canon(render(DOCS[3], "s3"), "s3"), cors_file.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fb.xml"], list(tmp_path.iterdir())

    srv = Serve(*args)
    try:
        owner = Owner(srv.endpoint)
        g = owner.get_cors("filebucket")
        assert g.status_code == 200 and canon(g.content, "s3") == canon(render(DOCS[3], "s3"), "s3"), g.text
        r = owner.request("DELETE", "/filebucket", "cors")
        assert r.status_code == 204, (r.status_code, r.text)
        g = owner.get_cors("filebucket")
        assert (g.status_code, "NoSuchCORSConfiguration" in g.text) == (404, True), (g.status_code, g.text)
        srv.kill9()
    finally:
        srv.stop()
    srv = Serve(*args)
    try:
        g = Owner(srv.endpoint).get_cors("filebucket")
        assert (g.status_code, "NoSuchCORSConfiguration" in g.text) == (404, True), \
            f"DeleteBucketCors did not survive a restart: {g.status_code} {g.text[:300]}; file: {cors_file.read_bytes()[:300]!r}"
        r = requests.options(f"{srv.endpoint}/filebucket/k", timeout=TIMEOUT,
                             headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
        assert r.status_code == 403, (r.status_code, r.text)
    finally:
        srv.stop()


def test_versions_on_a_file_bucket_and_concurrent_puts(tmp_path: Path) -> None:
    """PutBucketCors on a `--bucket NAME=FILE` bucket installs one version: the server's own
    rewrite of FILE is not reloaded as another one. A hand edit is a new version. Concurrent
    PutBucketCors calls each get their own version, and the last one installed is served."""
    cors_file = tmp_path / "vb.xml"
    write_atomically(cors_file, render(DOCS[0], "s3"))
    srv = Serve("--profile", "s3", "--bucket", f"versioned={cors_file}")
    try:
        s3 = s3client(srv.endpoint)
        owner = Owner(srv.endpoint)
        resp = s3.put_bucket_cors(Bucket="versioned", CORSConfiguration=to_boto(DOCS[4]))
        v = resp["ResponseMetadata"]["HTTPHeaders"].get(VERSION)
        assert v, resp["ResponseMetadata"]
        seen = set()
        sess = session()
        t_end = time.monotonic() + 1.6  # three polls of the file
        while time.monotonic() < t_end:
            r = sess.options(f"{srv.endpoint}/versioned/k", timeout=TIMEOUT,
                             headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
            seen.add(r.headers.get(VERSION))
            time.sleep(0.05)
        g = owner.get_cors("versioned")
        assert seen == {v} and g.headers.get(VERSION) == v, \
            f"PutBucketCors installed v{v}; then preflights saw {seen} and GetBucketCors v{g.headers.get(VERSION)}"
        # a hand edit is a new version
        write_atomically(cors_file, render(DOCS[1], "s3"))
        v2 = None
        for _ in range(100):
            g = owner.get_cors("versioned")
            if canon(g.content, "s3") == canon(render(DOCS[1], "s3"), "s3"):
                v2 = g.headers.get(VERSION)
                break
            time.sleep(0.05)
        assert v2 is not None and v2 != v, f"the hand edit was not served as a new version ({v} -> {v2})"

        # concurrent PutBucketCors: distinct versions; the one served is one of them, and its document
        results: list[tuple[str | None, int]] = []
        lock = threading.Lock()

        def putter(i: int) -> None:
            c = s3client(srv.endpoint)
            for j in range(5):
                d = (i + j) % len(DOCS)
                r = c.put_bucket_cors(Bucket="versioned", CORSConfiguration=to_boto(DOCS[d]))
                with lock:
                    results.append((r["ResponseMetadata"]["HTTPHeaders"].get(VERSION), d))

        threads = [threading.Thread(target=putter, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        versions = [x for x, _ in results]
        assert None not in versions and len(set(versions)) == len(versions) == 30, results
        time.sleep(1.2)  # let the file poller run: it must not add a version
        g = owner.get_cors("versioned")
        by_version = dict(results)
        gv = g.headers.get(VERSION)
        assert gv in by_version, f"GetBucketCors v{gv} is none of the 30 PutBucketCors versions {sorted(by_version)}"
        assert canon(g.content, "s3") == canon(render(DOCS[by_version[gv]], "s3"), "s3"), g.text
        assert canon(cors_file.read_bytes(), "s3") == canon(g.content, "s3"), "FILE and the served document differ"
    finally:
        srv.stop()
