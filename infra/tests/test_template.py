"""Content checks of infra/template.yaml (and its CloudFormation translation).

Run by infra/tests/run.sh with the infra venv: `python -m pytest infra/tests/test_template.py`.
The table design has one source of truth, store/table-schema.json (the handler declares it); the
template must agree with it.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from translate import load_sam, translate  # noqa: E402

TEMPLATE = ROOT / "infra" / "template.yaml"
WAF_TEMPLATE = ROOT / "infra" / "waf.yaml"
SCHEMA_FILE = ROOT / "store" / "table-schema.json"
THREAT_MODEL = ROOT / "docs" / "threat-model.md"
PRIVACY = ROOT / "content" / "privacyverklaring.md"

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'; connect-src 'self'; manifest-src 'self'")
# The 4xx/5xx codes CloudFront caches for ErrorCachingMinTTL (CloudFront developer guide, "HTTP 4xx
# and 5xx status codes that CloudFront caches"); it honours the origin's no-store only on some.
CLOUDFRONT_CACHED_ERRORS = {400, 403, 404, 405, 414, 500, 501, 502, 503, 504}
# store/table-schema.json may still name the variable the function read before the origin secret
# moved to Secrets Manager; the template gives the function the secret's ARN instead.

# Logical ids. Two functions since the mailer: the tests name the one they mean.
HANDLER, HANDLER_ROLE = "RegistrationFunction", "RegistrationFunctionRole"
CONSOLE, CONSOLE_ROLE = "ConsoleFunction", "ConsoleFunctionRole"
EDITORS, EDITORS_ROLE = "EditorsFunction", "EditorsFunctionRole"
MAILER, MAILER_ROLE = "MailerFunction", "MailerFunctionRole"
SCHEDULE_ROLE = "ReminderScheduleRole"
ORIGIN_SECRET, LINK_KEY_SECRET = "OriginSecret", "LinkKeySecret"
TABLE = "RegistrationsTable"
# What the mailer may do, resource by resource (the handler's actions come from store/table-schema.json;
# the mailer's are agreed here, in infra/tests, and smoke_moto.py checks the same on moto's IAM).
MAILER_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams"]
SES_IDENTITY_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${DomainName}"}
SES_CONFIGURATION_SET_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${MailConfigurationSet}"}
MAILER_ENVIRONMENT = {"TABLE_NAME", "LINK_KEY_ARN", "SITE_URL", "MAIL_FROM", "SES_CONFIGURATION_SET", "RUST_LOG"}
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# The editors' GitHub client secret: made by hand, named by a parameter (a secret's ARN ends in six random
# characters after its name).
GITHUB_CLIENT_SECRET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
                                       ":secret:${EditingGitHubClientSecretName}-??????"}


@pytest.fixture(scope="module")
def sam():
    return load_sam(TEMPLATE)


@pytest.fixture(scope="module")
def cfn(sam):
    return translate(sam)


@pytest.fixture(scope="module")
def waf():
    return load_sam(WAF_TEMPLATE)


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def resources_of(template, rtype):
    return {name: res for name, res in template["Resources"].items() if res["Type"] == rtype}


def is_console(name):
    """The back office's resources (only with ConsoleDomainName): its own distribution, API, function and
    role. The site's checks below are about the site's resources; the console has its own tests."""
    return name.startswith("Console")


def is_editing(name):
    """The editing screen's resources (only with EditingDomainName): its bucket, distribution, the editors'
    API, function and role. They have their own tests, as the console's."""
    return name.startswith(("EditingScreen", "Editors")) and name != "EditingScreenHeadersPolicy"


def is_preview(name):
    """The previews of pull requests' resources (only with PreviewDomainName): their bucket, distribution, function,
    headers policy and role. They have their own tests, as the editing screen's."""
    return name.startswith("Preview")


def one(template, rtype):
    found = {name: res for name, res in resources_of(template, rtype).items()
             if not is_console(name) and not is_editing(name) and not is_preview(name)}
    assert len(found) == 1, f"expected exactly one {rtype}, found {sorted(found)}"
    return next(iter(found.items()))


def as_list(value):
    return value if isinstance(value, list) else [value]


def walk(value):
    """Every nested value (dicts, lists and scalars)."""
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def role_policies(role):
    """A role's inline policies; one behind Fn::If (only with a condition) is taken as if it held."""
    for pol in role["Properties"].get("Policies", []):
        if "Fn::If" in pol:
            _, pol, otherwise = pol["Fn::If"]
            assert otherwise == {"Ref": "AWS::NoValue"}, otherwise
        yield pol


def policy_documents(template):
    """Identity-based IAM policy documents (roles, policies, SAM function policies)."""
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            for pol in role_policies(res):
                yield f"{name}/{pol['PolicyName']}", pol["PolicyDocument"]
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield name, props["PolicyDocument"]
        elif res["Type"] == "AWS::Serverless::Function":
            for i, pol in enumerate(as_list(props.get("Policies", []))):
                if isinstance(pol, dict) and "Statement" in pol:
                    yield f"{name}/Policies[{i}]", pol


# The one statement with a condition: the content-deploy role's DynamoDB access, bounded by its leading keys.
LEADING_KEYS_STATEMENT = ("ContentDeployRole", "SyncMeetings")


def statements_of(template, role_name):
    """The Allow statements of one role, each as (Sid, actions, resources), in template order."""
    found = []
    for pol in role_policies(template["Resources"][role_name]):
        for st in as_list(pol["PolicyDocument"]["Statement"]):
            if "Fn::If" in st:  # a statement only with a condition: taken as if it held
                _, st, otherwise = st["Fn::If"]
                assert otherwise == {"Ref": "AWS::NoValue"}, otherwise
            if st["Effect"] == "Deny":
                # The one Deny: the back office may add audit entries but never change them.
                assert (role_name, st.get("Sid")) == (CONSOLE_ROLE, "AuditEntriesAreAddOnly"), st
                continue
            assert st["Effect"] == "Allow", st
            if (role_name, st.get("Sid")) == LEADING_KEYS_STATEMENT:
                assert list(st["Condition"]) == ["ForAllValues:StringLike"], st
                assert list(st["Condition"]["ForAllValues:StringLike"]) == ["dynamodb:LeadingKeys"], st
            else:
                assert "Condition" not in st, st
            assert "NotAction" not in st and "NotResource" not in st, st
            found.append((st.get("Sid"), as_list(st["Action"]), as_list(st["Resource"])))
    return found


def grants_of(template, role_name):
    """{resource as JSON: set of actions} of one role."""
    grants = {}
    for _, actions, resources in statements_of(template, role_name):
        for resource in resources:
            grants.setdefault(json.dumps(resource, sort_keys=True), set()).update(actions)
    return grants


def ref(name):
    return {"Ref": name}


def getatt(name, attribute):
    return {"Fn::GetAtt": [name, attribute]}


def key(value):
    return json.dumps(value, sort_keys=True)


# --------------------------------------------------------------------------------------------
# Table design: store/table-schema.json is the source of truth
# --------------------------------------------------------------------------------------------

def test_schema_file_has_the_agreed_shape(schema):
    assert set(schema) == {"partition_key", "sort_key", "email_index", "check_in_index", "ttl_attribute",
                           "environment", "iam_actions"}
    assert set(schema["email_index"]) == {"name", "partition_key", "projection"}
    assert set(schema["check_in_index"]) == {"name", "partition_key", "projection"}


def test_table_keys_match_schema(sam, schema):
    _, table = one(sam, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": schema["partition_key"], "KeyType": "HASH"},
        {"AttributeName": schema["sort_key"], "KeyType": "RANGE"},
    ]
    attrs = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert attrs == {schema["partition_key"]: "S", schema["sort_key"]: "S",
                     schema["email_index"]["partition_key"]: "S",
                     schema["check_in_index"]["partition_key"]: "S"}


def test_indexes_match_schema(sam, schema):
    _, table = one(sam, "AWS::DynamoDB::Table")
    gsis = table["Properties"]["GlobalSecondaryIndexes"]
    assert [g["IndexName"] for g in gsis] == [schema["email_index"]["name"], schema["check_in_index"]["name"]]
    assert schema["email_index"]["name"] == "email-index"
    assert schema["check_in_index"]["name"] == "check-in-index"
    for gsi, index in zip(gsis, (schema["email_index"], schema["check_in_index"])):
        assert gsi["KeySchema"] == [{"AttributeName": index["partition_key"], "KeyType": "HASH"}]
        assert gsi["Projection"] == {"ProjectionType": index["projection"]}


def test_table_ttl_billing_backup_protection(sam, schema):
    _, table = one(sam, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": schema["ttl_attribute"], "Enabled": True}
    assert schema["ttl_attribute"] == "expires_at"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # 35 days of continuous backups: the privacy statement promises exactly this period.
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True,
                                                         "RecoveryPeriodInDays": 35}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_function_environment_has_schema_variables(sam, schema):
    env = sam["Resources"][HANDLER]["Properties"]["Environment"]["Variables"]
    expected = set(schema["environment"])
    missing = expected - set(env)
    assert not missing, f"function Environment lacks {sorted(missing)}"
    assert env["TABLE_NAME"] == {"Ref": one(sam, "AWS::DynamoDB::Table")[0]}
    assert env["ORIGIN_SECRET_ARN"] == ref(ORIGIN_SECRET)
    assert env["LINK_KEY_ARN"] == ref(LINK_KEY_SECRET)
    assert env["RETENTION_DAYS"] == {"Ref": "RetentionDays"}
    assert env["RUST_LOG"] == "info"


def test_dynamodb_actions_equal_schema(cfn, schema):
    table_name, _ = one(cfn, "AWS::DynamoDB::Table")
    dynamo_statements = [
        (actions, resources) for _, actions, resources in statements_of(cfn, HANDLER_ROLE)
        if any(a.startswith("dynamodb:") for a in actions)
    ]
    assert len(dynamo_statements) == 1
    actions, resources = dynamo_statements[0]
    assert sorted(actions) == sorted(schema["iam_actions"])
    assert len(set(schema["iam_actions"])) == len(schema["iam_actions"])
    # The table itself only: the e-mail index serves opp-admin (the organisers' credentials) and the mailer.
    assert resources == [{"Fn::GetAtt": [table_name, "Arn"]}]


def test_function_role_grants_only_what_the_handler_uses(cfn, schema):
    """No ConditionCheckItem (no ConditionCheck part in any transaction), no index (defect 12)."""
    assert "dynamodb:ConditionCheckItem" not in schema["iam_actions"]
    assert sorted(schema["iam_actions"]) == sorted(
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"])
    role_name, role = HANDLER_ROLE, cfn["Resources"][HANDLER_ROLE]
    text = json.dumps(role["Properties"]["Policies"])
    assert "ConditionCheckItem" not in text
    assert "/index/" not in text and schema["email_index"]["name"] not in text, \
        f"{role_name} names the e-mail index"
    for value in walk(role["Properties"]["Policies"]):
        assert not (isinstance(value, str) and "index" in value.lower()), value
    # Nor the table's stream: that is the mailer's input.
    assert "StreamArn" not in text and "/stream/" not in text


# --------------------------------------------------------------------------------------------
# IAM and function
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["sam", "cfn"])
def test_no_wildcards_in_iam_actions_or_resources(which, sam, cfn):
    template = sam if which == "sam" else cfn
    docs = list(policy_documents(template))
    assert docs, "no IAM policy documents found"
    for where, doc in docs:
        for st in as_list(doc["Statement"]):
            for key in ("Action", "Resource", "NotAction", "NotResource"):
                for value in walk(st.get(key, [])):
                    # S3 objects have no ARN of their own: the site bucket's objects are its ARN plus /*.
                    if (where, key, value) in (("ContentDeployRole/site-files", "Resource", "${SiteBucket.Arn}/*"),
                                               ("ContentDeployRole/editing-screen", "Resource",
                                                "${EditingScreenBucket.Arn}/*"),
                                               ("PreviewDeployRole/preview-files", "Resource",
                                                "${PreviewBucket.Arn}/*")):
                        continue
                    assert not (isinstance(value, str) and "*" in value), f"{where}: '*' in {key}: {value}"
            assert "NotAction" not in st and "NotResource" not in st


def test_functions_use_only_their_explicit_roles(cfn):
    roles = resources_of(cfn, "AWS::IAM::Role")
    # ContentDeployRole (deploy on merge) and PreviewDeployRole (previews of pull requests) are GitHub Actions',
    # no function's.
    assert set(roles) == {HANDLER_ROLE, MAILER_ROLE, CONSOLE_ROLE, EDITORS_ROLE, SCHEDULE_ROLE,
                          "ContentDeployRole", "PreviewDeployRole"}, "SAM made a role of its own?"
    for role in roles.values():
        assert "ManagedPolicyArns" not in role["Properties"]
        assert "PermissionsBoundary" not in role["Properties"]
    functions = resources_of(cfn, "AWS::Lambda::Function")
    assert set(functions) == {HANDLER, MAILER, CONSOLE, EDITORS}
    assert functions[HANDLER]["Properties"]["Role"] == getatt(HANDLER_ROLE, "Arn")
    assert functions[MAILER]["Properties"]["Role"] == getatt(MAILER_ROLE, "Arn")
    assert functions[CONSOLE]["Properties"]["Role"] == getatt(CONSOLE_ROLE, "Arn")
    assert functions[EDITORS]["Properties"]["Role"] == getatt(EDITORS_ROLE, "Arn")
    for role_name in (HANDLER_ROLE, MAILER_ROLE, CONSOLE_ROLE, EDITORS_ROLE):
        (st,) = as_list(roles[role_name]["Properties"]["AssumeRolePolicyDocument"]["Statement"])
        assert st["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}


def test_no_function_url(sam, cfn):
    assert "FunctionUrlConfig" not in TEMPLATE.read_text(encoding="utf-8")
    for template in (sam, cfn):
        assert not resources_of(template, "AWS::Lambda::Url")
        for value in walk(template["Resources"]):
            assert not (isinstance(value, dict) and "FunctionUrlConfig" in value)


# (function, binary, timeout, reserved concurrency parameter and its default, name suffix)
FUNCTIONS = [
    (HANDLER, "opp-handler", 10, "ReservedConcurrency", 10, "registration"),
    (MAILER, "opp-mailer", 60, "MailerReservedConcurrency", 5, "mailer"),
]


def test_exactly_four_functions(sam):
    assert set(resources_of(sam, "AWS::Serverless::Function")) == {HANDLER, MAILER, CONSOLE, EDITORS}


@pytest.mark.parametrize("name,binary,timeout,concurrency,default,_suffix", FUNCTIONS)
def test_function_runtime_and_build(sam, name, binary, timeout, concurrency, default, _suffix):
    fn = sam["Resources"][name]
    props = fn["Properties"]
    assert props["Runtime"] == "provided.al2023"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "bootstrap"
    assert props["CodeUri"] == ".."
    assert (ROOT / "Cargo.toml").is_file(), "CodeUri '..' must be the Cargo workspace root"
    # sam build: cargo lambda build --release --arm64 --bin BINARY in the workspace root.
    assert fn["Metadata"]["BuildMethod"] == "rust-cargolambda"
    assert fn["Metadata"]["BuildProperties"] == {"Binary": binary}
    assert props["MemorySize"] == 256
    assert props["Timeout"] == timeout
    assert props["ReservedConcurrentExecutions"] == {"Ref": concurrency}
    assert sam["Parameters"][concurrency]["Default"] == default
    assert sam["Parameters"]["RetentionDays"]["Default"] == 90
    # Raising LinkKeyVersion changes both functions' configuration: new instances read the new ring.
    assert "${LinkKeyVersion}" in props["Description"]["Fn::Sub"]


def test_mailer_binary_in_the_workspace():
    """Once the mailer crate is there, its binary is the one sam build asks for."""
    manifest = ROOT / "mailer" / "Cargo.toml"
    if not manifest.is_file():
        pytest.skip("mailer/ is not in the workspace yet")
    import tomllib
    crate = tomllib.loads(manifest.read_text(encoding="utf-8"))
    bins = {b.get("name") for b in crate.get("bin", [])} | {
        p.stem for p in (ROOT / "mailer" / "src" / "bin").glob("*.rs")}
    assert "opp-mailer" in bins
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    assert "mailer" in workspace["workspace"]["members"]


@pytest.mark.parametrize("name,_binary,_timeout,_concurrency,_default,suffix", FUNCTIONS)
def test_function_log_group_and_name(sam, name, _binary, _timeout, _concurrency, _default, suffix):
    props = sam["Resources"][name]["Properties"]
    assert props["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}
    log_group_ref = props["LoggingConfig"]["LogGroup"]["Ref"]
    group = sam["Resources"][log_group_ref]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{suffix}"}
    assert group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert sam["Parameters"]["LogRetentionInDays"]["Default"] == 30


def test_site_origin_does_not_reference_the_distribution(sam):
    """The distribution depends on the API (and so on the function): no cycle back."""
    site_origin = sam["Resources"][HANDLER]["Properties"]["Environment"]["Variables"]["SITE_ORIGIN"]
    text = json.dumps(site_origin)
    assert "Distribution" not in text
    assert "SiteOrigin" in text and "DomainName" in text
    # The mailer's links use the same base URL.
    assert sam["Resources"][MAILER]["Properties"]["Environment"]["Variables"]["SITE_URL"] == site_origin


# --------------------------------------------------------------------------------------------
# Origin secret (Secrets Manager)
# --------------------------------------------------------------------------------------------

def test_exactly_two_secrets_and_the_consoles_client_secret(sam, cfn):
    for template in (sam, cfn):
        assert set(resources_of(template, "AWS::SecretsManager::Secret")) == {
            ORIGIN_SECRET, LINK_KEY_SECRET, "ConsoleClientSecret"}


def test_origin_secret_is_a_generated_secret_without_automatic_rotation(sam, cfn):
    name, secret = ORIGIN_SECRET, sam["Resources"][ORIGIN_SECRET]
    gen = secret["Properties"]["GenerateSecretString"]
    assert gen["PasswordLength"] == 48
    assert gen["ExcludePunctuation"] is True
    assert gen.get("IncludeSpace") is False
    assert "SecretString" not in secret["Properties"]
    # Automatic rotation stays off: CloudFront only takes a new value on a stack update.
    for template in (sam, cfn):
        assert not resources_of(template, "AWS::SecretsManager::RotationSchedule")
        assert "RotationRules" not in json.dumps(template)
    skips = {s["id"]: s["comment"] for s in secret["Metadata"]["checkov"]["skip"]}
    assert "CKV_AWS_149" in skips
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "automatic rotation stays OFF" in text


def test_link_key_secret_is_a_generated_ring_kept_forever(sam, cfn):
    """{"current": 1, "1": <64 letters and digits>}; losing it breaks every link already mailed."""
    secret = sam["Resources"][LINK_KEY_SECRET]
    # Pinned: CloudFormation generates a new value (over the ring) when GenerateSecretString changes.
    assert secret["Properties"]["GenerateSecretString"] == {
        "SecretStringTemplate": '{"current":1}', "GenerateStringKey": "1", "PasswordLength": 64,
        "ExcludePunctuation": True, "IncludeSpace": False}
    assert json.loads(secret["Properties"]["GenerateSecretString"]["SecretStringTemplate"]) == {"current": 1}
    assert "SecretString" not in secret["Properties"]
    assert "Name" not in secret["Properties"], "a deleted secret keeps its name for up to 30 days"
    assert secret["DeletionPolicy"] == "Retain" and secret["UpdateReplacePolicy"] == "Retain"
    skips = {s["id"]: s["comment"] for s in secret["Metadata"]["checkov"]["skip"]}
    assert set(skips) == {"CKV_AWS_149"}
    for template in (sam, cfn):
        assert not resources_of(template, "AWS::SecretsManager::RotationSchedule")
    assert sam["Outputs"]["LinkKeySecretArn"]["Value"] == ref(LINK_KEY_SECRET)
    param = sam["Parameters"]["LinkKeyVersion"]
    assert (param["Type"], param["Default"], param["MinValue"]) == ("Number", 1, 1)


def test_old_origin_secret_parameter_is_gone(sam, cfn):
    assert "OriginVerifySecret" not in sam["Parameters"]
    assert "OriginVerifySecret" not in json.dumps(sam["Resources"])
    for template in (sam, cfn):
        for name, fn in [*resources_of(template, "AWS::Serverless::Function").items(),
                         *resources_of(template, "AWS::Lambda::Function").items()]:
            env = fn["Properties"]["Environment"]["Variables"]
            assert "ORIGIN_VERIFY_SECRET" not in env
            if name in (HANDLER, CONSOLE, EDITORS):
                assert env["ORIGIN_SECRET_ARN"] == ref(ORIGIN_SECRET)
            else:  # only the functions behind CloudFront check the origin header
                assert "ORIGIN_SECRET_ARN" not in env, name


def resolve_parts(sub):
    """'{{resolve:secretsmanager:ID:SecretString:json-key:version-stage:version-id}}' -> its fields."""
    assert sub.startswith("{{resolve:secretsmanager:") and sub.endswith("}}"), sub
    secret_id, *rest = sub[len("{{resolve:secretsmanager:"):-2].split(":")
    assert 1 <= len(rest) <= 4, f"want SecretString[:json-key[:version-stage[:version-id]]] in {sub}"
    rest += [""] * (4 - len(rest))  # trailing fields may be left out
    return secret_id, dict(zip(("kind", "json_key", "version_stage", "version_id"), rest))


def test_cloudfront_origin_header_resolves_the_secret(sam):
    secret_name = ORIGIN_SECRET
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    (origin,) = [o for o in dist["Properties"]["DistributionConfig"]["Origins"] if o["Id"] == "registration-api"]
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "X-Origin-Verify"
    cond, pinned, current = header["HeaderValue"]["Fn::If"]
    assert cond == "PinOriginSecretVersion"
    assert sam["Conditions"][cond] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "OriginSecretVersionId"}, ""]}]}
    secret_id, parts = resolve_parts(current["Fn::Sub"])
    assert secret_id == f"${{{secret_name}}}"  # Ref of a secret is its ARN
    assert parts == {"kind": "SecretString", "json_key": "", "version_stage": "AWSCURRENT", "version_id": ""}
    secret_id, parts = resolve_parts(pinned["Fn::Sub"])
    assert secret_id == f"${{{secret_name}}}"
    assert parts == {"kind": "SecretString", "json_key": "", "version_stage": "",
                     "version_id": "${OriginSecretVersionId}"}
    param = sam["Parameters"]["OriginSecretVersionId"]
    assert param["Default"] == ""
    import re
    assert re.fullmatch(param["AllowedPattern"], "")
    assert re.fullmatch(param["AllowedPattern"], "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    assert not re.fullmatch(param["AllowedPattern"], "AWSCURRENT")


@pytest.mark.parametrize("which", ["sam", "cfn"])
def test_who_may_read_which_secret(which, sam, cfn):
    """The handler: the origin secret and the link key. The mailer: the link key. The back office: those two
    and its client secret at the provider. The editors' sign-in: the origin secret and the GitHub client secret.
    Nobody else anything."""
    template = sam if which == "sam" else cfn
    readers = {}
    for name, res in resources_of(template, "AWS::IAM::Role").items():
        for _, actions, resources in statements_of(template, name):
            if any(a.startswith("secretsmanager:") for a in actions):
                assert actions == ["secretsmanager:GetSecretValue"], (name, actions)
                assert len(resources) == 1, (name, resources)
                readers.setdefault(name, []).append(resources[0])
    client_secret = {"Fn::If": ["UseConsoleCognito", ref("ConsoleClientSecret"), {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${ConsoleOidcClientSecretName}-??????"}]}
    assert readers == {HANDLER_ROLE: [ref(ORIGIN_SECRET), ref(LINK_KEY_SECRET)],
                       MAILER_ROLE: [ref(LINK_KEY_SECRET)],
                       CONSOLE_ROLE: [ref(ORIGIN_SECRET), ref(LINK_KEY_SECRET), client_secret],
                       EDITORS_ROLE: [ref(ORIGIN_SECRET), GITHUB_CLIENT_SECRET_ARN]}, readers


def test_checkov_notes_follow_the_secret(sam):
    fn = sam["Resources"][HANDLER]
    note = {s["id"]: s["comment"] for s in fn["Metadata"]["checkov"]["skip"]}["CKV_AWS_173"]
    assert "ORIGIN_SECRET_ARN" in note and "LINK_KEY_ARN" in note and "ORIGIN_VERIFY_SECRET" not in note


# --------------------------------------------------------------------------------------------
# HTTP API
# --------------------------------------------------------------------------------------------

def test_http_api_routes(sam):
    api_name, api = one(sam, "AWS::Serverless::HttpApi")
    fn = sam["Resources"][HANDLER]
    # The mailer has no SAM events: its triggers are the resources of their own below.
    assert "Events" not in sam["Resources"][MAILER]["Properties"]
    routes = set()
    for event in fn["Properties"]["Events"].values():
        assert event["Type"] == "HttpApi"
        p = event["Properties"]
        assert p["ApiId"] == {"Ref": api_name}
        assert p["PayloadFormatVersion"] == "2.0"
        routes.add((p["Method"].upper(), p["Path"]))
    # Which routes exactly is the function's route table's to say: handler/tests/it/api_routes.rs compares
    # them with opp_model::routes::Endpoint. Here: every route is the function's, under /api/, in the path.
    assert routes
    assert all(method in ("GET", "POST") and path.startswith("/api/") and "?" not in path
               for method, path in routes), routes


def test_http_api_settings(sam, cfn):
    _, api = one(sam, "AWS::Serverless::HttpApi")
    props = api["Properties"]
    assert props["DisableExecuteApiEndpoint"] is False
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert sam["Parameters"]["ApiThrottlingBurstLimit"]["Default"] == 50
    assert sam["Parameters"]["ApiThrottlingRateLimit"]["Default"] == 20
    log_group = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert "RetentionInDays" in sam["Resources"][log_group]["Properties"]
    assert "sourceIp" not in props["AccessLogSettings"]["Format"]
    assert "$context.path" not in props["AccessLogSettings"]["Format"]
    _, stage = one(cfn, "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["StageName"] == "$default"


# --------------------------------------------------------------------------------------------
# E-mail: the stream, the mailer, SES, EventBridge, the schedule (moto does not know the SES and
# Scheduler types, nor the event source mapping: they are checked here, on both forms)
# --------------------------------------------------------------------------------------------

def test_table_stream_has_both_images(sam, cfn):
    for template in (sam, cfn):
        props = template["Resources"][TABLE]["Properties"]
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_mailer_environment(sam, cfn):
    env = sam["Resources"][MAILER]["Properties"]["Environment"]["Variables"]
    assert set(env) == MAILER_ENVIRONMENT
    assert env["TABLE_NAME"] == ref(TABLE)
    assert env["LINK_KEY_ARN"] == ref(LINK_KEY_SECRET)
    assert env["SES_CONFIGURATION_SET"] == ref("MailConfigurationSet")
    assert env["RUST_LOG"] == "info"
    # noreply@DOMAIN unless MailFromAddress says otherwise; empty (no mail) without a custom domain.
    assert env["MAIL_FROM"] == {"Fn::If": [
        "HasMailFromAddress", {"Fn::Sub": "Landelijk OPP Project <${MailFromAddress}>"},
        {"Fn::If": ["UseCustomDomain", {"Fn::Sub": "Landelijk OPP Project <noreply@${DomainName}>"}, ""]}]}
    assert cfn["Resources"][MAILER]["Properties"]["Environment"]["Variables"] == env


def test_mail_parameters_and_rules(sam):
    import re
    params = sam["Parameters"]
    for name in ("MailFromAddress", "MailFromDomain", "AlarmEmail"):
        assert params[name]["Default"] == "" and re.fullmatch(params[name]["AllowedPattern"], ""), name
    assert re.fullmatch(params["MailFromAddress"]["AllowedPattern"], "noreply@opp.example.nl")
    assert not re.fullmatch(params["MailFromAddress"]["AllowedPattern"], "Landelijk OPP <noreply@opp.example.nl>")
    assert re.fullmatch(params["MailFromDomain"]["AllowedPattern"], "bounce.opp.example.nl")
    assert re.fullmatch(params["AlarmEmail"]["AllowedPattern"], "organisatie@example.nl")
    # A sender or MAIL FROM domain needs the domain the stack verifies.
    for rule in ("MailFromAddressNeedsDomain", "MailFromDomainNeedsDomain"):
        (assertion,) = sam["Rules"][rule]["Assertions"]
        assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [ref("DomainName"), ""]}]}


def test_mailer_role_grants_exactly_what_it_needs(cfn):
    index = {"Fn::Sub": "${RegistrationsTable.Arn}/index/email-index"}
    expected = {
        key(getatt(TABLE, "Arn")): set(MAILER_TABLE_ACTIONS),
        key(index): {"dynamodb:Query"},
        key(getatt(TABLE, "StreamArn")): set(STREAM_ACTIONS),
        key(ref(LINK_KEY_SECRET)): {"secretsmanager:GetSecretValue"},
        key(SES_IDENTITY_ARN): {"ses:SendEmail", "ses:SendRawEmail"},
        key(SES_CONFIGURATION_SET_ARN): {"ses:SendEmail", "ses:SendRawEmail"},
        key(getatt("MailFailuresQueue", "Arn")): {"sqs:SendMessage"},
        key(getatt("MailerFunctionLogGroup", "Arn")): {"logs:CreateLogStream", "logs:PutLogEvents"},
    }
    assert grants_of(cfn, MAILER_ROLE) == expected
    role = cfn["Resources"][MAILER_ROLE]["Properties"]
    assert "ManagedPolicyArns" not in role
    # The SES grant exists only with a custom domain (otherwise there is no identity to send as).
    (conditional,) = [p for p in role["Policies"] if "Fn::If" in p]
    cond, policy, otherwise = conditional["Fn::If"]
    assert (cond, otherwise) == ("UseCustomDomain", ref("AWS::NoValue"))
    (st,) = policy["PolicyDocument"]["Statement"]
    assert st["Resource"] == [SES_IDENTITY_ARN, SES_CONFIGURATION_SET_ARN]
    assert all(not a.startswith("ses:") for p in role["Policies"] if "Fn::If" not in p
               for s in p["PolicyDocument"]["Statement"] for a in as_list(s["Action"]))


def test_only_the_mailer_reads_the_email_index_and_the_stream(cfn):
    for name in resources_of(cfn, "AWS::IAM::Role"):
        text = json.dumps(cfn["Resources"][name]["Properties"].get("Policies", []))
        if name == MAILER_ROLE:
            assert "/index/email-index" in text and "StreamArn" in text
            assert "check-in-index" not in text
        elif name == CONSOLE_ROLE:
            # Erasing an address and sending its link again find its items through the index, as opp-admin does;
            # a code scanned at the door finds its meeting through the check-in index.
            assert "/index/email-index" in text and "StreamArn" not in text and "/stream/" not in text
            assert "/index/check-in-index" in text
        else:
            assert "index" not in text.lower() and "StreamArn" not in text and "/stream/" not in text, name


def test_stream_mapping(sam, cfn):
    for template in (sam, cfn):
        (name, esm), = resources_of(template, "AWS::Lambda::EventSourceMapping").items()
        props = esm["Properties"]
        assert props["FunctionName"] == ref(MAILER)
        assert props["EventSourceArn"] == getatt(TABLE, "StreamArn")
        assert props["StartingPosition"] == "TRIM_HORIZON"
        assert props["BatchSize"] == 25
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        assert props["MaximumRetryAttempts"] == 5
        assert props["MaximumRecordAgeInSeconds"] == 21600
        assert props["DestinationConfig"] == {"OnFailure": {"Destination": getatt("MailFailuresQueue", "Arn")}}
        # Off without a custom domain (no identity, no sender): nothing to send, nothing read.
        assert props["Enabled"] == {"Fn::If": ["UseCustomDomain", True, False]}
        assert "FilterCriteria" not in props, "the mailer decides which records send mail"
    # The function's own dead-letter queue (failed bounce events, a failed reminder run) is the same queue.
    assert cfn["Resources"][MAILER]["Properties"]["DeadLetterConfig"] == {
        "TargetArn": getatt("MailFailuresQueue", "Arn")}


def test_failure_queue_and_its_alarm(sam):
    queue = sam["Resources"]["MailFailuresQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    alarm = sam["Resources"]["MailFailuresAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": getatt("MailFailuresQueue", "QueueName")}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["Statistic"] == "Maximum" and alarm["EvaluationPeriods"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"


def test_mailer_alarms_and_optional_topic(sam):
    alarms = resources_of(sam, "AWS::CloudWatch::Alarm")
    assert set(alarms) == {"MailFailuresAlarm", "MailerErrorsAlarm", "MailerStreamBehindAlarm",
                           "MailBounceRateAlarm", "MailComplaintRateAlarm",
                           "AccountBounceRateAlarm", "AccountComplaintRateAlarm"}
    errors = alarms["MailerErrorsAlarm"]["Properties"]
    assert (errors["Namespace"], errors["MetricName"], errors["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": ref(MAILER)}]
    assert (errors["ComparisonOperator"], errors["Threshold"]) == ("GreaterThanThreshold", 0)
    behind = alarms["MailerStreamBehindAlarm"]["Properties"]
    assert (behind["MetricName"], behind["Statistic"], behind["Threshold"]) == ("IteratorAge", "Maximum", 3600000)
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == {
            "Fn::If": ["HasAlarmEmail", [ref("AlarmTopic")], ref("AWS::NoValue")]}
    topic = sam["Resources"]["AlarmTopic"]
    assert topic["Condition"] == "HasAlarmEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": ref("AlarmEmail")}]


def test_ses_identity_easy_dkim_only_with_a_custom_domain(sam):
    (name, identity), = resources_of(sam, "AWS::SES::EmailIdentity").items()
    assert identity["Condition"] == "UseCustomDomain"
    props = identity["Properties"]
    assert props["EmailIdentity"] == ref("DomainName")
    # Easy DKIM: SES makes the keys (2048 bits) and the three CNAME records to publish; no BYODKIM.
    assert props["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    assert props["DkimAttributes"] == {"SigningEnabled": True}
    assert props["ConfigurationSetAttributes"] == {"ConfigurationSetName": ref("MailConfigurationSet")}
    cond, mail_from, otherwise = props["MailFromAttributes"]["Fn::If"]
    assert cond == "HasMailFromDomain" and otherwise == ref("AWS::NoValue")
    assert mail_from == {"MailFromDomain": ref("MailFromDomain"), "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}
    # The IAM grant names this identity.
    assert SES_IDENTITY_ARN["Fn::Sub"].endswith(":identity/${DomainName}")


def test_configuration_set_suppresses_requires_tls_and_does_not_track(sam):
    (name, cs), = resources_of(sam, "AWS::SES::ConfigurationSet").items()
    assert name == "MailConfigurationSet"
    props = cs["Properties"]
    assert props["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}
    assert props["SendingOptions"] == {"SendingEnabled": True}
    assert props["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    assert props["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    # No tracking: SES would rewrite the personal links and add a pixel.
    assert "TrackingOptions" not in props and "VdmOptions" not in props
    assert "Name" not in props


def test_bounces_and_complaints_go_to_eventbridge(sam):
    (name, dest), = resources_of(sam, "AWS::SES::ConfigurationSetEventDestination").items()
    props = dest["Properties"]
    assert props["ConfigurationSetName"] == ref("MailConfigurationSet")
    ed = props["EventDestination"]
    assert ed["Enabled"] is True
    assert sorted(t.upper() for t in ed["MatchingEventTypes"]) == ["BOUNCE", "COMPLAINT"], "no open or click events"
    assert set(ed) == {"Name", "Enabled", "MatchingEventTypes", "EventBridgeDestination"}
    assert ed["EventBridgeDestination"] == {"EventBusArn": {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}}


def test_feedback_rule_pattern_target_and_permission(sam):
    (rule_name, rule), = resources_of(sam, "AWS::Events::Rule").items()
    props = rule["Properties"]
    assert props["EventBusName"] == "default" and props["State"] == "ENABLED"
    assert props["EventPattern"] == {
        "source": ["aws.ses"],
        "detail-type": ["Email Bounced", "Email Complaint Received"],
        "detail": {"mail": {"tags": {"ses:configuration-set": [ref("MailConfigurationSet")]}}},
    }
    (target,) = props["Targets"]
    assert target["Arn"] == getatt(MAILER, "Arn")
    # Only the message id and the kind: a failed invocation's dead letter holds no address.
    paths = target["InputTransformer"]["InputPathsMap"]
    assert paths == {"messageId": "$.detail.mail.messageId", "detailType": "$.detail-type",
                     "bounceType": "$.detail.bounce.bounceType"}
    sample = target["InputTransformer"]["InputTemplate"]
    for name in paths:
        sample = sample.replace(f"<{name}>", "x")
    assert json.loads(sample) == {"ses_feedback": {"message_id": "x", "detail_type": "x", "bounce_type": "x"}}
    (perm_name, perm), = [(n, p) for n, p in resources_of(sam, "AWS::Lambda::Permission").items()
                          if not is_console(n) and not is_editing(n)]
    assert perm["Properties"] == {"Action": "lambda:InvokeFunction", "FunctionName": getatt(MAILER, "Arn"),
                                  "Principal": "events.amazonaws.com", "SourceArn": getatt(rule_name, "Arn")}


def test_reminder_schedule_and_its_role(sam, cfn):
    (name, schedule), = resources_of(sam, "AWS::Scheduler::Schedule").items()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 7 * * ? *)"
    assert props["ScheduleExpressionTimezone"] == "Europe/Amsterdam"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["State"] == {"Fn::If": ["UseCustomDomain", "ENABLED", "DISABLED"]}
    target = props["Target"]
    assert target["Arn"] == getatt(MAILER, "Arn")
    assert target["RoleArn"] == getatt(SCHEDULE_ROLE, "Arn")
    assert json.loads(target["Input"]) == {"task": "reminders"}
    role = cfn["Resources"][SCHEDULE_ROLE]["Properties"]
    (st,) = as_list(role["AssumeRolePolicyDocument"]["Statement"])
    assert st["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    assert grants_of(cfn, SCHEDULE_ROLE) == {key(getatt(MAILER, "Arn")): {"lambda:InvokeFunction"}}


def test_nothing_else_may_invoke_the_mailer(cfn):
    """The stream mapping (the function's own role), the rule (a permission), the schedule (its role)."""
    invokers = [n for n, p in resources_of(cfn, "AWS::Lambda::Permission").items()
                if p["Properties"]["FunctionName"] == getatt(MAILER, "Arn")]
    assert invokers == ["MailFeedbackPermission"]
    assert "FunctionUrlConfig" not in json.dumps(cfn["Resources"][MAILER])


# --------------------------------------------------------------------------------------------
# S3 and CloudFront
# --------------------------------------------------------------------------------------------

def test_bucket_is_private_and_encrypted(sam):
    _, bucket = one(sam, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_bucket_policy_admits_only_this_distribution_over_tls(sam):
    bucket_name, _ = one(sam, "AWS::S3::Bucket")
    dist_name, _ = one(sam, "AWS::CloudFront::Distribution")
    _, policy = one(sam, "AWS::S3::BucketPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert len(allows) == 1
    allow = allows[0]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert as_list(allow["Action"]) == ["s3:GetObject"]
    source_arn = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert f"distribution/${{{dist_name}}}" in source_arn["Fn::Sub"]
    assert any(d["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for d in denies)
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_name}


def test_origin_access_control(sam):
    oac_name, oac = one(sam, "AWS::CloudFront::OriginAccessControl")
    cfg = oac["Properties"]["OriginAccessControlConfig"]
    assert cfg["SigningBehavior"] == "always"
    assert cfg["SigningProtocol"] == "sigv4"
    assert cfg["OriginAccessControlOriginType"] == "s3"
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    s3_origins = [o for o in dist["Properties"]["DistributionConfig"]["Origins"] if "S3OriginConfig" in o]
    assert len(s3_origins) == 1
    assert s3_origins[0]["OriginAccessControlId"] == {"Fn::GetAtt": [oac_name, "Id"]}
    assert s3_origins[0]["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_distribution_settings(sam):
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    cfg = dist["Properties"]["DistributionConfig"]
    assert cfg["HttpVersion"] == "http2and3"
    assert cfg["PriceClass"] == "PriceClass_100"
    assert cfg["DefaultRootObject"] == "index.html"
    errors = {e["ErrorCode"]: e for e in cfg["CustomErrorResponses"]}
    assert len(errors) == len(cfg["CustomErrorResponses"])
    assert errors[403]["ResponseCode"] == 404
    assert errors[403]["ResponsePagePath"] == "/404.html"
    # The function's explaining 404 pages (unknown cancellation link) must not be replaced, nor its 400
    # pages (a post that did not come from the site: the themed refusal answers 400, not 403, for this).
    for code, entry in errors.items():
        if code != 403:
            assert set(entry) == {"ErrorCode", "ErrorCachingMinTTL"}, f"{code} must pass through: {entry}"
    behaviours = [cfg["DefaultCacheBehavior"], *cfg["CacheBehaviors"]]
    for b in behaviours:
        assert b["ViewerProtocolPolicy"] == "redirect-to-https"
        assert b["Compress"] is True
        assert "ResponseHeadersPolicyId" in b
    # Custom domain only when given, with TLS 1.2 (2021 ciphers).
    cond, custom, default = cfg["ViewerCertificate"]["Fn::If"]
    assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert custom["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}
    assert cfg["Aliases"]["Fn::If"][0] == cond


def test_clean_urls_function(sam):
    fn_name, fn = one(sam, "AWS::CloudFront::Function")
    assert fn["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert fn["Properties"]["AutoPublish"] is True
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    assoc = dist["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]["FunctionAssociations"]
    assert assoc == [{"EventType": "viewer-request",
                      "FunctionARN": {"Fn::GetAtt": [fn_name, "FunctionMetadata.FunctionARN"]}}]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_clean_urls_function_behaviour(sam):
    _, fn = one(sam, "AWS::CloudFront::Function")
    code = fn["Properties"]["FunctionCode"]
    cases = {
        "/": "/index.html",
        "/bijeenkomsten/zwolle/": "/bijeenkomsten/zwolle/index.html",
        "/bijeenkomsten/zwolle": "/bijeenkomsten/zwolle/index.html",
        "/over-het-project": "/over-het-project/index.html",
        "/css/site.1a2b3c4d.css": "/css/site.1a2b3c4d.css",
        "/bijeenkomsten/zwolle/zwolle.ics": "/bijeenkomsten/zwolle/zwolle.ics",
        "/meetings.json": "/meetings.json",
        "/v1.2/page": "/v1.2/page/index.html",
        "/404.html": "/404.html",
    }
    script = code + "\nconst cases = " + json.dumps(cases) + """;
const out = {};
for (const [uri, _] of Object.entries(cases)) {
  out[uri] = handler({request: {uri: uri, method: 'GET', headers: {}, querystring: {}}}).uri;
}
console.log(JSON.stringify(out));
"""
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(result.stdout) == cases


def headers_policies(sam):
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    dcfg = dist["Properties"]["DistributionConfig"]
    behaviours = [dcfg["DefaultCacheBehavior"], *dcfg["CacheBehaviors"]]
    api = {b["ResponseHeadersPolicyId"]["Ref"] for b in behaviours if b.get("PathPattern", "").startswith("/api/")}
    # The editing screen's policy is its own distribution's: test_the_editing_screen_has_its_own_csp_and_the_public_pages_keep_theirs.
    site = {b["ResponseHeadersPolicyId"]["Ref"] for b in behaviours
            if not b.get("PathPattern", "").startswith("/api/")}
    assert len(api) == 1 and len(site) == 1, (api, site)
    (api_name,), (site_name,) = api, site
    assert api_name != site_name, "/api/* needs its own response headers policy (Referer leak, defect 7)"
    config = lambda name: sam["Resources"][name]["Properties"]["ResponseHeadersPolicyConfig"]  # noqa: E731
    return config(site_name), config(api_name)


def test_security_headers_policy(sam):
    assert len(resources_of(sam, "AWS::CloudFront::ResponseHeadersPolicy")) == 4, \
        "site, /api/*, the editing screen and the previews"
    for cfg in headers_policies(sam):
        sec = cfg["SecurityHeadersConfig"]
        hsts = sec["StrictTransportSecurity"]
        assert hsts["AccessControlMaxAgeSec"] == 63072000
        assert hsts["IncludeSubdomains"] is True and hsts["Preload"] is True
        csp = sec["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        assert csp == CSP
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert sec["ContentTypeOptions"]["Override"] is True
        assert sec["FrameOptions"]["FrameOption"] == "DENY"
        assert sec["ReferrerPolicy"]["Override"] is True
        custom = {i["Header"]: i["Value"] for i in cfg["CustomHeadersConfig"]["Items"]}
        perms = custom["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "interest-cohort=()"):
            assert feature in perms
        assert custom["Cross-Origin-Opener-Policy"] == "same-origin"


def test_api_referrer_policy_keeps_tokens_out_of_referer(sam):
    """Personal pages are /api/registrations/<token>: strict-origin sends only the origin."""
    site, api = headers_policies(sam)
    assert site["SecurityHeadersConfig"]["ReferrerPolicy"]["ReferrerPolicy"] == "same-origin"
    # Not no-referrer: the personal page's forms would then post "Origin: null" and be refused.
    assert api["SecurityHeadersConfig"]["ReferrerPolicy"] == {"ReferrerPolicy": "strict-origin", "Override": True}
    # Everything else equal to the site's headers.
    strip_referrer = lambda c: {k: v for k, v in c["SecurityHeadersConfig"].items() if k != "ReferrerPolicy"}  # noqa: E731
    assert strip_referrer(site) == strip_referrer(api)
    site_custom = site["CustomHeadersConfig"]["Items"]
    api_custom = [i for i in api["CustomHeadersConfig"]["Items"] if i["Header"] != "Cache-Control"]
    assert site_custom == api_custom


def test_api_answers_without_cache_control_get_no_store(sam):
    _, api = headers_policies(sam)
    (cc,) = [i for i in api["CustomHeadersConfig"]["Items"] if i["Header"].lower() == "cache-control"]
    # Added only when the answer has none: the function's no-store and /api/meetings' max-age stay.
    assert cc == {"Header": "Cache-Control", "Value": "no-store", "Override": False}


def api_behaviours(sam):
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    cfg = dist["Properties"]["DistributionConfig"]
    return cfg, {b["PathPattern"]: b for b in cfg["CacheBehaviors"] if b["PathPattern"].startswith("/api/")}


def test_api_behaviour(sam):
    api_name, _ = one(sam, "AWS::Serverless::HttpApi")
    cfg, behaviours = api_behaviours(sam)
    assert set(behaviours) == {"/api/*", "/api/meetings"}
    b = behaviours["/api/*"]
    assert b["CachePolicyId"] == CACHING_DISABLED
    assert set(b["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert "FunctionAssociations" not in b
    origin = next(o for o in cfg["Origins"] if o["Id"] == b["TargetOriginId"])
    assert origin["DomainName"] == {"Fn::Sub": f"${{{api_name}}}.execute-api.${{AWS::Region}}.amazonaws.com"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert [h["HeaderName"] for h in origin["OriginCustomHeaders"]] == ["X-Origin-Verify"]
    # Origin request policy: what the handler needs, no cookies.
    orp_ref = b["OriginRequestPolicyId"]
    if isinstance(orp_ref, dict):
        orp = sam["Resources"][orp_ref["Ref"]]["Properties"]["OriginRequestPolicyConfig"]
        assert orp["CookiesConfig"]["CookieBehavior"] == "none"
        assert orp["QueryStringsConfig"]["QueryStringBehavior"] == "all"
        assert set(orp["HeadersConfig"]["Headers"]) >= {"Origin", "Referer", "Content-Type", "Accept"}
        assert "Host" not in orp["HeadersConfig"]["Headers"]
    else:
        assert orp_ref == "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_api_meetings_is_cached_as_the_function_says(sam):
    """/api/meetings: public, the function sends s-maxage=30 (max-age=0 for browsers); CloudFront keeps it at most 30 s."""
    cfg, behaviours = api_behaviours(sam)
    order = [b["PathPattern"] for b in cfg["CacheBehaviors"]]
    assert order.index("/api/meetings") < order.index("/api/*"), "CloudFront takes the first match"
    meetings, api = behaviours["/api/meetings"], behaviours["/api/*"]
    assert meetings["TargetOriginId"] == api["TargetOriginId"] == "registration-api"
    assert meetings["OriginRequestPolicyId"] == api["OriginRequestPolicyId"]
    assert meetings["ResponseHeadersPolicyId"] == api["ResponseHeadersPolicyId"]
    assert set(meetings["AllowedMethods"]) == {"GET", "HEAD"}
    assert meetings["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "FunctionAssociations" not in meetings
    policy = sam["Resources"][meetings["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    assert policy["MinTTL"] == 0
    assert policy["DefaultTTL"] in (0, 30)
    assert policy["MaxTTL"] == 30
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}


def test_no_store_holds_for_registration_answers(sam):
    """CachingDisabled on /api/*, and no error answer kept at the edge (it ignores no-store on most codes)."""
    cfg, behaviours = api_behaviours(sam)
    assert behaviours["/api/*"]["CachePolicyId"] == CACHING_DISABLED
    errors = {e["ErrorCode"]: e for e in cfg["CustomErrorResponses"]}
    assert set(errors) >= CLOUDFRONT_CACHED_ERRORS
    for code in CLOUDFRONT_CACHED_ERRORS:
        assert errors[code]["ErrorCachingMinTTL"] == 0, f"CloudFront would keep a {code} answer"
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "ErrorCachingMinTTL 0 on every code CloudFront caches" in text


def test_asset_and_html_cache_policies(sam):
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    cfg = dist["Properties"]["DistributionConfig"]
    html = sam["Resources"][cfg["DefaultCacheBehavior"]["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    assert html["DefaultTTL"] == 300 and html["MinTTL"] == 0
    asset_behaviours = [b for b in cfg["CacheBehaviors"] if not b["PathPattern"].startswith("/api/")]
    assert {b["PathPattern"] for b in asset_behaviours} >= {"/css/*", "/js/*", "/img/*"}
    for b in asset_behaviours:
        pol = sam["Resources"][b["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        assert (pol["MinTTL"], pol["DefaultTTL"], pol["MaxTTL"]) == (0, 86400, 31536000)
        assert b["AllowedMethods"] == ["GET", "HEAD"]
    for pol in (r["Properties"]["CachePolicyConfig"] for r in resources_of(sam, "AWS::CloudFront::CachePolicy").values()):
        params = pol["ParametersInCacheKeyAndForwardedToOrigin"]
        assert params["EnableAcceptEncodingGzip"] and params["EnableAcceptEncodingBrotli"]


# --------------------------------------------------------------------------------------------
# WAF (infra/waf.yaml, optional, us-east-1) and its place on the distribution
# --------------------------------------------------------------------------------------------

def api_path_match(statement):
    match = statement["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"UriPath": {}}
    assert match["PositionalConstraint"] == "STARTS_WITH"
    assert match["SearchString"] == "/api/"
    return [tt["Type"] for tt in sorted(match["TextTransformations"], key=lambda tt: tt["Priority"])]


def test_waf_is_a_cloudfront_web_acl_in_us_east_1(waf):
    assert "Transform" not in waf, "plain CloudFormation: deployed with aws cloudformation deploy"
    _, acl = one(waf, "AWS::WAFv2::WebACL")
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT"
    assert props["DefaultAction"] == {"Allow": {}}
    (rule,) = waf["Rules"].values()
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    assert waf["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": [one(waf, "AWS::WAFv2::WebACL")[0], "Arn"]}
    tags = {tag["Key"]: tag["Value"] for tag in props["Tags"]}
    assert tags == {"Project": "landelijk-opp", "Environment": {"Ref": "Stage"}}


def test_waf_rate_limits_api_per_ip_with_429(waf):
    _, acl = one(waf, "AWS::WAFv2::WebACL")
    props = acl["Properties"]
    rules = [r for r in props["Rules"] if isinstance(r, dict) and "Name" in r]
    (rate,) = [r for r in rules if "RateBasedStatement" in r["Statement"]]
    stmt = rate["Statement"]["RateBasedStatement"]
    assert stmt["AggregateKeyType"] == "IP"
    assert stmt["Limit"] == {"Ref": "ApiRateLimit"}
    assert stmt["EvaluationWindowSec"] == 300
    assert api_path_match(stmt["ScopeDownStatement"]) == ["URL_DECODE", "LOWERCASE"]
    param = waf["Parameters"]["ApiRateLimit"]
    assert param["Type"] == "Number" and param["Default"] == 100 and param["MinValue"] >= 10
    response = rate["Action"]["Block"]["CustomResponse"]
    # Not WAF's default 403: the distribution turns every 403 into the site's 404 page.
    assert response["ResponseCode"] == 429
    headers = {h["Name"]: h["Value"] for h in response["ResponseHeaders"]}
    assert headers["Retry-After"] == "300"
    body = props["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "TEXT_HTML"
    assert '<html lang="nl">' in body["Content"] and "5 minuten" in body["Content"]
    assert len(body["Content"].encode()) <= 4096


def test_waf_metrics_on_and_no_sampled_requests(waf):
    """Counts in CloudWatch; no samples (they hold IPs and the URI, i.e. personal links)."""
    _, acl = one(waf, "AWS::WAFv2::WebACL")
    props = acl["Properties"]
    configs = [props["VisibilityConfig"]]
    for rule in props["Rules"]:
        if isinstance(rule, dict) and "Fn::If" in rule:
            rule = rule["Fn::If"][1]
        configs.append(rule["VisibilityConfig"])
    assert len(configs) == 3
    for cfg in configs:
        assert cfg["CloudWatchMetricsEnabled"] is True
        assert cfg["SampledRequestsEnabled"] is False
    assert not resources_of(waf, "AWS::WAFv2::LoggingConfiguration")


def test_waf_ip_reputation_list_is_optional_counted_and_api_only(waf):
    _, acl = one(waf, "AWS::WAFv2::WebACL")
    (optional,) = [r for r in acl["Properties"]["Rules"] if "Fn::If" in r]
    cond, rule, otherwise = optional["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert waf["Parameters"]["IpReputationList"]["Default"] == "count"
    assert set(waf["Parameters"]["IpReputationList"]["AllowedValues"]) == {"off", "count", "block"}
    group = rule["Statement"]["ManagedRuleGroupStatement"]
    assert (group["VendorName"], group["Name"]) == ("AWS", "AWSManagedRulesAmazonIpReputationList")
    api_path_match(group["ScopeDownStatement"])
    block_cond, when_block, when_count = rule["OverrideAction"]["Fn::If"]
    assert (when_block, when_count) == ({"None": {}}, {"Count": {}})


def test_distribution_takes_the_optional_web_acl(sam):
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    cfg = dist["Properties"]["DistributionConfig"]
    assert cfg["WebACLId"] == {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]}
    assert sam["Conditions"]["HasWebAcl"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebAclArn"}, ""]}]}
    param = sam["Parameters"]["WebAclArn"]
    assert param["Default"] == ""
    import re
    good = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/opp-site-waf/0a1b2c3d-0000-1111-2222-333344445555"
    assert re.fullmatch(param["AllowedPattern"], good)
    assert re.fullmatch(param["AllowedPattern"], "")
    assert not re.fullmatch(param["AllowedPattern"], good.replace("us-east-1", "eu-central-1"))
    assert not re.fullmatch(param["AllowedPattern"], good.replace(":global/", ":regional/"))
    # The recorded CKV_AWS_68 skip ("No WAF: costs") is gone; the reason for an optional WAF stays.
    skips = {s["id"] for s in dist["Metadata"]["checkov"]["skip"]}
    assert "CKV_AWS_68" not in skips
    assert "deploy.sh --waf" in TEMPLATE.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Documents: threat model, privacy statement, operations docs
# --------------------------------------------------------------------------------------------

def test_threat_model_covers_assets_attackers_defences():
    text = THREAT_MODEL.read_text(encoding="utf-8")
    lower = text.lower()
    for heading in ("## Assets", "## Attackers", "## Defences", "## Not defended"):
        assert heading in text, heading
    for word in ("seat", "personal data", "token", "origin secret", "organiser",
                 "seat-filling", "enumerat", "leaked link", "insider", "laptop", "mail scanner",
                 "same-origin", "waf", "reserved concurrency", "throttling", "strict-origin", "no-store",
                 "sha-256", "bidi", "zero-width", "nfc", "0600", "erasure", "ttl", "logs", "35 days"):
        assert word in lower, word
    assert "the answer to a duplicate registration stays distinguishable" in lower
    assert "the waf limits probing" in lower


def front_matter(path):
    import yaml
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def test_privacy_statement_mentions_backups_35_days():
    meta, body = front_matter(PRIVACY)
    assert set(meta) == {"title", "description", "template", "weight"}
    assert meta["template"] == "privacy.html"
    assert "35 dagen" in body
    assert "back-up" in body.lower()


def test_the_audit_logs_period_is_one_number_everywhere(sam):
    """The privacy statement and the organisers' guide name how long the audit log is kept; the template's
    default, the function's setting and the console's own default must be that number (the statement is text, so
    a test holds them together)."""
    import re
    days = sam["Parameters"]["AuditRetentionDays"]["Default"]
    _, privacy = front_matter(PRIVACY)
    stated = re.search(r"We bewaren het logboek (\d+)\s+dagen", privacy)
    assert stated, "the privacy statement no longer says how long the audit log is kept"
    assert int(stated.group(1)) == days
    guide = (ROOT / "docs" / "organisatoren.md").read_text(encoding="utf-8")
    assert f"Het logboek bewaart alles {days} dagen" in guide
    console = (ROOT / "console" / "src" / "bin" / "opp-console.rs").read_text(encoding="utf-8")
    default = re.search(r'env = "AUDIT_DAYS", default_value_t = (\d+)', console)
    assert default and int(default.group(1)) == days, "opp-console's AUDIT_DAYS default differs"
    env = sam["Resources"][CONSOLE]["Properties"]["Environment"]["Variables"]
    assert env["AUDIT_DAYS"] == ref("AuditRetentionDays")


def operations_doc(name):
    return (ROOT / "docs" / "operations" / name).read_text(encoding="utf-8")


def test_operations_docs_cover_mail_and_the_link_key():
    ses = operations_doc("ses.md")
    for heading in ("## E-mail (SES)", "### DNS records to publish", "### Leaving the SES sandbox",
                    "### A first live test (mailbox simulator)"):
        assert heading in ses, heading
    for text in ("aws sesv2 get-email-identity", "._domainkey.", ".dkim.amazonses.com",
                 "v=spf1 include:amazonses.com -all", "_dmarc", "v=DMARC1; p=quarantine; rua=mailto:", "AAAA", "CAA",
                 "aws sesv2 put-account-details", "200", "1 per second", "14 a second",
                 "success@simulator.amazonses.com", "bounce@simulator.amazonses.com",
                 "complaint@simulator.amazonses.com", "suppressionlist@simulator.amazonses.com"):
        assert text in ses, text
    failures = operations_doc("failures-and-alarms.md")
    assert failures.startswith("# The failure queue and the alarms")
    for text in ("opp-admin", "mail-failures", "MailFailuresQueue", "purge-queue"):
        assert text in failures, text
    assert "--alarm-email" in operations_doc("first-deploy.md")
    secrets = operations_doc("secrets.md")
    rotation = secrets.split("## Rotating the link key")[1]
    for text in ("put-secret-value", "file:///dev/stdin", '"current"', "--link-key-version",
                 "opp-admin rekey-links", "rekey-links --revoke-old", "RotationSchedule"):
        assert text in rotation, text
    readme = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    assert "## What the mailer must do" in readme
    for name in MAILER_ENVIRONMENT:
        assert f"`{name}`" in readme, name


def test_docs_cover_rotation_waf_and_migration():
    secrets = operations_doc("secrets.md")
    for heading in ("## Rotating the origin secret", "### Migrating a stack from OriginVerifySecret"):
        assert heading in secrets, heading
    assert "ORIGIN_VERIFY_SECRET" not in secrets.split("### Migrating a stack from OriginVerifySecret")[0]
    readme = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    assert "## Rate limiting (WAF, on by default)" in readme
    assert "ORIGIN_SECRET_ARN" in readme
    assert "AWSPREVIOUS" in readme
    assert "ORIGIN_VERIFY_SECRET" not in readme


# --------------------------------------------------------------------------------------------
# Tags, outputs, checkov skips
# --------------------------------------------------------------------------------------------

TAGGABLE_LIST_TAGS = ("AWS::S3::Bucket", "AWS::CloudFront::Distribution", "AWS::DynamoDB::Table",
                      "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::Lambda::Function",
                      "AWS::SecretsManager::Secret", "AWS::SQS::Queue", "AWS::SNS::Topic",
                      "AWS::CloudWatch::Alarm", "AWS::Lambda::EventSourceMapping",
                      "AWS::SES::ConfigurationSet", "AWS::SES::EmailIdentity")
TAGGABLE_MAP_TAGS = ("AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage")


def test_tags_on_everything_taggable(cfn):
    seen = 0
    for name, res in cfn["Resources"].items():
        if res["Type"] in TAGGABLE_LIST_TAGS:
            tags = {t["Key"]: t["Value"] for t in res["Properties"].get("Tags", [])}
        elif res["Type"] in TAGGABLE_MAP_TAGS:
            tags = res["Properties"].get("Tags", {})
            if not tags and "Body" in res["Properties"]:  # SAM puts HTTP API tags in the OpenAPI body
                tags = {t["name"]: t["x-amazon-apigateway-tag-value"]
                        for t in res["Properties"]["Body"].get("tags", [])}
        else:
            continue
        seen += 1
        assert tags.get("Project") == "landelijk-opp", name
        assert tags.get("Environment") == {"Ref": "Stage"}, name
    assert seen >= 22


def test_outputs(sam):
    assert set(sam["Outputs"]) >= {"SiteBucketName", "DistributionId", "DistributionDomainName", "ApiEndpoint",
                                   "TableName", "FunctionName", "OriginSecretArn", "WebAclInUse",
                                   "LinkKeySecretArn", "MailerFunctionName", "MailIdentityInUse", "MailFromInUse",
                                   "MailConfigurationSetName", "MailFailuresQueueUrl", "AlarmTopicArn"}
    outputs = {name: out["Value"] for name, out in sam["Outputs"].items()}
    assert outputs["OriginSecretArn"] == ref(ORIGIN_SECRET)
    assert outputs["LinkKeySecretArn"] == ref(LINK_KEY_SECRET)
    assert outputs["MailerFunctionName"] == ref(MAILER)
    assert outputs["MailConfigurationSetName"] == ref("MailConfigurationSet")
    assert outputs["MailFailuresQueueUrl"] == ref("MailFailuresQueue")
    assert outputs["MailIdentityInUse"] == {"Fn::If": ["UseCustomDomain", ref("DomainName"), "(none)"]}
    assert sam["Outputs"]["AlarmTopicArn"]["Condition"] == "HasAlarmEmail"


@pytest.mark.parametrize("which", ["template", "waf"])
def test_checkov_skips_have_reasons(which, sam, waf):
    skips = 0
    for name, res in (sam if which == "template" else waf)["Resources"].items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            skips += 1
            assert skip["id"].startswith("CKV"), name
            assert len(skip.get("comment", "").strip()) > 40, f"{name}: {skip['id']} needs a written reason"
    assert skips > 0


def test_readme_lists_every_checkov_skip(sam, waf):
    readme = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    for res in [*sam["Resources"].values(), *waf["Resources"].values()]:
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["id"] in readme, f"infra/README.md does not explain {skip['id']}"


def test_internet_nl_basics_hold(sam):
    """HSTS two years with preload, IPv6, TLS 1.2 (2021 policy), and access logs off by default, with the
    reason why in the parameter (personal links are bearer credentials in the request path)."""
    cfg = sam["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert cfg["IPV6Enabled"] is True
    assert "TLSv1.2_2021" in str(cfg["ViewerCertificate"])
    for name in ("SecurityHeadersPolicy", "EditingScreenHeadersPolicy", "ApiSecurityHeadersPolicy",
                 "PreviewHeadersPolicy"):
        hsts = sam["Resources"][name]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
            "StrictTransportSecurity"]
        assert hsts["AccessControlMaxAgeSec"] >= 63072000 and hsts["Preload"] is True, name
    logs = sam["Parameters"]["LogBucketDomainName"]
    assert logs["Default"] == ""
    assert "personal link" in logs["Description"] and "bearer credential" in logs["Description"]


def test_ses_reputation_alarms_at_half_of_the_review_thresholds(sam):
    """SES reviews an account at 5 % bounces and 0.1 % complaints: alarm at half, on the configuration
    set and on the account, and a quiet account (no data) is not an alarm."""
    alarms = resources_of(sam, "AWS::CloudWatch::Alarm")
    want = {
        "MailBounceRateAlarm": ("Reputation.BounceRate", 0.025, True),
        "MailComplaintRateAlarm": ("Reputation.ComplaintRate", 0.0005, True),
        "AccountBounceRateAlarm": ("Reputation.BounceRate", 0.025, False),
        "AccountComplaintRateAlarm": ("Reputation.ComplaintRate", 0.0005, False),
    }
    for name, (metric, threshold, on_configuration_set) in want.items():
        alarm = alarms[name]["Properties"]
        assert alarm["Namespace"] == "AWS/SES" and alarm["MetricName"] == metric, name
        assert float(alarm["Threshold"]) == threshold, name
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold", name
        assert alarm["TreatMissingData"] == "notBreaching", name
        if on_configuration_set:
            assert alarm["Dimensions"] == [{"Name": "ses:configuration-set", "Value": ref("MailConfigurationSet")}]
        else:
            assert "Dimensions" not in alarm, name
        assert "failures-and-alarms.md" in str(alarm["AlarmDescription"]), name
    # The configuration set publishes its reputation metrics, or its alarms would never see data.
    config_set = sam["Resources"]["MailConfigurationSet"]["Properties"]
    assert config_set["ReputationOptions"]["ReputationMetricsEnabled"] is True
    runbook = operations_doc("failures-and-alarms.md")
    assert "## SES reputation" in runbook
    for name in want:
        assert name in runbook, f"the runbook does not name {name}"


def test_deploy_script_is_strict_and_has_dry_run():
    text = (ROOT / "infra" / "deploy.sh").read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    for option in ("--dry-run", "--stack-name", "--region", "--domain", "--certificate-arn", "--site-origin",
                   "--rotate-origin-secret", "--waf", "--web-acl-arn", "--mail-from", "--mail-from-domain",
                   "--alarm-email", "--link-key-version"):
        assert option in text
    assert "eu-central-1" in text
    assert os.access(ROOT / "infra" / "deploy.sh", os.X_OK)


def dry_run(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(["bash", str(ROOT / "infra" / "deploy.sh"), "--dry-run", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)


def test_deploy_dry_run_with_the_back_office(tmp_path):
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    result = dry_run(tmp_path, "--console-domain", "beheer.opp.example.nl", "--console-certificate-arn", cert)
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    first = next(line for line in out.splitlines() if line.startswith("+ sam deploy"))
    assert "ConsoleDomainName=beheer.opp.example.nl" in first and f"ConsoleCertificateArn={cert}" in first, first
    assert "ConsoleOidcIssuer" not in out
    refused = dry_run(tmp_path, "--console-domain", "beheer.opp.example.nl")
    assert refused.returncode != 0 and "go together" in refused.stderr
    other = dry_run(tmp_path, "--console-domain", "beheer.opp.example.nl", "--console-certificate-arn", cert,
                    "--console-issuer", "https://login.microsoftonline.com/t/v2.0")
    assert other.returncode != 0 and "--console-client-id" in other.stderr


def test_deploy_dry_run_first_deploy(tmp_path):
    """From another directory; stack assumed new: the stack makes the secret, second pass, upload order."""
    result = dry_run(tmp_path, "--stack-name", "opp-test", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    commands = [line[2:] for line in out.splitlines() if line.startswith("+ ")]

    def index(prefix, start=0):
        return next(i for i, c in enumerate(commands) if i >= start and c.startswith(prefix))

    build = index("env CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat")
    assert "CARGO_PROFILE_RELEASE_PANIC=abort sam build --template infra/template.yaml" in commands[build]
    # One sam build makes both binaries; both must be there before anything is deployed.
    assert "--bin opp-handler" in out and "--bin opp-mailer" in out and "--bin opp-console" in out
    assert "--bin opp-editors" in out
    # No editing screen asked for: nothing published there.
    assert "EditingScreen" not in out and "--editing-bucket" not in out
    built = index("ls -l", build)
    assert commands[built] == ("ls -l target/sam/build/RegistrationFunction/bootstrap "
                               "target/sam/build/MailerFunction/bootstrap target/sam/build/ConsoleFunction/bootstrap "
                               "target/sam/build/EditorsFunction/bootstrap")
    first = index("sam deploy", built)
    assert "--stack-name opp-test" in commands[first] and "--region eu-west-1" in commands[first]
    assert "--no-fail-on-empty-changeset" in commands[first]
    # The secret is the stack's own (GenerateSecretString): no value, no version passed.
    assert "OriginVerifySecret" not in out and "secretsmanager" not in out
    assert "OriginSecretVersionId" not in out
    # The WAF is on by default: its stack in us-east-1 before the site's, its ACL on the distribution.
    waf = index("aws cloudformation deploy --template-file infra/waf.yaml")
    assert "--region us-east-1" in commands[waf] and waf < first
    assert "WebAclArn=\\<WebAclArn\\>" in commands[first]
    assert not any(c.startswith("sleep") for c in commands)
    second = index("sam deploy", first + 1)
    assert "SiteOrigin=https://" in commands[second]
    site = index("cargo run --release -p opp-site --bin opp-site -- build --output public --base-url", second)
    hashed = index("aws s3 sync public/", site)
    assert "immutable" in commands[hashed] and "--include" in commands[hashed]
    assert commands[hashed].count("[0-9a-f") == 8
    rest = index("aws s3 sync public/", hashed + 1)
    assert "max-age=300" in commands[rest] and "--exclude" in commands[rest]
    delete = index("aws s3 sync public/", rest + 1)
    assert "--delete" in commands[delete]
    # After the outputs: the SES identity's DKIM records and the sandbox (read-only queries).
    dkim = index("aws sesv2 get-email-identity --email-identity \\<MailIdentityInUse\\>", second)
    assert "DkimAttributes.Status" in commands[dkim] and "DkimAttributes.Tokens" in commands[dkim + 1]
    assert "._domainkey.<MailIdentityInUse>  CNAME  <token1>.dkim.amazonses.com" in out
    sandbox = index("aws sesv2 get-account", dkim)
    assert "ProductionAccessEnabled" in commands[sandbox] and sandbox < site
    # Nothing about mail is passed on a first deploy without mail options: the template defaults hold.
    assert not any(p in c for c in commands for p in ("MailFromAddress", "MailFromDomain", "AlarmEmail",
                                                       "LinkKeyVersion"))
    inval = index("aws cloudfront create-invalidation", delete)
    assert "/\\*" in commands[inval] or "'/*'" in commands[inval]
    admin = index("cargo run --release -p opp-admin --bin opp-admin --", inval)
    assert "sync-meetings public/meetings.json" in commands[admin]
    assert "--region eu-west-1" in commands[admin]
    import re
    assert not re.search(r"[0-9a-f]{64}", out), "the origin secret leaked into the output"


def test_deploy_dry_run_custom_domain(tmp_path):
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
    result = dry_run(tmp_path, "--domain", "opp.example.nl", "--certificate-arn", arn)
    assert result.returncode == 0, result.stderr
    deploys = [line for line in result.stderr.splitlines() if line.startswith("+ sam deploy")]
    assert len(deploys) == 1, "no second pass when the domain gives the site origin"
    assert "DomainName=opp.example.nl" in deploys[0] and f"AcmCertificateArn={arn}" in deploys[0]
    assert "--region eu-central-1" in deploys[0] and "--stack-name opp-site" in deploys[0]
    # A new domain resets the sender and the MAIL FROM domain (an address at the old domain cannot send).
    assert 'MailFromAddress=\\"\\"' in deploys[0] and 'MailFromDomain=\\"\\"' in deploys[0]


def test_deploy_dry_run_mail_options(tmp_path):
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
    result = dry_run(tmp_path, "--domain", "opp.example.nl", "--certificate-arn", arn,
                     "--mail-from", "aanmelden@opp.example.nl", "--mail-from-domain", "bounce.opp.example.nl",
                     "--alarm-email", "organisatie@example.nl", "--link-key-version", "2")
    assert result.returncode == 0, result.stderr
    (deploy,) = [c for c in commands_of(result) if c.startswith("sam deploy")]
    for item in ("MailFromAddress=aanmelden@opp.example.nl", "MailFromDomain=bounce.opp.example.nl",
                 "AlarmEmail=organisatie@example.nl", "LinkKeyVersion=2"):
        assert item in deploy, item
    assert "opp-admin rekey-links" in result.stderr, "after a new link key version, the re-keying is next"
    removed = dry_run(tmp_path, "--alarm-email", "", "--mail-from-domain", "")
    assert removed.returncode == 0, removed.stderr
    first = [c for c in commands_of(removed) if c.startswith("sam deploy")][0]
    assert 'AlarmEmail=\\"\\"' in first and 'MailFromDomain=\\"\\"' in first
    assert "MailFromAddress" not in first, "not given: the stack keeps its sender"


def commands_of(result):
    return [line[2:] for line in (result.stdout + result.stderr).splitlines() if line.startswith("+ ")]


def test_deploy_dry_run_rotation_has_two_phases(tmp_path):
    """Phase 1 (a new AWSCURRENT), a wait longer than the function's 5-minute refresh, phase 2 (pin)."""
    result = dry_run(tmp_path, "--rotate-origin-secret", "--stack-name", "opp-test")
    assert result.returncode == 0, result.stderr
    commands = commands_of(result)
    put = next(i for i, c in enumerate(commands) if c.startswith("aws secretsmanager put-secret-value"))
    assert "--secret-id \\<OriginSecretArn\\>" in commands[put]
    assert "--secret-string file:///dev/stdin" in commands[put], "the value must not be on the command line"
    sleep = next(i for i, c in enumerate(commands) if c.startswith("sleep "))
    assert put < sleep and int(commands[sleep].split()[1]) > 300
    deploys = [i for i, c in enumerate(commands) if c.startswith("sam deploy")]
    assert len(deploys) == 1 and sleep < deploys[0]
    assert "OriginSecretVersionId=\\<new-version-id\\>" in commands[deploys[0]]
    # It looked for an unfinished rotation first (pinned version vs AWSCURRENT).
    checks = [c for c in commands[:put] if "list-secret-version-ids" in c or "OriginSecretVersionId" in c]
    assert len(checks) == 2
    import re
    assert not re.search(r"[0-9a-f]{64}", result.stdout + result.stderr)


def test_deploy_dry_run_waf_stack_in_us_east_1(tmp_path):
    result = dry_run(tmp_path, "--waf", "--waf-rate-limit", "250", "--stack-name", "opp-test", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    commands = commands_of(result)
    waf = next(i for i, c in enumerate(commands) if c.startswith("aws cloudformation deploy"))
    assert "--template-file infra/waf.yaml" in commands[waf]
    assert "--stack-name opp-test-waf" in commands[waf] and "--region us-east-1" in commands[waf]
    assert "ApiRateLimit=250" in commands[waf]
    arn = next(i for i, c in enumerate(commands) if "describe-stacks --stack-name opp-test-waf" in c)
    first = next(i for i, c in enumerate(commands) if c.startswith("sam deploy"))
    assert waf < arn < first
    assert "WebAclArn=\\<WebAclArn\\>" in commands[first] and "--region eu-west-1" in commands[first]


def test_deploy_dry_run_without_waf(tmp_path):
    result = dry_run(tmp_path, "--no-waf", "--stack-name", "opp-test", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    commands = commands_of(result)
    assert not any("infra/waf.yaml" in c for c in commands)
    # The distribution keeps the web ACL it has: the parameter is not passed.
    assert not any("WebAclArn" in c for c in commands if c.startswith("sam deploy"))


def test_deploy_dry_run_web_acl_arn(tmp_path):
    arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/other/0a1b2c3d-0000-1111-2222-333344445555"
    result = dry_run(tmp_path, "--web-acl-arn", arn)
    assert result.returncode == 0, result.stderr
    (first, _second) = [c for c in commands_of(result) if c.startswith("sam deploy")]
    assert f"WebAclArn={arn}" in first
    assert not any("infra/waf.yaml" in c for c in commands_of(result))
    removed = dry_run(tmp_path, "--web-acl-arn", "")
    assert removed.returncode == 0, removed.stderr
    assert 'WebAclArn=\\"\\"' in [c for c in commands_of(removed) if c.startswith("sam deploy")][0]


def printed_dns_records(result):
    """The records deploy.sh prints under "DNS: the records ... needs": (name, type, value)."""
    lines = (result.stdout + result.stderr).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("==> DNS: the records"))
    records = []
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        name, kind, value = line.strip().split("  ", 2)
        records.append((name, kind, value))
    return records


CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b"


def test_deploy_prints_the_domains_dns_records(tmp_path):
    """A and AAAA aliases, CAA for Amazon, SPF -all on the From domain (SES's own MAIL FROM), DMARC
    quarantine or reject, the DKIM CNAMEs; never a null MX (RFC 7505 §4.3)."""
    result = dry_run(tmp_path, "--domain", "opp.example.nl", "--certificate-arn", CERT)
    assert result.returncode == 0, result.stderr
    records = printed_dns_records(result)
    assert ("opp.example.nl", "A", "ALIAS <DistributionDomainName>") in records
    assert ("opp.example.nl", "AAAA", "ALIAS <DistributionDomainName>") in records
    assert ("opp.example.nl", "CAA", '0 issue "amazon.com"') in records
    assert ("opp.example.nl", "TXT", '"v=spf1 -all"') in records
    dmarc = [v for n, k, v in records if n == "_dmarc.opp.example.nl" and k == "TXT"]
    assert len(dmarc) == 1 and dmarc[0].startswith('"v=DMARC1;')
    assert "p=quarantine" in dmarc[0] or "p=reject" in dmarc[0]
    assert sum(1 for n, k, _ in records if k == "CNAME" and n.endswith("._domainkey.opp.example.nl")) == 3
    assert not any(k == "MX" for _, k, _ in records), "no MX on the From domain: it is the ministry's"
    assert "route53" not in result.stderr, "no zone given: printed only"


def test_deploy_dns_records_with_a_custom_mail_from_domain_and_a_zone(tmp_path):
    result = dry_run(tmp_path, "--domain", "opp.example.nl", "--certificate-arn", CERT,
                     "--mail-from-domain", "bounce.opp.example.nl", "--hosted-zone-id", "Z0123456789ABC",
                     "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    records = printed_dns_records(result)
    assert ("bounce.opp.example.nl", "MX", "10 feedback-smtp.eu-west-1.amazonses.com") in records
    assert ("bounce.opp.example.nl", "TXT", '"v=spf1 include:amazonses.com -all"') in records
    assert not any(n == "opp.example.nl" and v.startswith('"v=spf1') for n, _, v in records)
    for _, kind, value in records:
        if kind == "MX":
            assert not value.split()[-1] in (".", ""), "a null MX"
    change = next(c for c in commands_of(result) if c.startswith("aws route53 change-resource-record-sets"))
    assert "--hosted-zone-id Z0123456789ABC" in change
    assert change.count("UPSERT") == len(records)
    assert change.count("Z2FDTNDATAQYW2") == 2, "A and AAAA alias CloudFront's zone"
    refused = dry_run(tmp_path, "--hosted-zone-id", "not-a-zone")
    assert refused.returncode != 0 and "--hosted-zone-id" in refused.stderr


@pytest.mark.parametrize("args", [
    ["--waf", "--web-acl-arn", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/0a1b"],
    ["--waf-rate-limit", "300", "--no-waf"],
    ["--web-acl-arn", "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/x/0a1b"],
    ["--waf-rate-limit", "5"],
    ["--waf-rate-limit", "many"],
    ["--waf-ip-reputation", "maybe"],
    ["--domain", "opp.example.nl"],
    ["--domain", "opp.example.nl", "--certificate-arn", "arn:aws:acm:eu-central-1:123456789012:certificate/x"],
    ["--site-origin", "http://insecure.example.nl"],
    ["--mail-from", "Landelijk OPP <noreply@opp.example.nl>"],
    ["--mail-from", "noreply@elders.example.nl", "--domain", "opp.example.nl",
     "--certificate-arn", "arn:aws:acm:us-east-1:123456789012:certificate/0a1b"],
    ["--mail-from-domain", "bounce.elders.example.nl", "--domain", "opp.example.nl",
     "--certificate-arn", "arn:aws:acm:us-east-1:123456789012:certificate/0a1b"],
    ["--mail-from-domain", "-bounce"],
    ["--alarm-email", "niet-een-adres"],
    ["--link-key-version", "0"],
    ["--link-key-version", "twee"],
    ["--stack-name"],
    ["--bogus"],
])
def test_deploy_rejects_bad_options(tmp_path, args):
    result = dry_run(tmp_path, *args)
    assert result.returncode != 0
    assert "+ sam deploy" not in result.stderr


def test_content_deploy_role_is_github_oidc_for_production_only(cfn, sam):
    """ContentDeployRole: made only with GitHubRepository, assumed only by that repository's production jobs."""
    params = sam["Parameters"]
    assert params["GitHubRepository"]["Default"] == ""
    assert params["CreateGitHubOidcProvider"]["Default"] == "false"
    assert params["CreateGitHubOidcProvider"]["AllowedValues"] == ["true", "false"]
    role = cfn["Resources"]["ContentDeployRole"]
    assert role["Condition"] == "HasGitHubRepository"
    provider = cfn["Resources"]["GitHubOidcProvider"]
    assert provider["Condition"] == "CreateOidcProvider"
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    federated = trust["Principal"]["Federated"]["Fn::If"]
    assert federated[0] == "CreateOidcProvider" and federated[1] == {"Ref": "GitHubOidcProvider"}
    assert "oidc-provider/token.actions.githubusercontent.com" in federated[2]["Fn::Sub"]
    equals = trust["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    # The customised subject (repo, context, ref, job_workflow_ref): one job of one workflow on main.
    assert equals["token.actions.githubusercontent.com:sub"] == {
        "Fn::Sub": "repo:${GitHubRepository}:environment:production:ref:refs/heads/main"
                   ":job_workflow_ref:${GitHubRepository}/.github/workflows/deploy.yml@refs/heads/main"}
    assert "StringLike" not in trust["Condition"], "no wildcard subjects (pull requests, other branches)"
    output = cfn["Outputs"]["ContentDeployRoleArn"]
    assert output["Condition"] == "HasGitHubRepository"


def test_content_deploy_role_grants_only_the_publishing_steps(cfn):
    """S3 on the site bucket, one invalidation, the two functions' code; DynamoDB is compared with sync's
    real calls in admin/tests/deploy_role.rs. The editing screen's part: test_content_deploy_role_publishes_
    the_editing_screen_only_when_the_stack_has_one."""
    policies = [p for p in cfn["Resources"]["ContentDeployRole"]["Properties"]["Policies"] if "Fn::If" not in p]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    granted = {}
    for s in statements:
        assert s["Effect"] == "Allow"
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        for action in actions:
            assert "*" not in action, action
            granted[action] = s["Resource"]
    non_dynamodb = {a for a in granted if not a.startswith("dynamodb:")}
    assert non_dynamodb == {"s3:ListBucket", "s3:PutObject", "s3:DeleteObject", "cloudfront:CreateInvalidation",
                            "lambda:UpdateFunctionCode"}
    assert granted["s3:ListBucket"] == {"Fn::GetAtt": ["SiteBucket", "Arn"]}
    assert granted["s3:PutObject"] == {"Fn::Sub": "${SiteBucket.Arn}/*"}
    assert "distribution/${Distribution}" in granted["cloudfront:CreateInvalidation"]["Fn::Sub"]
    assert granted["lambda:UpdateFunctionCode"] == [{"Fn::GetAtt": ["RegistrationFunction", "Arn"]},
                                                    {"Fn::GetAtt": ["MailerFunction", "Arn"]}]
    for action, resource in granted.items():
        if action.startswith("dynamodb:"):
            assert resource == {"Fn::GetAtt": ["RegistrationsTable", "Arn"]}, "the table, never its indexes"


def test_content_deploy_role_publishes_the_editing_screen_only_when_the_stack_has_one(cfn):
    """Its bucket's files and its distribution's invalidation, in one policy behind DeployEditingScreen; not the
    editors' function's code (no content is compiled into it: infra/deploy.sh updates it, as the console's)."""
    conditional = [p["Fn::If"] for p in cfn["Resources"]["ContentDeployRole"]["Properties"]["Policies"]
                   if "Fn::If" in p]
    assert len(conditional) == 1, conditional
    (condition, policy, otherwise), = conditional
    assert condition == "DeployEditingScreen" and otherwise == ref("AWS::NoValue")
    assert policy["PolicyName"] == "editing-screen"
    granted = {}
    for st in policy["PolicyDocument"]["Statement"]:
        assert st["Effect"] == "Allow" and "Condition" not in st, st
        for action in as_list(st["Action"]):
            granted[action] = st["Resource"]
    assert granted == {
        "s3:ListBucket": getatt("EditingScreenBucket", "Arn"),
        "s3:PutObject": {"Fn::Sub": "${EditingScreenBucket.Arn}/*"},
        "s3:DeleteObject": {"Fn::Sub": "${EditingScreenBucket.Arn}/*"},
        "cloudfront:CreateInvalidation": {
            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${EditingScreenDistribution}"},
    }
    updates = [st for p in cfn["Resources"]["ContentDeployRole"]["Properties"]["Policies"] if "Fn::If" not in p
               for st in p["PolicyDocument"]["Statement"] if "lambda:UpdateFunctionCode" in as_list(st["Action"])]
    assert all(getatt(EDITORS, "Arn") not in as_list(st["Resource"]) for st in updates)


def publish(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(["bash", str(ROOT / "infra" / "publish-content.sh"), *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)


def test_publish_content_runs_the_content_steps_in_order(tmp_path):
    """What GitHub Actions runs on a merge: with --update-functions both functions' code, then the site."""
    base = ["--region", "eu-west-1", "--site-url", "https://opp.example.nl", "--bucket", "b",
            "--distribution-id", "E123", "--table", "t"]
    result = publish(tmp_path, *base, "--update-functions", "--function", "fn", "--mailer-function", "mail",
                     "--dry-run")
    assert result.returncode == 0, result.stderr
    commands = [line[2:] for line in result.stderr.splitlines() if line.startswith("+ ")]
    kinds = [c.split(" -- ")[0] if c.startswith("cargo run") else " ".join(c.split()[:3]) for c in commands]
    assert kinds == [
        "cargo run --release -p opp-site --bin opp-site",
        "mkdir -p public/admin/decap",
        "find browser/node_modules/decap-cms/dist -maxdepth",
        "env CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat",
        "aws lambda update-function-code",
        "env CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat",
        "aws lambda update-function-code",
        "aws s3 sync", "aws s3 sync", "aws s3 cp", "aws s3 sync",
        "aws cloudfront create-invalidation",
        "cargo run --release -p opp-admin --bin opp-admin",
    ], commands
    # The editing screen (admin/) never reaches the site's bucket: every sync there leaves it out, last (the
    # last matching filter decides).
    syncs = [c for c in commands if c.startswith("aws s3 sync")]
    assert len(syncs) == 3
    for sync in syncs:
        assert "s3://b/" in sync, sync
        words = sync.split()
        last_filter = max(i for i, word in enumerate(words) if word in ("--exclude", "--include"))
        assert words[last_filter:last_filter + 2] == ["--exclude", "admin/\\*"], sync
    assert not any("admin" in c for c in commands if c.startswith(("aws s3 cp", "aws s3 rm")))
    assert "--base-url https://opp.example.nl" in commands[0]
    assert "-name \\*.js" in commands[2] and "-name \\*.wasm" in commands[2], commands[2]
    assert "--bin opp-handler --output-format zip" in commands[3] and "--arm64" in commands[3]
    assert "--function-name fn" in commands[4] and "fileb://target/lambda/opp-handler/bootstrap.zip" in commands[4]
    assert "--function-name mail" in commands[6] and "opp-mailer/bootstrap.zip" in commands[6]
    assert "sync-meetings public/meetings.json" in commands[-1] and "--table t" in commands[-1]
    # RFC 9116: security.txt as text/plain with its charset, after the sync that would send it without one.
    security = next(c for c in commands if c.startswith("aws s3 cp"))
    assert ".well-known/security.txt" in security and "--content-type text/plain\\;\\ charset=utf-8" in security, security
    without = publish(tmp_path, *base, "--skip-meetings", "--dry-run")
    assert without.returncode == 0, without.stderr
    assert "lambda" not in without.stderr and "opp-admin" not in without.stderr
    for missing, option in ((base[2:], "--region"), (base[:8], "--table")):
        refused = publish(tmp_path, *missing, "--dry-run")
        assert refused.returncode != 0 and f"{option} is required" in refused.stderr, refused.stderr
    refused = publish(tmp_path, *base, "--update-functions", "--dry-run")
    assert refused.returncode != 0 and "--mailer-function" in refused.stderr


def test_publish_content_puts_the_editing_screen_on_its_own_origin(tmp_path):
    """--editing-bucket and --editing-distribution-id: what the old layout left under admin/ in the site's bucket
    goes, admin/ goes to the root of the editing screen's bucket (no-cache, --delete), and its distribution is
    invalidated too. Both flags or neither."""
    base = ["--region", "eu-west-1", "--site-url", "https://opp.example.nl", "--bucket", "b",
            "--distribution-id", "E123", "--table", "t", "--skip-meetings"]
    result = publish(tmp_path, *base, "--editing-bucket", "eb", "--editing-distribution-id", "E9", "--dry-run")
    assert result.returncode == 0, result.stderr
    commands = [line[2:] for line in result.stderr.splitlines() if line.startswith("+ ")]
    kinds = [" ".join(c.split()[:3]) for c in commands if c.startswith("aws ")]
    assert kinds == ["aws s3 sync", "aws s3 sync", "aws s3 cp", "aws s3 sync", "aws s3 rm", "aws s3 sync",
                     "aws cloudfront create-invalidation", "aws cloudfront create-invalidation"], commands
    site_syncs = [c for c in commands if c.startswith("aws s3 sync public/ ")]
    assert len(site_syncs) == 3 and all("--exclude admin/\\*" in c and "s3://eb" not in c for c in site_syncs)
    (rm,) = [c for c in commands if c.startswith("aws s3 rm")]
    assert rm.startswith("aws s3 rm s3://b/admin/ --recursive"), rm
    (editing,) = [c for c in commands if c.startswith("aws s3 sync public/admin/")]
    assert editing.startswith("aws s3 sync public/admin/ s3://eb/ "), editing
    assert "--delete" in editing and "--cache-control no-cache" in editing and "--exclude" not in editing
    invalidations = [c for c in commands if c.startswith("aws cloudfront create-invalidation")]
    assert "--distribution-id E123" in invalidations[0] and "--distribution-id E9" in invalidations[1]
    assert all("--paths /\\*" in c for c in invalidations), invalidations
    # The site is finished before the editing screen's copy there goes.
    assert commands.index(rm) > commands.index(site_syncs[-1])
    for only in (["--editing-bucket", "eb"], ["--editing-distribution-id", "E9"]):
        refused = publish(tmp_path, *base, *only, "--dry-run")
        assert refused.returncode != 0 and "go together" in refused.stderr, refused.stderr
        assert "+ aws" not in refused.stderr
    refused = publish(tmp_path, "--build-only", "out", "--site-url", "https://opp.example.nl",
                      "--editing-bucket", "eb", "--editing-distribution-id", "E9", "--dry-run")
    assert refused.returncode != 0
    # The help names both flags.
    helped = publish(tmp_path, "--help")
    assert helped.returncode == 0 and "--editing-bucket EB --editing-distribution-id ED" in helped.stdout
    assert helped.stdout.rstrip().endswith("checks sync's part)."), helped.stdout


def test_publish_content_builds_without_credentials_and_deploys_without_building(tmp_path):
    """The workflow's two halves: --build-only makes the site, the zips asked for and opp-admin, and calls
    no AWS; --from-build calls AWS and builds nothing (no cargo, no npm, no pip)."""
    built = publish(tmp_path, "--build-only", "out", "--site-url", "https://opp.example.nl",
                    "--update-functions", "--only", "opp-mailer", "--dry-run")
    assert built.returncode == 0, built.stderr
    commands = [line[2:] for line in built.stderr.splitlines() if line.startswith("+ ")]
    assert not any(c.startswith("aws ") for c in commands), commands
    assert any("--bin opp-mailer" in c for c in commands)
    assert not any("--bin opp-handler" in c for c in commands), "only the function asked for"
    assert any(c.startswith("cargo build --release --locked -p opp-admin") for c in commands)
    out = tmp_path / "out"
    assert any(c.endswith(f"{out}/lambda/opp-mailer.zip") for c in commands), commands
    # The deploy half, from a build folder that holds the mailer's zip only.
    (out / "public").mkdir(parents=True)
    (out / "lambda").mkdir()
    (out / "lambda" / "opp-mailer.zip").write_bytes(b"zip")
    deployed = publish(tmp_path, "--from-build", "out", "--region", "eu-west-1", "--bucket", "b",
                       "--distribution-id", "E1", "--table", "t", "--function", "fn", "--mailer-function", "mail",
                       "--dry-run")
    assert deployed.returncode == 0, deployed.stderr
    commands = [line[2:] for line in deployed.stderr.splitlines() if line.startswith("+ ")]
    assert not any(c.startswith(("cargo", "npm", "pip", "env CARGO")) for c in commands), commands
    updates = [c for c in commands if c.startswith("aws lambda update-function-code")]
    assert len(updates) == 1 and "--function-name mail" in updates[0] and f"{out}/lambda/opp-mailer.zip" in updates[0]
    assert commands[-1].startswith(f"{out}/bin/opp-admin ") and "sync-meetings --details-only" in commands[-1]
    both = publish(tmp_path, "--build-only", "x", "--from-build", "out", "--dry-run")
    assert both.returncode != 0 and "give one of them" in both.stderr


def test_changed_functions_follows_each_functions_sources(tmp_path):
    """infra/changed-functions.sh names a function when one of its sources changed, both for an unknown base,
    and its lists hold every path dependency of each function's crate."""
    import re
    script = (ROOT / "infra" / "changed-functions.sh").read_text(encoding="utf-8")
    lists = {name: re.search(rf"^{name}=\(([^)]*)\)", script, re.M).group(1).split()
             for name in ("COMMON", "HANDLER", "MAILER")}
    for crate, own in (("handler", "HANDLER"), ("mailer", "MAILER")):
        manifest = (ROOT / crate / "Cargo.toml").read_text(encoding="utf-8")
        dependencies = manifest.split("[dependencies]")[1].split("\n[")[0]
        for path in re.findall(r'path = "\.\./([a-z-]+)"', dependencies):
            assert path in lists["COMMON"] + lists[own], f"{crate} depends on {path}, which the script does not watch"
        assert crate in lists[own]
    repo = tmp_path / "repo"
    repo.mkdir()
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True, text=True).stdout  # noqa: E731
    git("init", "-q")
    git("config", "user.email", "t@example.nl")
    git("config", "user.name", "t")
    (repo / "infra").mkdir()
    shutil.copy(ROOT / "infra" / "changed-functions.sh", repo / "infra")
    for path in ("theme/emails/a.txt", "theme/templates/a.html", "theme/static/css/a.css", "content/a.md",
                 "model/src/lib.rs", "handler/src/lib.rs", "mailer/src/lib.rs"):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("1")
    git("add", "-A")
    git("commit", "-qm", "one")

    def after_changing(path):
        before = git("rev-parse", "HEAD").strip()
        (repo / path).write_text((repo / path).read_text() + "2")
        git("commit", "-qam", path)
        out = subprocess.run(["bash", "infra/changed-functions.sh", before, "HEAD"], cwd=repo, check=True,
                             capture_output=True, text=True).stdout
        return out.split()

    assert after_changing("content/a.md") == []
    assert after_changing("theme/static/css/a.css") == []
    assert after_changing("theme/emails/a.txt") == ["opp-mailer"]
    assert after_changing("theme/templates/a.html") == ["opp-handler"]
    assert after_changing("handler/src/lib.rs") == ["opp-handler"]
    assert after_changing("model/src/lib.rs") == ["opp-handler", "opp-mailer"]
    unknown = subprocess.run(["bash", "infra/changed-functions.sh", "0" * 40, "HEAD"], cwd=repo, check=True,
                             capture_output=True, text=True).stdout.split()
    assert unknown == ["opp-handler", "opp-mailer"]


def test_deploy_workflow_matches_the_role(cfn):
    """.github/workflows/deploy.yml: the environment the role trusts, OIDC, one deploy at a time, the nightly run."""
    import yaml
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"] == [{"cron": "10 23 * * *"}], "just after midnight in Amsterdam, winter and summer"
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {}
    assert workflow["concurrency"] == {"group": "deploy-content", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    trust = cfn["Resources"]["ContentDeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    subject = trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]["Fn::Sub"]
    assert f":environment:{deploy['environment']}:" in subject
    assert subject.endswith(":job_workflow_ref:${GitHubRepository}/.github/workflows/deploy.yml@refs/heads/main")
    # The build job has no token and no environment; every build step runs there.
    assert build["permissions"] == {"contents": "read"} and "environment" not in build
    assert "id-token" not in str(build)
    assert "--build-only" in build["steps"][-2]["run"]
    assert build["steps"][-1]["with"]["include-hidden-files"] is True, ".well-known/security.txt"
    # The deploy job: the token, the role, and no build (no cargo, npm, pip, rustup).
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}
    steps = deploy["steps"]
    for step in steps:
        assert not any(tool in step.get("run", "") for tool in ("cargo ", "npm ", "pip ", "rustup ")), step
    assume = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert assume["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    assert not any("aws-access-key-id" in s.get("with", {}) for s in steps), "no long-lived keys"
    publish = steps[-1]["run"]
    assert "bash infra/publish-content.sh --from-build" in publish
    # The editing screen's bucket and distribution from the repository variables, passed only when set.
    assert deploy["env"]["EDITING_BUCKET"] == "${{ vars.EDITING_BUCKET }}"
    assert deploy["env"]["EDITING_DISTRIBUTION_ID"] == "${{ vars.EDITING_DISTRIBUTION_ID }}"
    assert '--editing-bucket "$EDITING_BUCKET" --editing-distribution-id "$EDITING_DISTRIBUTION_ID"' in publish
    assert 'if [ -n "$EDITING_BUCKET" ]' in publish
    pull_request = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yml").read_text(encoding="utf-8"))
    assert pull_request["permissions"] == {}
    assert all(j["permissions"] == {"contents": "read"} for j in pull_request["jobs"].values())
    assert "id-token" not in str(pull_request), "pull requests get no AWS role"


def test_the_editing_screen_has_its_own_csp_and_the_public_pages_keep_theirs(sam):
    """The editing screen (Decap CMS) is on its own distribution with exactly the policy opp-site serve and
    cargo dev --cms send it with (model/src/cdn.rs); the public distribution has no /admin/* and every path
    there stays strict; /oauth/* (the editors' sign-in) has no headers policy: the function sends its own."""
    import re
    source = (ROOT / "model" / "src" / "cdn.rs").read_text(encoding="utf-8")
    expected = re.search(r'pub const EDITING_SCREEN_CSP: &str = "([^"]+)";', source).group(1)
    cfg = sam["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    behaviours = {b["PathPattern"]: b for b in cfg["CacheBehaviors"]}
    assert not any(p.startswith("/admin") for p in behaviours), "no editing screen on the public origin"
    public = [cfg["DefaultCacheBehavior"], *behaviours.values()]
    assert all(b["ResponseHeadersPolicyId"] != ref("EditingScreenHeadersPolicy") for b in public)
    assert all(o["Id"] in ("site-bucket", "registration-api") for o in cfg["Origins"])
    policies = {name: sam["Resources"][name]["Properties"]["ResponseHeadersPolicyConfig"]
                for name in ("EditingScreenHeadersPolicy", "SecurityHeadersPolicy", "ApiSecurityHeadersPolicy")}
    assert "AdminSecurityHeadersPolicy" not in sam["Resources"]
    assert policies["EditingScreenHeadersPolicy"]["Name"] == {"Fn::Sub": "${AWS::StackName}-editing-screen-headers"}
    csp = {name: p["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
           for name, p in policies.items()}
    assert csp["EditingScreenHeadersPolicy"] == expected, "template and model/src/cdn.rs disagree"
    for name in ("SecurityHeadersPolicy", "ApiSecurityHeadersPolicy"):
        assert "unsafe" not in csp[name] and "api.github.com" not in csp[name], (name, csp[name])
    assert "script-src 'self';" in csp["SecurityHeadersPolicy"]
    headers = {h["Header"]: h["Value"] for h in policies["EditingScreenHeadersPolicy"]["CustomHeadersConfig"]["Items"]}
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups", "the sign-in popup"
    assert headers["X-Robots-Tag"] == "noindex"
    # Only the editing screen's distribution uses the policy, on its files (the default behaviour).
    users = [name for name, dist in resources_of(sam, "AWS::CloudFront::Distribution").items()
             if ref("EditingScreenHeadersPolicy") in walk(dist)]
    assert users == ["EditingScreenDistribution"]
    editing = sam["Resources"]["EditingScreenDistribution"]["Properties"]["DistributionConfig"]
    default = editing["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "editing-screen-bucket"
    assert default["ResponseHeadersPolicyId"] == ref("EditingScreenHeadersPolicy")
    assert set(default["AllowedMethods"]) == {"GET", "HEAD"}
    assert editing["DefaultRootObject"] == "index.html"
    (oauth,) = editing["CacheBehaviors"]
    assert oauth["PathPattern"] == "/oauth/*" and oauth["TargetOriginId"] == "editors-api"
    assert "ResponseHeadersPolicyId" not in oauth, "the function sends its own headers (COOP unsafe-none)"
    assert oauth["CachePolicyId"] == CACHING_DISABLED
    assert oauth["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert oauth["AllowedMethods"] == ["GET", "HEAD"] and oauth["CachedMethods"] == ["GET", "HEAD"]
    assert oauth["ViewerProtocolPolicy"] == "redirect-to-https"
    origins = {o["Id"]: o for o in editing["Origins"]}
    assert set(origins) == {"editing-screen-bucket", "editors-api"}
    api = origins["editors-api"]
    assert api["DomainName"] == {"Fn::Sub": "${EditorsHttpApi}.execute-api.${AWS::Region}.amazonaws.com"}
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    # The origin secret exactly as the site's and the back office's distributions send it.
    (header,) = api["OriginCustomHeaders"]
    site_api = next(o for o in cfg["Origins"] if o["Id"] == "registration-api")
    console = sam["Resources"]["ConsoleDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert header == site_api["OriginCustomHeaders"][0] == console["OriginCustomHeaders"][0]
    assert header["HeaderName"] == "X-Origin-Verify"
    bucket = origins["editing-screen-bucket"]
    assert bucket["DomainName"] == getatt("EditingScreenBucket", "RegionalDomainName")
    assert bucket["OriginAccessControlId"] == getatt("EditingScreenOriginAccessControl", "Id")
    assert bucket["S3OriginConfig"] == {"OriginAccessIdentity": ""}


# --------------------------------------------------------------------------------------------
# The editing screen on its own origin (docs/operations/editing-screen.md)
# --------------------------------------------------------------------------------------------

def test_editing_screen_resources_exist_only_with_its_domain(sam):
    editing = {name: res for name, res in sam["Resources"].items() if is_editing(name)}
    assert set(editing) == {
        "EditingScreenBucket", "EditingScreenBucketPolicy", "EditingScreenOriginAccessControl",
        "EditingScreenDistribution", "EditorsApiAccessLogGroup", "EditorsHttpApi", "EditorsIntegration",
        "EditorsOAuthRoute", "EditorsStage", "EditorsInvokePermission", "EditorsFunctionLogGroup",
        "EditorsFunctionRole", "EditorsFunction"}
    for name, res in editing.items():
        assert res.get("Condition") == "DeployEditingScreen", name
    assert sam["Conditions"]["DeployEditingScreen"] == {"Fn::And": [
        {"Fn::Not": [{"Fn::Equals": [ref("EditingDomainName"), ""]}]},
        {"Fn::Not": [{"Fn::Equals": [ref("EditingCertificateArn"), ""]}]}]}
    for output in ("EditingScreenUrl", "EditingScreenBucketName", "EditingScreenDistributionId",
                   "EditorsFunctionName", "EditingScreenDistributionDomainName"):
        assert sam["Outputs"][output]["Condition"] == "DeployEditingScreen", output
    assert sam["Outputs"]["EditingScreenBucketName"]["Value"] == ref("EditingScreenBucket")
    assert sam["Outputs"]["EditingScreenDistributionId"]["Value"] == ref("EditingScreenDistribution")
    assert sam["Outputs"]["EditorsFunctionName"]["Value"] == ref(EDITORS)
    assert sam["Outputs"]["EditingScreenUrl"]["Value"] == {"Fn::Sub": "https://${EditingDomainName}/"}


def test_editing_screen_parameters_and_rules(sam):
    import re
    params = sam["Parameters"]
    for name in ("EditingDomainName", "EditingCertificateArn", "EditingGitHubClientId",
                 "EditingGitHubClientSecretName"):
        assert params[name]["Default"] == "", name
    assert params["EditingScopes"]["Default"] == "public_repo"
    assert params["EditingDomainName"]["AllowedPattern"] == params["ConsoleDomainName"]["AllowedPattern"]
    assert params["EditingCertificateArn"]["AllowedPattern"] == params["ConsoleCertificateArn"]["AllowedPattern"]
    assert re.fullmatch(params["EditingDomainName"]["AllowedPattern"], "redactie.opp.example.nl")
    assert re.fullmatch(params["EditingGitHubClientSecretName"]["AllowedPattern"], "opp/editing/github-client-secret")
    for scopes in ("public_repo", "repo", "public_repo,read:org"):
        assert re.fullmatch(params["EditingScopes"]["AllowedPattern"], scopes), scopes
    assert not re.fullmatch(params["EditingScopes"]["AllowedPattern"], "")
    rule = sam["Rules"]["EditingDomainNeedsCertificateAndClient"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [ref("EditingDomainName"), ""]}]}
    needed = {a["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"] for a in rule["Assertions"]}
    assert needed == {"EditingCertificateArn", "EditingGitHubClientId", "EditingGitHubClientSecretName"}


def test_editors_role_reads_only_its_two_secrets_and_writes_only_its_logs(sam, cfn):
    """No DynamoDB, no SES, no other secret, no wildcard: the sign-in needs the origin secret (CloudFront's
    header), the GitHub client secret (the token exchange) and its own log group."""
    for template in (sam, cfn):
        text = json.dumps(template["Resources"][EDITORS_ROLE]["Properties"]["Policies"])
        assert "dynamodb" not in text.lower() and "RegistrationsTable" not in text
        assert "ses:" not in text and "LinkKeySecret" not in text and "sqs:" not in text
        grants = grants_of(template, EDITORS_ROLE)
        assert grants == {
            key(ref(ORIGIN_SECRET)): {"secretsmanager:GetSecretValue"},
            key(GITHUB_CLIENT_SECRET_ARN): {"secretsmanager:GetSecretValue"},
            key(getatt("EditorsFunctionLogGroup", "Arn")): {"logs:CreateLogStream", "logs:PutLogEvents"},
        }, grants
        for _, actions, resources in statements_of(template, EDITORS_ROLE):
            for value in walk([actions, resources]):
                assert not (isinstance(value, str) and "*" in value), value
    (st,) = sam["Resources"][EDITORS_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert st["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_editors_function_has_its_settings(sam):
    fn = sam["Resources"][EDITORS]
    props = fn["Properties"]
    assert fn["Metadata"]["BuildMethod"] == "rust-cargolambda"
    assert fn["Metadata"]["BuildProperties"] == {"Binary": "opp-editors"}
    assert (props["Runtime"], props["Architectures"], props["Handler"], props["CodeUri"]) == (
        "provided.al2023", ["arm64"], "bootstrap", "..")
    assert props["Role"] == getatt(EDITORS_ROLE, "Arn")
    assert props["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-editors"}
    assert props["LoggingConfig"]["LogGroup"] == ref("EditorsFunctionLogGroup")
    group = sam["Resources"]["EditorsFunctionLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${AWS::StackName}-editors"}
    assert props["ReservedConcurrentExecutions"] >= 1
    assert "Events" not in props, "plain API Gateway resources, as the console's"
    env = props["Environment"]["Variables"]
    assert env == {
        "EDITING_ORIGIN": {"Fn::Sub": "https://${EditingDomainName}"},
        "GITHUB_CLIENT_ID": ref("EditingGitHubClientId"),
        "GITHUB_CLIENT_SECRET_ARN": ref("EditingGitHubClientSecretName"),
        "EDITOR_SCOPES": ref("EditingScopes"),
        "ORIGIN_SECRET_ARN": ref(ORIGIN_SECRET),
        "RUST_LOG": "info",
    }
    # The binary reads exactly these (clap's env names).
    binary = (ROOT / "editors" / "src" / "bin" / "opp-editors.rs").read_text(encoding="utf-8")
    for name in env:
        if name != "RUST_LOG":
            assert f'env = "{name}"' in binary, name
    # Neither the public function nor the back office gains anything from it.
    others = json.dumps([sam["Resources"][n] for n in (HANDLER, HANDLER_ROLE, CONSOLE, CONSOLE_ROLE)])
    assert "Editing" not in others and "Editors" not in others


def test_editors_api_routes_only_get_below_oauth_to_the_editors_function(sam):
    routes = {name: r["Properties"] for name, r in resources_of(sam, "AWS::ApiGatewayV2::Route").items()
              if r["Properties"]["ApiId"] == ref("EditorsHttpApi")}
    assert [r["RouteKey"] for r in routes.values()] == ["GET /oauth/{proxy+}"]
    assert all(r["Target"] == {"Fn::Sub": "integrations/${EditorsIntegration}"} for r in routes.values())
    integration = sam["Resources"]["EditorsIntegration"]["Properties"]
    assert integration["IntegrationUri"] == getatt(EDITORS, "Arn")
    assert integration["PayloadFormatVersion"] == "2.0"
    perm = sam["Resources"]["EditorsInvokePermission"]["Properties"]
    assert perm["FunctionName"] == ref(EDITORS) and perm["Principal"] == "apigateway.amazonaws.com"
    assert "${EditorsHttpApi}" in perm["SourceArn"]["Fn::Sub"]
    stage = sam["Resources"]["EditorsStage"]["Properties"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    log_format = stage["AccessLogSettings"]["Format"]
    for leak in ("$context.path", "sourceIp", "userAgent", "querystring"):
        assert leak not in log_format, leak
    assert stage["AccessLogSettings"]["DestinationArn"] == getatt("EditorsApiAccessLogGroup", "Arn")


def test_editing_screen_bucket_is_private_and_read_only_by_its_distribution(sam):
    site, editing = (sam["Resources"][n]["Properties"] for n in ("SiteBucket", "EditingScreenBucket"))
    for prop in ("PublicAccessBlockConfiguration", "OwnershipControls", "BucketEncryption",
                 "VersioningConfiguration"):
        assert editing[prop] == site[prop], prop
    assert sam["Resources"]["EditingScreenBucket"]["DeletionPolicy"] == "Retain"
    policy = sam["Resources"]["EditingScreenBucketPolicy"]["Properties"]
    assert policy["Bucket"] == ref("EditingScreenBucket")
    allow, deny = policy["PolicyDocument"]["Statement"]
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Sub": "${EditingScreenBucket.Arn}/*"}
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith("distribution/${EditingScreenDistribution}")
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    oac = sam["Resources"]["EditingScreenOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3", "always", "sigv4")


def test_editing_screen_distribution_settings(sam):
    config = sam["Resources"]["EditingScreenDistribution"]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [ref("EditingDomainName")]
    assert config["ViewerCertificate"] == {"AcmCertificateArn": ref("EditingCertificateArn"),
                                           "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
    assert (config["HttpVersion"], config["PriceClass"], config["IPV6Enabled"]) == ("http2and3", "PriceClass_100", True)
    assert config["WebACLId"] == {"Fn::If": ["HasWebAcl", ref("WebAclArn"), ref("AWS::NoValue")]}
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == ref("HtmlCachePolicy")
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    assert set(errors) >= CLOUDFRONT_CACHED_ERRORS
    for code, entry in errors.items():
        assert entry == {"ErrorCode": code, "ErrorCachingMinTTL": 0}, "no error answer kept, none replaced"
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https" and behaviour["Compress"] is True


def test_deploy_dry_run_with_the_editing_screen(tmp_path):
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    editing = ["--editing-domain", "redactie.opp.example.nl", "--editing-certificate-arn", cert]
    client = ["--editing-github-client-id", "Iv1.0123456789abcdef",
              "--editing-github-client-secret-name", "opp/editing/github-client-secret"]
    result = dry_run(tmp_path, *editing, *client)
    assert result.returncode == 0, result.stderr
    commands = commands_of(result)
    first = next(c for c in commands if c.startswith("sam deploy"))
    for item in ("EditingDomainName=redactie.opp.example.nl", f"EditingCertificateArn={cert}",
                 "EditingGitHubClientId=Iv1.0123456789abcdef",
                 "EditingGitHubClientSecretName=opp/editing/github-client-secret"):
        assert item in first, item
    # The content: admin/ to the editing screen's bucket from the stack's outputs, and its invalidation.
    (editing_sync,) = [c for c in commands if c.startswith("aws s3 sync public/admin/")]
    assert "s3://\\<EditingScreenBucketName\\>/" in editing_sync, editing_sync
    assert any(c.startswith("aws cloudfront create-invalidation --distribution-id \\<EditingScreenDistributionId\\>")
               for c in commands)
    for args, message in (
            (editing[:2], "go together"),
            ([*editing, client[0], client[1]], "go together"),
            (editing, "--editing-github-client-id"),
            (["--editing-domain", "redactie.opp.example.nl", "--editing-certificate-arn",
              "arn:aws:acm:eu-west-1:123456789012:certificate/x", *client], "us-east-1"),
            ([*editing, client[0], client[1], client[2],
              "arn:aws:secretsmanager:eu-central-1:123456789012:secret:x-AbCdEf"], "not its ARN")):
        refused = dry_run(tmp_path, *args)
        assert refused.returncode != 0 and message in refused.stderr, (args, refused.stderr)
        assert "+ sam deploy" not in refused.stderr


# --------------------------------------------------------------------------------------------
# The back office (opp-console, docs/operations/console.md)
# --------------------------------------------------------------------------------------------

def test_console_resources_exist_only_with_its_domain(sam):
    console = {name: res for name, res in sam["Resources"].items() if is_console(name)}
    assert {"ConsoleFunction", "ConsoleFunctionRole", "ConsoleHttpApi", "ConsoleDistribution",
            "ConsoleUserPool", "ConsoleUserPoolClient", "ConsoleClientSecret"} <= set(console)
    for name, res in console.items():
        assert res.get("Condition") in {"DeployConsole", "UseConsoleCognito"}, name
    for output in ("ConsoleUrl", "ConsoleDistributionDomainName", "ConsoleUserPoolId", "ConsoleFunctionName"):
        assert sam["Outputs"][output]["Condition"] in {"DeployConsole", "UseConsoleCognito"}, output


def test_console_user_pool_admits_only_admin_created_users_with_totp(sam):
    pool = sam["Resources"]["ConsoleUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    for rule in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"):
        assert policy[rule] is True, rule
    assert pool["DeletionProtection"] == "ACTIVE"


def test_console_client_uses_the_code_flow_and_returns_to_its_own_origin(sam):
    client = sam["Resources"]["ConsoleUserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["GenerateSecret"] is True
    assert client["CallbackURLs"] == [{"Fn::Sub": "https://${ConsoleDomainName}/aanmelden/klaar"}]
    assert client["LogoutURLs"] == [{"Fn::Sub": "https://${ConsoleDomainName}/afgemeld"}]
    assert "openid" in client["AllowedOAuthScopes"]
    groups = {sam["Resources"][g]["Properties"]["GroupName"]["Ref"] for g in ("ConsoleManagerGroup", "ConsoleDoorGroup")}
    assert groups == {"ConsoleManagerValue", "ConsoleDoorValue"}
    assert sam["Parameters"]["ConsoleRoleClaim"]["Default"] == "cognito:groups"


def test_console_role_adds_audit_entries_but_never_changes_them_and_sends_no_mail(cfn):
    role = cfn["Resources"][CONSOLE_ROLE]["Properties"]
    statements = [st["Fn::If"][1] if "Fn::If" in st else st
                  for pol in role["Policies"] for st in as_list(pol["PolicyDocument"]["Statement"])]
    actions = {a for st in statements if st["Effect"] == "Allow" for a in as_list(st["Action"])}
    assert not any(a.startswith(("ses:", "sesv2:")) for a in actions), "mail only through items the mailer sends"
    assert "dynamodb:Scan" not in actions
    (deny,) = [st for st in statements if st["Effect"] == "Deny"]
    assert set(deny["Action"]) >= {"dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    assert deny["Condition"] == {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}}


def test_console_function_has_its_settings_and_the_public_function_gains_nothing(sam):
    env = sam["Resources"][CONSOLE]["Properties"]["Environment"]["Variables"]
    assert {"TABLE_NAME", "CONSOLE_ORIGIN", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET_ARN",
            "OIDC_ROLE_CLAIM", "ORIGIN_SECRET_ARN", "LINK_KEY_ARN", "AUDIT_DAYS"} <= set(env)
    assert env["CONSOLE_ORIGIN"] == {"Fn::Sub": "https://${ConsoleDomainName}"}
    assert sam["Resources"][CONSOLE]["Metadata"]["BuildProperties"] == {"Binary": "opp-console"}
    handler_text = json.dumps(sam["Resources"][HANDLER_ROLE]) + json.dumps(sam["Resources"][HANDLER])
    assert "Console" not in handler_text and "AUDIT" not in handler_text


def test_console_distribution_reaches_only_the_consoles_api_and_caches_nothing(sam):
    config = sam["Resources"]["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::Sub": "${ConsoleHttpApi}.execute-api.${AWS::Region}.amazonaws.com"}
    assert [h["HeaderName"] for h in origin["OriginCustomHeaders"]] == ["X-Origin-Verify"]
    assert "CacheBehaviors" not in config
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["TargetOriginId"] == origin["Id"]
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Aliases"] == [{"Ref": "ConsoleDomainName"}]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"


def test_console_api_sends_every_path_to_the_console_function_only(sam):
    routes = {r["Properties"]["RouteKey"] for r in resources_of(sam, "AWS::ApiGatewayV2::Route").values()
              if r["Properties"]["ApiId"] == ref("ConsoleHttpApi")}
    assert routes == {"ANY /", "ANY /{proxy+}"}
    integration = sam["Resources"]["ConsoleIntegration"]["Properties"]
    assert integration["IntegrationUri"] == getatt(CONSOLE, "Arn")
    perm = sam["Resources"]["ConsoleInvokePermission"]["Properties"]
    assert perm["FunctionName"] == ref(CONSOLE) and perm["Principal"] == "apigateway.amazonaws.com"
    stage = sam["Resources"]["ConsoleStage"]["Properties"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert "$context.path" not in stage["AccessLogSettings"]["Format"]
    assert "$context.identity.sourceIp" not in stage["AccessLogSettings"]["Format"]


# --------------------------------------------------------------------------------------------
# Previews of pull requests (docs/operations/previews.md, .github/workflows/preview.yml)
# --------------------------------------------------------------------------------------------

PREVIEW_WORKFLOW = ROOT / ".github" / "workflows" / "preview.yml"
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
REPOSITORY = "ocw-opp/landelijk-opp-site"  # any owner/name: the subjects below are built for it


def preview_workflow():
    import yaml
    return yaml.safe_load(PREVIEW_WORKFLOW.read_text(encoding="utf-8"))


def iam_like(pattern, value):
    """IAM's StringLike: * is any run of characters (':' and '/' included), ? one character."""
    import re
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S) is not None


def subjects_of(role, operator):
    """The sub values a role's trust accepts with one condition operator, for REPOSITORY."""
    (trust,) = as_list(role["Properties"]["AssumeRolePolicyDocument"]["Statement"])
    values = trust["Condition"].get(operator, {}).get("token.actions.githubusercontent.com:sub", [])
    return [v["Fn::Sub"].replace("${GitHubRepository}", REPOSITORY) for v in as_list(values)]


def accepts(role, subject):
    return (any(v == subject for v in subjects_of(role, "StringEquals"))
            or any(iam_like(v, subject) for v in subjects_of(role, "StringLike")))


def documented_claim_keys():
    """The repository's subject template as docs/operations/publishing-from-github.md sets it (once, for
    ContentDeployRole); it holds for every workflow of the repository, the preview workflow's included."""
    import re
    text = operations_doc("publishing-from-github.md")
    command = text[text.index("actions/oidc/customization/sub"):]
    command = command[:command.index("```")]
    return re.findall(r"include_claim_keys\[\]=([a-z_]+)", command)


def github_subject(keys, *, context, ref, workflow, repository=REPOSITORY):
    """The sub claim GitHub issues to a job under a customised template: each key's claim, in the template's
    order; context is the default subject's part (environment:NAME, pull_request or ref:REF)."""
    parts = []
    for k in keys:
        if k == "repo":
            parts.append(f"repo:{repository}")
        elif k == "context":
            parts.append(context)
        elif k == "ref":
            parts.append(f"ref:{ref}")
        elif k == "job_workflow_ref":
            parts.append(f"job_workflow_ref:{repository}/.github/workflows/{workflow}@{ref}")
        else:
            raise AssertionError(f"claim key {k} not modelled here")
    return ":".join(parts)


def test_preview_resources_exist_only_with_previews(sam):
    previews = {name: res for name, res in sam["Resources"].items() if is_preview(name)}
    assert set(previews) == {"PreviewBucket", "PreviewBucketPolicy", "PreviewOriginAccessControl",
                             "PreviewRouterFunction", "PreviewHeadersPolicy", "PreviewDistribution",
                             "PreviewDeployRole"}
    for name, res in previews.items():
        assert res.get("Condition") == "DeployPreviews", name
    assert sam["Conditions"]["DeployPreviews"] == {"Fn::And": [
        {"Fn::Not": [{"Fn::Equals": [ref("PreviewDomainName"), ""]}]},
        {"Fn::Not": [{"Fn::Equals": [ref("PreviewCertificateArn"), ""]}]},
        {"Condition": "HasGitHubRepository"}]}
    outputs = sam["Outputs"]
    for name in ("PreviewBucketName", "PreviewDeployRoleArn", "PreviewDistributionDomainName", "PreviewDomain"):
        assert outputs[name]["Condition"] == "DeployPreviews", name
    assert outputs["PreviewBucketName"]["Value"] == ref("PreviewBucket")
    assert outputs["PreviewDeployRoleArn"]["Value"] == getatt("PreviewDeployRole", "Arn")
    assert outputs["PreviewDistributionDomainName"]["Value"] == getatt("PreviewDistribution", "DomainName")
    assert outputs["PreviewDomain"]["Value"] == ref("PreviewDomainName")
    # Nothing of the site's refers to a preview resource, nor the other way round (but the OIDC provider).
    for name, res in sam["Resources"].items():
        text = json.dumps(res)
        if not is_preview(name):
            assert "Preview" not in text.replace("PreviewDomainName", ""), name
        else:
            for site in ("SiteBucket", '"Distribution"', "${Distribution}", "RegistrationsTable", "RegistrationFunction",
                         "MailerFunction", "OriginSecret", "LinkKeySecret", "EditingScreen"):
                assert site not in text, (name, site)


def test_preview_parameters_and_rules(sam):
    import re
    params = sam["Parameters"]
    for name in ("PreviewDomainName", "PreviewCertificateArn"):
        assert params[name]["Default"] == "", name
    assert params["PreviewDomainName"]["AllowedPattern"] == params["ConsoleDomainName"]["AllowedPattern"]
    assert params["PreviewCertificateArn"]["AllowedPattern"] == params["ConsoleCertificateArn"]["AllowedPattern"]
    assert re.fullmatch(params["PreviewDomainName"]["AllowedPattern"], "voorbeeld.opp.example.nl")
    assert not re.fullmatch(params["PreviewDomainName"]["AllowedPattern"], "*.voorbeeld.opp.example.nl")
    rule = sam["Rules"]["PreviewDomainNeedsCertificateAndRepository"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [ref("PreviewDomainName"), ""]}]}
    needed = {a["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"] for a in rule["Assertions"]}
    assert needed == {"PreviewCertificateArn", "GitHubRepository"}
    rule = sam["Rules"]["PreviewCertificateNeedsDomain"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [ref("PreviewCertificateArn"), ""]}]}


@pytest.mark.parametrize("which", ["sam", "cfn"])
def test_preview_deploy_role_writes_only_the_preview_bucket(which, sam, cfn):
    """Any pull request of the repository can get this role (it can change the workflow in its branch), so it
    may touch the preview bucket and nothing else: no CloudFront, no site bucket, no function, table or secret."""
    template = sam if which == "sam" else cfn
    role = template["Resources"]["PreviewDeployRole"]
    assert "ManagedPolicyArns" not in role["Properties"] and "PermissionsBoundary" not in role["Properties"]
    assert role["Properties"]["MaxSessionDuration"] == 3600
    assert grants_of(template, "PreviewDeployRole") == {
        key(getatt("PreviewBucket", "Arn")): {"s3:ListBucket"},
        key({"Fn::Sub": "${PreviewBucket.Arn}/*"}): {"s3:PutObject", "s3:DeleteObject"},
    }
    for _, actions, resources in statements_of(template, "PreviewDeployRole"):
        for action in actions:
            assert action.split(":")[0] == "s3", action
            assert not action.startswith(("cloudfront:", "lambda:", "dynamodb:", "secretsmanager:")), action
            assert "*" not in action, action
        for resource in resources:
            assert resource != "*", "no '*' resource"
            assert "PreviewBucket" in json.dumps(resource), resource
    text = json.dumps(role["Properties"]["Policies"])
    for other in ("SiteBucket", "EditingScreenBucket", "Distribution", "RegistrationsTable", "Function",
                  "Secret", "cloudfront", "lambda", "dynamodb", "secretsmanager", "iam:", "sts:"):
        assert other not in text, other


def test_preview_deploy_role_trusts_only_this_repositorys_pull_requests(cfn, sam):
    """The trust matches the subject the repository actually emits: its template is customised for
    ContentDeployRole (publishing-from-github.md), so a pull request's job gets repo:...:pull_request:ref:...
    :job_workflow_ref:..., never the default repo:OWNER/NAME:pull_request."""
    role = cfn["Resources"]["PreviewDeployRole"]
    content = cfn["Resources"]["ContentDeployRole"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    (content_trust,) = content["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"] == content_trust["Principal"], "the same GitHub OIDC provider"
    assert set(trust["Condition"]) == {"StringEquals", "StringLike"}
    assert trust["Condition"]["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    assert list(trust["Condition"]["StringLike"]) == ["token.actions.githubusercontent.com:sub"]
    assert trust["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"] == [
        {"Fn::Sub": "repo:${GitHubRepository}:pull_request:ref:refs/pull/*/merge"
                    ":job_workflow_ref:${GitHubRepository}/.github/workflows/preview.yml@refs/pull/*/merge"},
        {"Fn::Sub": "repo:${GitHubRepository}:pull_request:ref:refs/heads/main"
                    ":job_workflow_ref:${GitHubRepository}/.github/workflows/preview.yml@refs/heads/main"},
    ]
    assert PREVIEW_WORKFLOW.exists()
    # The repository's subject template, as documented; checked against ContentDeployRole's subject first.
    keys = documented_claim_keys()
    assert keys == ["repo", "context", "ref", "job_workflow_ref"], keys
    deploy_job = github_subject(keys, context="environment:production", ref="refs/heads/main", workflow="deploy.yml")
    assert subjects_of(content, "StringEquals") == [deploy_job]
    # What the preview workflow's jobs get (no environment, so the context is pull_request).
    opened = github_subject(keys, context="pull_request", ref="refs/pull/12/merge", workflow="preview.yml")
    merged = github_subject(keys, context="pull_request", ref="refs/heads/main", workflow="preview.yml")
    assert accepts(role, opened) and accepts(role, merged)
    assert accepts(role, github_subject(keys, context="pull_request", ref="refs/pull/1234/merge",
                                        workflow="preview.yml"))
    refused = {
        "the deploy job": deploy_job,
        "GitHub's default subject (not what this repository emits)": f"repo:{REPOSITORY}:pull_request",
        "another workflow of a pull request": github_subject(
            keys, context="pull_request", ref="refs/pull/12/merge", workflow="pull-request.yml"),
        "another repository": github_subject(
            keys, context="pull_request", ref="refs/pull/12/merge", workflow="preview.yml", repository="evil/fork"),
        "a job in an environment": github_subject(
            keys, context="environment:production", ref="refs/pull/12/merge", workflow="preview.yml"),
        "a push to a branch": github_subject(
            keys, context="ref:refs/heads/feature", ref="refs/heads/feature", workflow="preview.yml"),
        "a pull request merged into another branch": github_subject(
            keys, context="pull_request", ref="refs/heads/feature", workflow="preview.yml"),
    }
    for what, subject in refused.items():
        assert not accepts(role, subject), what


def test_content_deploy_role_does_not_accept_a_pull_request(cfn):
    content = cfn["Resources"]["ContentDeployRole"]
    (trust,) = content["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert set(trust["Condition"]) == {"StringEquals"}, "no wildcard subjects"
    (subject,) = subjects_of(content, "StringEquals")
    assert ":pull_request" not in subject and "refs/pull/" not in subject and "preview.yml" not in subject
    keys = documented_claim_keys()
    for candidate in (f"repo:{REPOSITORY}:pull_request",
                      github_subject(keys, context="pull_request", ref="refs/pull/12/merge", workflow="preview.yml"),
                      github_subject(keys, context="pull_request", ref="refs/heads/main", workflow="preview.yml"),
                      github_subject(keys, context="pull_request", ref="refs/pull/12/merge", workflow="deploy.yml"),
                      github_subject(keys, context="pull_request", ref="refs/heads/main", workflow="deploy.yml")):
        assert not accepts(content, candidate), candidate
    # Neither role's statements mention the other's bucket.
    assert "PreviewBucket" not in json.dumps(content)


def test_preview_bucket_is_private_read_only_by_its_distribution_and_expires(sam):
    site, preview = (sam["Resources"][n] for n in ("SiteBucket", "PreviewBucket"))
    for prop in ("PublicAccessBlockConfiguration", "OwnershipControls", "BucketEncryption"):
        assert preview["Properties"][prop] == site["Properties"][prop], prop
    assert preview["DeletionPolicy"] == "Retain"
    (rule,) = preview["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == 14, rule
    assert "Prefix" not in rule and "Filter" not in rule, "every preview expires"
    assert "VersioningConfiguration" not in preview["Properties"], "an expired object must be gone, not a version"
    policy = sam["Resources"]["PreviewBucketPolicy"]["Properties"]
    assert policy["Bucket"] == ref("PreviewBucket")
    allow, deny = policy["PolicyDocument"]["Statement"]
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Sub": "${PreviewBucket.Arn}/*"}
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith("distribution/${PreviewDistribution}")
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    oac = sam["Resources"]["PreviewOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3", "always", "sigv4")


def test_preview_headers_are_the_sites_plus_noindex(sam):
    site = sam["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    preview = sam["Resources"]["PreviewHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert preview["Name"] == {"Fn::Sub": "${AWS::StackName}-preview-headers"}
    assert preview["SecurityHeadersConfig"] == site["SecurityHeadersConfig"]
    assert preview["CustomHeadersConfig"]["Items"] == [
        *site["CustomHeadersConfig"]["Items"],
        {"Header": "X-Robots-Tag", "Value": "noindex", "Override": True},
    ]
    assert set(preview) == set(site)


def test_preview_distribution_settings(sam):
    config = sam["Resources"]["PreviewDistribution"]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [{"Fn::Sub": "*.${PreviewDomainName}"}], "the wildcard, one host per pull request"
    assert config["ViewerCertificate"] == {"AcmCertificateArn": ref("PreviewCertificateArn"),
                                           "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
    assert (config["HttpVersion"], config["PriceClass"], config["IPV6Enabled"]) == ("http2and3", "PriceClass_100", True)
    assert config["WebACLId"] == {"Fn::If": ["HasWebAcl", ref("WebAclArn"), ref("AWS::NoValue")]}
    assert "DefaultRootObject" not in config, "the function maps / to /pr-N/index.html"
    assert "CacheBehaviors" not in config, "no /api/*: previews have no registration"
    (origin,) = config["Origins"]
    assert origin["DomainName"] == getatt("PreviewBucket", "RegionalDomainName")
    assert origin["OriginAccessControlId"] == getatt("PreviewOriginAccessControl", "Id")
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == origin["Id"]
    assert default["CachePolicyId"] == CACHING_DISABLED, "no invalidation is ever needed"
    assert default["ResponseHeadersPolicyId"] == ref("PreviewHeadersPolicy")
    assert set(default["AllowedMethods"]) == {"GET", "HEAD"}
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["FunctionAssociations"] == [{
        "EventType": "viewer-request",
        "FunctionARN": getatt("PreviewRouterFunction", "FunctionMetadata.FunctionARN")}]
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    assert set(errors) >= CLOUDFRONT_CACHED_ERRORS
    for code, entry in errors.items():
        assert entry == {"ErrorCode": code, "ErrorCachingMinTTL": 0}, "no error answer kept, none replaced"
    # The site's distributions never use the preview's policy or function, nor the preview theirs.
    for name, dist in resources_of(sam, "AWS::CloudFront::Distribution").items():
        if name != "PreviewDistribution":
            assert ref("PreviewHeadersPolicy") not in walk(dist), name
            assert "PreviewRouterFunction" not in json.dumps(dist), name
    fn = sam["Resources"]["PreviewRouterFunction"]["Properties"]
    assert fn["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0" and fn["AutoPublish"] is True
    assert fn["Name"] == {"Fn::Sub": "${AWS::StackName}-preview-router"}
    # Its behaviour is infra/tests/preview_function.test.mjs's (node --test, run by infra/tests/run.sh).
    assert "preview_function.test.mjs" in (HERE / "run.sh").read_text(encoding="utf-8")


def test_preview_workflow_builds_without_credentials_and_publishes_with_the_role():
    workflow = preview_workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request"}, "never pull_request_target: a fork's code must not get a token"
    assert triggers["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
    # Pull requests to main only: a merged one's removal then has the subject PreviewDeployRole trusts.
    assert triggers["pull_request"]["branches"] == ["main"]
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"] == "preview-${{ github.event.pull_request.number }}"
    assert workflow["concurrency"]["cancel-in-progress"] == "${{ github.event.action != 'closed' }}"
    jobs = workflow["jobs"]
    assert set(jobs) == {"build", "publish", "remove"}
    for name, job in jobs.items():
        assert FORK_GUARD in job["if"], f"{name}: no preview for a fork's pull request"
        assert "vars.PREVIEW_BUCKET != ''" in job["if"], f"{name}: nothing without the stack's previews"
        assert "environment" not in job, f"{name}: the role trusts the pull_request context, not an environment"
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"{name}: pass values through env, never into run"
    build, publish, remove = jobs["build"], jobs["publish"], jobs["remove"]
    assert "github.event.action != 'closed'" in build["if"] and "github.event.action != 'closed'" in publish["if"]
    assert "github.event.action == 'closed'" in remove["if"]
    # build: no token, no status, no AWS; it builds the preview for its own address.
    assert build["permissions"] == {"contents": "read"}
    assert "id-token" not in str(build) and "statuses" not in str(build) and "aws " not in str(build)
    assert build["env"]["PREVIEW_URL"] == "https://pr-${{ github.event.pull_request.number }}.${{ vars.PREVIEW_DOMAIN }}"
    runs = [s.get("run", "") for s in build["steps"]]
    assert ('cargo run --release --locked -p opp-site --bin opp-site -- build --preview --base-url "$PREVIEW_URL" '
            '--output public') in runs
    upload = build["steps"][-1]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["with"]["path"] == "public/"
    assert upload["with"]["include-hidden-files"] is True
    # publish: the token and the statuses, and no build.
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"contents": "read", "id-token": "write", "statuses": "write"}
    assert remove["permissions"] == {"id-token": "write"}
    for job in (publish, remove):
        for step in job["steps"]:
            assert not any(tool in step.get("run", "") for tool in ("cargo ", "npm ", "pip ", "rustup ")), step
        assume = [s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
        assert len(assume) == 1 and assume[0]["with"]["role-to-assume"] == "${{ vars.PREVIEW_ROLE_ARN }}"
        assert "AWS_ROLE_ARN" not in str(job), "never the production role"
        assert not any("aws-access-key-id" in s.get("with", {}) for s in job["steps"]), "no long-lived keys"
        assert job["env"]["PR"] == "${{ github.event.pull_request.number }}"
        assert job["env"]["PREVIEW_BUCKET"] == "${{ vars.PREVIEW_BUCKET }}"
    assert not any(s.get("uses", "").startswith("actions/checkout@") for s in remove["steps"])
    (sync,) = [s["run"] for s in publish["steps"] if "aws s3" in s.get("run", "")]
    assert sync.startswith('aws s3 sync public/ "s3://$PREVIEW_BUCKET/pr-$PR/" --delete --exclude \'admin/*\''), sync
    (rm,) = [s["run"] for s in remove["steps"] if "aws s3" in s.get("run", "")]
    assert rm.startswith('aws s3 rm "s3://$PREVIEW_BUCKET/pr-$PR/" --recursive'), rm
    # Every action is one deploy.yml already pins, at the same commit.
    deploy = (ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    for job in jobs.values():
        for step in job["steps"]:
            if "uses" in step:
                assert f"uses: {step['uses']} #" in deploy, step["uses"]


def test_preview_workflow_posts_its_status_on_the_pull_requests_head_commit():
    """Decap CMS reads the statuses of the pull request's head commit and takes the first whose context contains
    "deploy"; GITHUB_SHA is the merge commit, which it never asks about."""
    import re
    publish = preview_workflow()["jobs"]["publish"]
    assert publish["env"]["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"
    assert publish["env"]["PREVIEW_URL"] == (
        "https://pr-${{ github.event.pull_request.number }}.${{ vars.PREVIEW_DOMAIN }}/")
    statuses = {}
    for step in publish["steps"]:
        run = step.get("run", "")
        if "/statuses/" not in run:
            continue
        assert 'gh api --method POST "repos/$GITHUB_REPOSITORY/statuses/$HEAD_SHA"' in run, run
        assert "GITHUB_SHA" not in run
        assert step["env"] == {"GH_TOKEN": "${{ github.token }}"}, step
        context = re.search(r"-f context=(\S+)", run).group(1)
        assert "deploy" in context and context == "deploy/voorbeeld"
        assert "Voorbeeld van deze wijziging" in run
        state = re.search(r"-f state=(\w+)", run).group(1)
        statuses[state] = (step.get("if"), run)
    assert set(statuses) == {"pending", "success", "failure", "error"}
    assert statuses["failure"][0] == "failure()"
    assert statuses["error"][0] == "cancelled()"
    assert statuses["success"][0] is None, "after every other step succeeded"
    assert '-f target_url="$PREVIEW_URL"' in statuses["success"][1], "Decap's button opens the preview"
    order = [s.get("name") for s in publish["steps"]]
    success = next(i for i, s in enumerate(publish["steps"]) if "state=success" in s.get("run", ""))
    upload = next(i for i, s in enumerate(publish["steps"]) if "aws s3 sync" in s.get("run", ""))
    pending = next(i for i, s in enumerate(publish["steps"]) if "state=pending" in s.get("run", ""))
    assert pending < upload < success, order


def test_deploy_dry_run_with_previews(tmp_path):
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    previews = ["--preview-domain", "voorbeeld.opp.example.nl", "--preview-certificate-arn", cert]
    result = dry_run(tmp_path, "--github-repository", "ocw-opp/landelijk-opp-site", *previews)
    assert result.returncode == 0, result.stderr
    commands = commands_of(result)
    first = next(c for c in commands if c.startswith("sam deploy"))
    assert "PreviewDomainName=voorbeeld.opp.example.nl" in first and f"PreviewCertificateArn={cert}" in first, first
    out = result.stdout + result.stderr
    assert "PREVIEW_BUCKET=<PreviewBucketName>" in out and "PREVIEW_ROLE_ARN=<PreviewDeployRoleArn>" in out
    # Nothing is uploaded to the preview bucket from here: previews are the workflow's.
    assert not any("PreviewBucketName" in c for c in commands if c.startswith("aws s3"))
    without = dry_run(tmp_path)
    assert without.returncode == 0 and "Preview" not in without.stdout + without.stderr
    for args, message in (
            (previews[:2], "go together"),
            (previews, "--github-repository"),
            (["--github-repository", "", *previews], "--github-repository"),
            (["--github-repository", "o/n", "--preview-domain", "voorbeeld.opp.example.nl", "--preview-certificate-arn",
              "arn:aws:acm:eu-west-1:123456789012:certificate/x"], "us-east-1"),
            (["--github-repository", "o/n", "--preview-domain", "*.voorbeeld.opp.example.nl",
              "--preview-certificate-arn", cert], "pr-<N>")):
        refused = dry_run(tmp_path, *args)
        assert refused.returncode != 0 and message in refused.stderr, (args, refused.stderr)
        assert "+ sam deploy" not in refused.stderr


def test_preview_docs_cover_the_setup_and_the_role():
    doc = operations_doc("previews.md")
    for text in ("pr-<N>.", "pr-<N>/", "*.", "us-east-1", "--preview-domain", "--preview-certificate-arn",
                 "PREVIEW_BUCKET", "PREVIEW_ROLE_ARN", "PREVIEW_DOMAIN", "PreviewDeployRole", "14 days", "fork",
                 "deploy/voorbeeld", "Bekijk voorvertoning", "noindex", "job_workflow_ref", "refs/pull/",
                 "refs/heads/main", "admin/"):
        assert text in doc, text
    assert "previews.md" in operations_doc("README.md")
    assert "docs/operations/previews.md" in (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    assert "preview.yml" in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "site-preview" not in operations_doc("publishing-from-github.md")
