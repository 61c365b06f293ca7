#!/usr/bin/env python3
"""Deploy smoke test against moto's server on loopback.

Usage: smoke_moto.py TRANSLATED_TEMPLATE.json

Starts `moto_server -H 127.0.0.1 -p PORT` (a free port), builds a reduced CloudFormation template from
the translated template -- the registrations table, the site bucket, the two functions' roles and what
they reference (their log groups, the mailer's failure queue, the secrets, the SES configuration set)
-- creates a stack from it in moto's CloudFormation, and checks the created resources with boto3
against store/table-schema.json and the mailer's grants. moto skips CloudFront, Lambda code and
bucket policies, so those stay out of the reduced template. moto's CloudFormation has no
AWS::SecretsManager::Secret and no AWS::SES::ConfigurationSet: those are made with moto's own APIs as
the template describes them (GenerateSecretString) and passed in as parameters of the same name.
The SES identity, the schedule, the EventBridge rule and the event source mapping are checked on the
translated template (test_template.py) only. It also walks through phase 1 of an origin secret
rotation as deploy.sh does it, with deploy.sh's own queries, and reads a write back from the table's
stream, as the mailer gets it. moto is stopped at the end, also on failure. Only 127.0.0.1 is
contacted; credentials are dummies.

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
SCHEMA = json.loads((ROOT / "store" / "table-schema.json").read_text(encoding="utf-8"))
REGION = "eu-central-1"
CORE_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket")
# Types moto's CloudFormation cannot create: made through their own API and passed in as parameters.
AS_PARAMETERS = ("AWS::SecretsManager::Secret", "AWS::SES::ConfigurationSet")
HANDLER_ROLE, MAILER_ROLE = "RegistrationFunctionRole", "MailerFunctionRole"
# The stack's parameters besides those made outside it; everything else takes its default.
SMOKE_PARAMETERS = {"Stage": "test"}
# A second stack with a custom domain: the mailer may then send as that domain's SES identity.
DOMAIN_PARAMETERS = {**SMOKE_PARAMETERS, "DomainName": "opp.example.nl",
                     "AcmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111"}
# What the mailer may do on the table, its index and its stream (test_template.py checks the same).
MAILER_TABLE_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams"}

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


def condition_value(cfn, name, parameters):
    """A condition of the template, evaluated with the parameters' values (their defaults unless given)."""

    def value(expr):
        if isinstance(expr, dict):
            (fn, arg), = expr.items()
            if fn == "Ref":
                return parameters.get(arg, cfn["Parameters"][arg].get("Default"))
            if fn == "Condition":
                return value(cfn["Conditions"][arg])
            if fn == "Fn::Not":
                return not value(arg[0])
            if fn == "Fn::And":
                return all(value(a) for a in arg)
            if fn == "Fn::Or":
                return any(value(a) for a in arg)
            if fn == "Fn::Equals":
                return str(value(arg[0])) == str(value(arg[1]))
            raise ValueError(f"condition function {fn} not handled")
        return expr

    return value(cfn["Conditions"][name])


def resolve_policy_conditions(cfn, role, parameters):
    """moto's IAM role cannot take AWS::NoValue in Policies: resolve each Fn::If entry there as
    CloudFormation would, with the smoke stack's parameters (the defaults: no custom domain)."""
    policies = []
    for pol in role["Properties"].get("Policies", []):
        if isinstance(pol, dict) and "Fn::If" in pol:
            cond, when_true, when_false = pol["Fn::If"]
            pol = when_true if condition_value(cfn, cond, parameters) else when_false
            if pol == {"Ref": "AWS::NoValue"}:
                continue
        policies.append(pol)
    role["Properties"]["Policies"] = policies


def reduced_template(cfn, parameters=SMOKE_PARAMETERS):
    """Core resources (table, bucket, the Lambda functions' roles) plus the resources they reference."""
    resources = cfn["Resources"]

    def made(res):
        """Whether the stack makes the resource with these parameters: the back office and the editing screen
        exist only with their own domains, which the smoke stacks do not set."""
        return "Condition" not in res or condition_value(cfn, res["Condition"], parameters)

    wanted = {name for name, res in resources.items() if res["Type"] in CORE_TYPES and made(res)}
    for res in resources.values():
        if not made(res):
            continue
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
        if res["Type"] == "AWS::IAM::Role":
            resolve_policy_conditions(cfn, res, parameters)
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
        run_checks(port, template, cfn)
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


def run_checks(port, template, cfn):
    cfg = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30)

    def client(service):
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION, config=cfg)

    cf, ddb, s3, iam = client("cloudformation"), client("dynamodb"), client("s3"), client("iam")
    sm, sesv2, sqs = client("secretsmanager"), client("sesv2"), client("sqs")
    streams = client("dynamodbstreams")
    stack = "opp-site-smoke"
    state = {}
    outside = template.pop("Outside")

    def make_outside():
        for name, res in sorted(outside.items()):
            props = res.get("Properties", {})
            if res["Type"] == "AWS::SES::ConfigurationSet":
                sesv2.create_configuration_set(ConfigurationSetName=f"{stack}-mail")
                state.setdefault("outside", {})[name] = f"{stack}-mail"
                continue
            gen = props["GenerateSecretString"]
            value = sm.get_random_password(
                PasswordLength=gen["PasswordLength"], ExcludePunctuation=gen["ExcludePunctuation"],
                IncludeSpace=gen["IncludeSpace"], RequireEachIncludedType=gen.get("RequireEachIncludedType", False),
            )["RandomPassword"]
            if "GenerateStringKey" in gen:  # a JSON object: the template plus the generated key
                document = json.loads(gen["SecretStringTemplate"])
                document[gen["GenerateStringKey"]] = value
                value = json.dumps(document)
            arn = sm.create_secret(Name=f"{stack}-{name}", SecretString=value)["ARN"]
            state.setdefault("outside", {})[name] = arn
            state.setdefault("values", {})[name] = value
        assert set(state["outside"]) == {"OriginSecret", "LinkKeySecret", "MailConfigurationSet"}, state["outside"]
        origin = state["values"]["OriginSecret"]
        assert re.fullmatch(r"[A-Za-z0-9]{48}", origin), "48 letters and digits, fit for an HTTP header"
        state["secret"] = ("OriginSecret", state["outside"]["OriginSecret"], origin)

    def link_key_shape():
        ring = json.loads(state["values"]["LinkKeySecret"])
        assert set(ring) == {"current", "1"} and ring["current"] == 1, sorted(ring)
        assert re.fullmatch(r"[A-Za-z0-9]{64}", ring["1"]), "64 letters and digits (at least 32 needed)"

    check("secrets and configuration set made as the template says (origin secret: 48 letters and digits)",
          make_outside)
    if RESULTS["failed"]:
        return
    check('link key ring is {"current": 1, "1": <64 letters and digits>}', link_key_shape)

    def make_stack(name, body, values):
        """Creates the stack, waits for CREATE_COMPLETE; returns {logical id: (type, physical id)}."""
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in state["outside"].items()]
        cf.create_stack(
            StackName=name,
            TemplateBody=json.dumps(body),
            Parameters=parameters + [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        deadline = time.monotonic() + 60
        while True:
            status = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
            if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status == "CREATE_COMPLETE", status
        created = {r["LogicalResourceId"]: (r["ResourceType"], r["PhysicalResourceId"])
                   for r in cf.describe_stack_resources(StackName=name)["StackResources"]}
        assert set(created) == set(body["Resources"]), sorted(created)
        return created

    def create_stack():
        for logical, (rtype, physical) in make_stack(stack, template, SMOKE_PARAMETERS).items():
            state[rtype] = state.get(rtype, []) + [physical]
            state.setdefault("physical", {})[logical] = physical

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
        gsis = {g["IndexName"]: g for g in t["GlobalSecondaryIndexes"]}
        assert set(gsis) == {SCHEMA["email_index"]["name"], SCHEMA["check_in_index"]["name"]}, set(gsis)
        for index in (SCHEMA["email_index"], SCHEMA["check_in_index"]):
            gsi = gsis[index["name"]]
            assert gsi["KeySchema"] == [{"AttributeName": index["partition_key"], "KeyType": "HASH"}]
            assert gsi["Projection"]["ProjectionType"] == index["projection"]

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

    def role_statements(logical, physical=None):
        name = physical or state["physical"][logical]
        r = iam.get_role(RoleName=name)["Role"]
        principal = r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Service": "lambda.amazonaws.com"}, principal
        assert not iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        statements = []
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            if isinstance(doc, str):
                # moto returns inline policies created by CloudFormation as a Python repr
                doc = json.loads(doc) if doc.lstrip().startswith('{"') else ast.literal_eval(doc)
            for st in doc["Statement"]:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                assert st["Effect"] == "Allow" and "Condition" not in st, st
                assert all("*" not in x or x.endswith(":*") and ":log-group:" in x for x in res), res
                statements.append((acts, res))
        return statements

    def secret_reads(statements):
        """The resources of the statements with secretsmanager actions (each GetSecretValue alone)."""
        reads = []
        for acts, res in statements:
            if any(a.startswith("secretsmanager:") for a in acts):
                assert acts == ["secretsmanager:GetSecretValue"], acts
                reads.append(res)
        return sorted(reads)

    def role():
        statements = role_statements(HANDLER_ROLE)
        actions = {a for acts, _ in statements for a in acts if a.startswith("dynamodb:")}
        assert actions == set(SCHEMA["iam_actions"]), actions
        table_arn = state["table"]["TableArn"] if "table" in state else table()["TableArn"]
        for acts, res in statements:
            assert not any("/index/" in x or "/stream/" in x for x in res), res
            if any(a.startswith("dynamodb:") for a in acts):
                assert res == [table_arn], res
        outside = state["outside"]
        assert secret_reads(statements) == sorted([[outside["OriginSecret"]], [outside["LinkKeySecret"]]])

    def mailer_role():
        statements = role_statements(MAILER_ROLE)
        t = state.get("table") or table()
        by_resource = {}
        for acts, res in statements:
            for x in res:
                by_resource.setdefault(x, set()).update(acts)
        index_arn = f"{t['TableArn']}/index/{SCHEMA['email_index']['name']}"
        assert by_resource.pop(t["TableArn"]) == MAILER_TABLE_ACTIONS
        assert by_resource.pop(index_arn) == {"dynamodb:Query"}
        assert by_resource.pop(t["LatestStreamArn"]) == STREAM_ACTIONS
        assert by_resource.pop(state["outside"]["LinkKeySecret"]) == {"secretsmanager:GetSecretValue"}
        (queue_url,) = state["AWS::SQS::Queue"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert by_resource.pop(queue_arn) == {"sqs:SendMessage"}
        (log_group,) = [x for x in by_resource if ":log-group:" in x]
        assert log_group.endswith(":log-group:/aws/lambda/opp-site-smoke-mailer") or \
            ":log-group:/aws/lambda/opp-site-smoke-mailer:" in log_group, log_group
        assert by_resource.pop(log_group) == {"logs:CreateLogStream", "logs:PutLogEvents"}
        # No custom domain in this stack: no SES identity, so no ses:* grant at all.
        assert not by_resource, by_resource

    def mailer_role_with_domain():
        body = reduced_template(cfn, DOMAIN_PARAMETERS)
        body.pop("Outside")
        created = make_stack(f"{stack}-domain", body, DOMAIN_PARAMETERS)
        statements = role_statements(MAILER_ROLE, created[MAILER_ROLE][1])
        ses = [(acts, res) for acts, res in statements if any(a.startswith("ses:") for a in acts)]
        account = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                               config=cfg).get_caller_identity()["Account"]
        prefix = f"arn:aws:ses:{REGION}:{account}"
        assert ses == [(["ses:SendEmail", "ses:SendRawEmail"],
                        [f"{prefix}:identity/opp.example.nl",
                         f"{prefix}:configuration-set/{state['outside']['MailConfigurationSet']}"])], ses
        # Everything else as without a domain (the stack has its own table, queue and log groups); the
        # function's role gets nothing more.
        actions = lambda sts: sorted(acts for acts, _ in sts)  # noqa: E731
        assert actions(statements) == actions(role_statements(MAILER_ROLE) + ses)
        assert actions(role_statements(HANDLER_ROLE, created[HANDLER_ROLE][1])) == \
            actions(role_statements(HANDLER_ROLE))

    def table_stream():
        t = state.get("table") or table()
        assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        key = {SCHEMA["partition_key"]: {"S": "MEETING#stream"}, SCHEMA["sort_key"]: {"S": "REG#1"}}
        ddb.put_item(TableName=t["TableName"], Item={**key, "status": {"S": "waitlisted"}})
        ddb.update_item(TableName=t["TableName"], Key=key, UpdateExpression="SET #s = :s",
                        ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "confirmed"}})
        (shard,) = streams.describe_stream(StreamArn=t["LatestStreamArn"])["StreamDescription"]["Shards"]
        iterator = streams.get_shard_iterator(StreamArn=t["LatestStreamArn"], ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = [r["dynamodb"] for r in streams.get_records(ShardIterator=iterator)["Records"]
                   if r["dynamodb"]["Keys"] == key]
        (modify,) = [r for r in records if "OldImage" in r]
        assert modify["OldImage"]["status"] == {"S": "waitlisted"}
        assert modify["NewImage"]["status"] == {"S": "confirmed"}

    def failure_queue():
        (queue_url,) = state["AWS::SQS::Queue"]
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        assert attrs["MessageRetentionPeriod"] == "1209600", attrs["MessageRetentionPeriod"]
        assert attrs.get("SqsManagedSseEnabled") == "true", attrs
        tags = sqs.list_queue_tags(QueueUrl=queue_url).get("Tags", {})
        assert tags == {"Project": "landelijk-opp", "Environment": "test"}, tags

    check("table key schema matches store/table-schema.json", table_keys)
    check("table has GSIs email-index (email) and check-in-index (check_in_code), KEYS_ONLY", table_gsi)
    check("table is PAY_PER_REQUEST", table_billing)
    check("table answers a Query on email-index", table_query_index)
    check("site bucket exists, encrypted, tagged", bucket)
    check("function role: exactly the schema's DynamoDB actions on the table; reads the origin secret and "
          "the link key only", role)
    check("mailer role: table, email-index (Query), its stream, link key, failure queue, own logs; "
          "no SES without a domain", mailer_role)
    check("with a custom domain the mailer may send as exactly its SES identity and configuration set",
          mailer_role_with_domain)
    check("table stream carries NEW_AND_OLD_IMAGES (a status change, as the mailer gets it)", table_stream)
    check("failure queue: 14 days, SSE, tagged", failure_queue)

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
