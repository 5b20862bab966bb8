"""corsmatch's readers against the real tools (run by core/tests/tools/run-tests.sh).

- botocore (the AWS CLI's parameter validation): for each CLI JSON below, botocore's
  ParamValidationError message must be the message `corsmatch check` names as the AWS CLI's,
  and a valid one must be accepted by both, botocore sending the rules corsmatch reads.
- cfn-lint: the kept templates pass; each broken template below fails cfn-lint with an error
  on the line `corsmatch check` reports.
"""
import json
import os
import subprocess
import sys
import tempfile

import botocore.session
from botocore.exceptions import ParamValidationError

CORSMATCH = os.environ["CORSMATCH_BIN"]
DATA = os.path.join(os.path.dirname(__file__), "..", "data", "formats")
failures = []
passed = 0


def check(path, *extra):
    out = subprocess.run([CORSMATCH, "check", "--config", path, *extra], capture_output=True, text=True)
    return out.returncode, (json.loads(out.stdout) if out.stdout.strip() else None), out.stderr


def write(suffix, text):
    f = tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False)
    f.write(text)
    f.close()
    return f.name


# --- botocore ---------------------------------------------------------------------------
client = botocore.session.get_session().create_client(
    "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
)
sent = {}


def capture(request, **_):
    sent["body"] = request.body
    raise RuntimeError("captured")  # never sent


client.meta.events.register("before-send.s3.PutBucketCors", capture)

CLI_CASES = [
    {"CORSRules": [{"AllowedOrigin": ["*"], "AllowedMethods": "GET", "MaxAgeSeconds": "600"}]},
    {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", 5], "ID": None}]},
    {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 6.5, "Extra": {"a": [1, True]}}]},
    {"CORSRules": {"AllowedOrigins": ["*"]}},
    {"CORSRule": []},
    {"CORSRules": [["*"]]},
    {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]},
]
for case in CLI_CASES:
    path = write(".json", json.dumps(case))
    code, out, err = check(path, "--from", "cli-json")
    try:
        client.put_bucket_cors(Bucket="b", CORSConfiguration=case)
        boto = None
    except ParamValidationError as e:
        boto = str(e)
    except RuntimeError:
        boto = None
    if boto is None:
        ok = code == 0 and b"<AllowedOrigin>*</AllowedOrigin>" in sent.get("body", b"")
        rules = out["rules"] if out else None
        ok = ok and rules and rules[0]["allowed_methods"] == case["CORSRules"][0]["AllowedMethods"]
    else:
        ok = code == 1 and out and out.get("refused_by") == "AWS CLI" and out.get("message") == boto
    if ok:
        passed += 1
    else:
        failures.append(f"botocore {case}: botocore {boto!r}, corsmatch {code} {out} {err}")

# --- cfn-lint ---------------------------------------------------------------------------
def cfn_lint(path):
    out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "cfn-lint"), "--format", "json", path], capture_output=True, text=True)
    return [m for m in json.loads(out.stdout or "[]") if m["Level"] == "Error"]


for kept in ["template.yaml", "template.flipped.json"]:
    errors = cfn_lint(os.path.join(DATA, kept))
    if errors:
        failures.append(f"cfn-lint {kept}: {errors}")
    else:
        passed += 1

TEMPLATE = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      CorsConfiguration:\n        CorsRules:\n          - AllowedOrigins: ['*']\n{rule}"
BROKEN = [
    "            AllowedMethods: [GET, FETCH]\n",
    "            AllowedMethods: [GET, GET]\n",
    "            AllowedMethods: [GET]\n            MaxAge: -1\n",
    "            AllowedMethods: [GET]\n            ExposeHeaders: [ETag]\n",
    "            AllowedMethods: [GET]\n            Id: " + "x" * 300 + "\n",
    "            AllowedHeaders: ['*']\n",
]
for rule in BROKEN:
    path = write(".yaml", TEMPLATE.format(rule=rule))
    code, out, _ = check(path)
    errors = cfn_lint(path)
    line = (out or {}).get("at", {}).get("line")
    lines = {e["Location"]["Start"]["LineNumber"] for e in errors}
    if code == 1 and out.get("refused_by") == "CloudFormation" and errors and line in lines | {l - 1 for l in lines} | {l + 1 for l in lines}:
        passed += 1
    else:
        failures.append(f"cfn-lint {rule!r}: corsmatch {code} {out}, cfn-lint {[(e['Rule']['Id'], e['Location']['Start']['LineNumber']) for e in errors]}")

for f in failures:
    print("FAIL", f)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
