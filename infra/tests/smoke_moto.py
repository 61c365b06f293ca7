#!/usr/bin/env python3
"""Deploy smoke test against moto's server on loopback.

Usage: smoke_moto.py TRANSLATED_TEMPLATE.json

Starts `moto_server -H 127.0.0.1 -p PORT` (a free port), builds a reduced CloudFormation template from
the translated template -- the registrations table, the site bucket, the function's role and what
they reference (the function's log group, the origin secret) -- creates a stack from it in moto's
CloudFormation, and checks the created resources with boto3 against handler/table-schema.json. moto
skips CloudFront, Lambda code and bucket policies, so those stay out of the reduced template. moto's
CloudFormation has no AWS::SecretsManager::Secret: the secret is made with moto's Secrets Manager API
as the template describes it (GenerateSecretString) and passed in as a parameter of the same name.
It also walks through phase 1 of a rotation as deploy.sh does it, with deploy.sh's own queries.
moto is stopped at the end, also on failure. Only 127.0.0.1 is contacted; credentials are dummies.

Prints one line per check and "smoke: N passed, M failed"; exit status 1 on any failure.
"""
import ast
import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMA = json.loads((ROOT / "handler" / "table-schema.json").read_text(encoding="utf-8"))
REGION = "eu-central-1"
CORE_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket")
# Types moto's CloudFormation cannot create: made through their own API and passed in as parameters.
AS_PARAMETERS = ("AWS::SecretsManager::Secret",)

for var, value in {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
}.items():
    os.environ[var] = value
os.environ.pop("AWS_PROFILE", None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

RESULTS = {"passed": 0, "failed": 0}


def check(name, fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - report every failure and go on
        RESULTS["failed"] += 1
        print(f"  FAIL {name}: {type(exc).__name__}: {exc}")
    else:
        RESULTS["passed"] += 1
        print(f"  ok   {name}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def references(value):
    """Logical ids referenced by Ref, Fn::GetAtt and ${...} in Fn::Sub."""
    found = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else inner.split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                for part in text.split("${")[1:]:
                    found.add(part.split("}")[0].split(".")[0])
                if isinstance(inner, list):
                    found |= references(inner[1])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def reduced_template(cfn):
    """Core resources (table, bucket, the Lambda function's role) plus the resources they reference."""
    resources = cfn["Resources"]
    wanted = {name for name, res in resources.items() if res["Type"] in CORE_TYPES}
    for res in resources.values():
        if res["Type"] == "AWS::Lambda::Function":
            wanted |= references(res["Properties"]["Role"])
    todo = list(wanted)
    while todo:
        name = todo.pop()
        res = resources[name]
        for ref in references(res) | set(res.get("DependsOn", [])):
            if ref in resources and ref not in wanted:
                wanted.add(ref)
                todo.append(ref)
    out = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "infra smoke test: core resources extracted from infra/template.yaml",
        "Parameters": copy.deepcopy(cfn.get("Parameters", {})),
        "Conditions": copy.deepcopy(cfn.get("Conditions", {})),
        "Resources": {name: copy.deepcopy(resources[name]) for name in sorted(wanted)},
    }
    for res in out["Resources"].values():
        res.pop("Metadata", None)
    out["Outside"] = {}
    for name in [n for n, r in out["Resources"].items() if r["Type"] in AS_PARAMETERS]:
        out["Outside"][name] = out["Resources"].pop(name)
        out["Parameters"][name] = {"Type": "String", "Description": f"{name}, made outside the stack"}
    return out


def wait_for(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("moto_server did not answer in time")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    cfn = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    template = reduced_template(cfn)
    print(f"smoke: reduced template has {sorted(template['Resources'])}, "
          f"parameters for {sorted(template['Outside'])}")

    moto = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)
    proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(port, proc)
        run_checks(port, template)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if RESULTS["failed"]:
            print(f"smoke: moto log kept in {log.name}")
        else:
            os.unlink(log.name)

    print(f"smoke: {RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


def run_checks(port, template):
    cfg = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30)

    def client(service):
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION, config=cfg)

    cf, ddb, s3, iam = client("cloudformation"), client("dynamodb"), client("s3"), client("iam")
    sm = client("secretsmanager")
    stack = "opp-site-smoke"
    state = {}
    outside = template.pop("Outside")

    def make_secrets():
        (name,) = outside  # the origin secret, referenced by the function's role
        props = outside[name]["Properties"]
        gen = props["GenerateSecretString"]
        value = sm.get_random_password(
            PasswordLength=gen["PasswordLength"], ExcludePunctuation=gen["ExcludePunctuation"],
            IncludeSpace=gen["IncludeSpace"], RequireEachIncludedType=gen["RequireEachIncludedType"],
        )["RandomPassword"]
        assert re.fullmatch(r"[A-Za-z0-9]{48}", value), "48 letters and digits, fit for an HTTP header"
        arn = sm.create_secret(Name=f"{stack}-origin-verify", SecretString=value)["ARN"]
        state["secret"] = (name, arn, value)

    check("origin secret made as GenerateSecretString says (48 letters and digits)", make_secrets)
    if RESULTS["failed"]:
        return

    def create_stack():
        name, arn, _ = state["secret"]
        cf.create_stack(
            StackName=stack,
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": name, "ParameterValue": arn},
                        {"ParameterKey": "Stage", "ParameterValue": "test"}],
            Capabilities=["CAPABILITY_IAM"],
        )
        deadline = time.monotonic() + 60
        while True:
            status = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
            if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status == "CREATE_COMPLETE", status
        for r in cf.describe_stack_resources(StackName=stack)["StackResources"]:
            state[r["ResourceType"]] = state.get(r["ResourceType"], []) + [r["PhysicalResourceId"]]
        outputs = {r["LogicalResourceId"] for r in cf.describe_stack_resources(StackName=stack)["StackResources"]}
        assert outputs == set(template["Resources"]), outputs

    check("create stack from the reduced template (CREATE_COMPLETE)", create_stack)
    if RESULTS["failed"]:
        return

    def table():
        (name,) = state["AWS::DynamoDB::Table"]
        t = ddb.describe_table(TableName=name)["Table"]
        state["table"] = t
        return t

    def table_keys():
        t = table()
        assert t["KeySchema"] == [{"AttributeName": SCHEMA["partition_key"], "KeyType": "HASH"},
                                  {"AttributeName": SCHEMA["sort_key"], "KeyType": "RANGE"}], t["KeySchema"]

    def table_gsi():
        t = state.get("table") or table()
        (gsi,) = t["GlobalSecondaryIndexes"]
        assert gsi["IndexName"] == SCHEMA["email_index"]["name"]
        assert gsi["KeySchema"] == [{"AttributeName": SCHEMA["email_index"]["partition_key"], "KeyType": "HASH"}]
        assert gsi["Projection"]["ProjectionType"] == SCHEMA["email_index"]["projection"]

    def table_billing():
        t = state.get("table") or table()
        assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    def table_query_index():
        t = state.get("table") or table()
        ddb.put_item(TableName=t["TableName"], Item={
            SCHEMA["partition_key"]: {"S": "MEETING#smoke"}, SCHEMA["sort_key"]: {"S": "REG#1"},
            SCHEMA["email_index"]["partition_key"]: {"S": "a@example.org"}})
        items = ddb.query(TableName=t["TableName"], IndexName=SCHEMA["email_index"]["name"],
                          KeyConditionExpression="#e = :e",
                          ExpressionAttributeNames={"#e": SCHEMA["email_index"]["partition_key"]},
                          ExpressionAttributeValues={":e": {"S": "a@example.org"}})["Items"]
        assert len(items) == 1, items

    # moto's CloudFormation applies only BucketEncryption and Tags of an S3 bucket (not public access
    # block, versioning or ownership controls); test_template.py checks those in the template.
    def bucket():
        (name,) = state["AWS::S3::Bucket"]
        s3.head_bucket(Bucket=name)
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
        assert tags == {"Project": "landelijk-opp", "Environment": "test"}, tags
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")

    def role():
        (name,) = state["AWS::IAM::Role"]
        r = iam.get_role(RoleName=name)["Role"]
        principal = r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Service": "lambda.amazonaws.com"}, principal
        actions = set()
        secret_statements = []
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            if isinstance(doc, str):
                # moto returns inline policies created by CloudFormation as a Python repr
                doc = json.loads(doc) if doc.lstrip().startswith('{"') else ast.literal_eval(doc)
            for st in doc["Statement"]:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                actions |= {a for a in acts if a.startswith("dynamodb:")}
                res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                assert all("*" not in x or x.endswith(":*") and ":log-group:" in x for x in res), res
                assert not any("/index/" in x for x in res), res
                if any(a.startswith("secretsmanager:") for a in acts):
                    secret_statements.append((acts, res))
        assert actions == set(SCHEMA["iam_actions"]), actions
        _, arn, _ = state["secret"]
        assert secret_statements == [(["secretsmanager:GetSecretValue"], [arn])], secret_statements
        assert not iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]

    check("table key schema matches handler/table-schema.json", table_keys)
    check("table has GSI email-index (email, KEYS_ONLY)", table_gsi)
    check("table is PAY_PER_REQUEST", table_billing)
    check("table answers a Query on email-index", table_query_index)
    check("site bucket exists, encrypted, tagged", bucket)
    check("function role: exactly the schema's DynamoDB actions, GetSecretValue on the origin secret only", role)

    # Phase 1 of a rotation, as infra/deploy.sh does it, with deploy.sh's own JMESPath queries: the
    # new value becomes AWSCURRENT, the old one AWSPREVIOUS (both readable with GetSecretValue, which
    # is what the function does), and the pending check sees the pinned version is no longer current.
    def rotation_phase_1():
        import jmespath
        script = (ROOT / "infra" / "deploy.sh").read_text(encoding="utf-8")
        (query,) = re.findall(r'--query "(Versions\[\?contains\(VersionStages, \'\$2\'\)\]\.VersionId \| \[0\])"',
                              script)
        versions = lambda: sm.list_secret_version_ids(SecretId=arn)  # noqa: E731
        stage = lambda label: jmespath.search(query.replace("$2", label), versions())  # noqa: E731
        _, arn, old_value = state["secret"]
        pinned = stage("AWSCURRENT")
        assert pinned and stage("AWSPREVIOUS") is None
        new_version = sm.put_secret_value(SecretId=arn, SecretString="n" * 64)["VersionId"]
        assert stage("AWSCURRENT") == new_version != pinned
        assert stage("AWSPREVIOUS") == pinned
        read = lambda label: sm.get_secret_value(SecretId=arn, VersionStage=label)["SecretString"]  # noqa: E731
        assert (read("AWSCURRENT"), read("AWSPREVIOUS")) == ("n" * 64, old_value)

    check("rotation phase 1: new AWSCURRENT, old AWSPREVIOUS, deploy.sh's queries find both", rotation_phase_1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
