"""Content checks of infra/template.yaml (and its CloudFormation translation).

Run by infra/tests/run.sh with the infra venv: `python -m pytest infra/tests/test_template.py`.
The table design has one source of truth, handler/table-schema.json (the handler declares it); the
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
SCHEMA_FILE = ROOT / "handler" / "table-schema.json"

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'; connect-src 'self'; manifest-src 'self'")
EXPECTED_ROUTES = {
    ("POST", "/api/registrations"),
    ("GET", "/api/registrations/{token}"),
    ("GET", "/api/registrations/{token}/cancel"),
    ("POST", "/api/registrations/{token}/cancel"),
    ("GET", "/api/meetings"),
}


@pytest.fixture(scope="module")
def sam():
    return load_sam(TEMPLATE)


@pytest.fixture(scope="module")
def cfn(sam):
    return translate(sam)


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def resources_of(template, rtype):
    return {name: res for name, res in template["Resources"].items() if res["Type"] == rtype}


def one(template, rtype):
    found = resources_of(template, rtype)
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


def policy_documents(template):
    """Identity-based IAM policy documents (roles, policies, SAM function policies)."""
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            for pol in props.get("Policies", []):
                yield f"{name}/{pol['PolicyName']}", pol["PolicyDocument"]
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield name, props["PolicyDocument"]
        elif res["Type"] == "AWS::Serverless::Function":
            for i, pol in enumerate(as_list(props.get("Policies", []))):
                if isinstance(pol, dict) and "Statement" in pol:
                    yield f"{name}/Policies[{i}]", pol


# --------------------------------------------------------------------------------------------
# Table design: handler/table-schema.json is the source of truth
# --------------------------------------------------------------------------------------------

def test_schema_file_has_the_agreed_shape(schema):
    assert set(schema) == {"partition_key", "sort_key", "email_index", "ttl_attribute", "environment",
                           "iam_actions"}
    assert set(schema["email_index"]) == {"name", "partition_key", "projection"}


def test_table_keys_match_schema(sam, schema):
    _, table = one(sam, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": schema["partition_key"], "KeyType": "HASH"},
        {"AttributeName": schema["sort_key"], "KeyType": "RANGE"},
    ]
    attrs = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert attrs == {schema["partition_key"]: "S", schema["sort_key"]: "S",
                     schema["email_index"]["partition_key"]: "S"}


def test_email_index_matches_schema(sam, schema):
    _, table = one(sam, "AWS::DynamoDB::Table")
    gsis = table["Properties"]["GlobalSecondaryIndexes"]
    assert len(gsis) == 1
    gsi = gsis[0]
    assert gsi["IndexName"] == schema["email_index"]["name"] == "email-index"
    assert gsi["KeySchema"] == [{"AttributeName": schema["email_index"]["partition_key"], "KeyType": "HASH"}]
    assert gsi["Projection"] == {"ProjectionType": schema["email_index"]["projection"]}


def test_table_ttl_billing_backup_protection(sam, schema):
    _, table = one(sam, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": schema["ttl_attribute"], "Enabled": True}
    assert schema["ttl_attribute"] == "expires_at"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_function_environment_has_schema_variables(sam, schema):
    _, fn = one(sam, "AWS::Serverless::Function")
    env = fn["Properties"]["Environment"]["Variables"]
    missing = set(schema["environment"]) - set(env)
    assert not missing, f"function Environment lacks {sorted(missing)}"
    assert env["TABLE_NAME"] == {"Ref": one(sam, "AWS::DynamoDB::Table")[0]}
    assert env["ORIGIN_VERIFY_SECRET"] == {"Ref": "OriginVerifySecret"}
    assert env["RETENTION_DAYS"] == {"Ref": "RetentionDays"}
    assert env["RUST_LOG"] == "info"


def test_dynamodb_actions_equal_schema(cfn, schema):
    table_name, _ = one(cfn, "AWS::DynamoDB::Table")
    dynamo_statements = [
        st for _, doc in policy_documents(cfn) for st in as_list(doc["Statement"])
        if any(a.startswith("dynamodb:") for a in as_list(st["Action"]))
    ]
    assert len(dynamo_statements) == 1
    st = dynamo_statements[0]
    assert st["Effect"] == "Allow"
    assert sorted(as_list(st["Action"])) == sorted(schema["iam_actions"])
    assert len(set(schema["iam_actions"])) == len(schema["iam_actions"])
    resources = as_list(st["Resource"])
    assert {"Fn::GetAtt": [table_name, "Arn"]} in resources
    assert {"Fn::Sub": f"${{{table_name}.Arn}}/index/{schema['email_index']['name']}"} in resources
    assert len(resources) == 2


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
                    assert not (isinstance(value, str) and "*" in value), f"{where}: '*' in {key}: {value}"
            assert "NotAction" not in st and "NotResource" not in st


def test_function_uses_only_the_explicit_role(cfn):
    roles = resources_of(cfn, "AWS::IAM::Role")
    assert len(roles) == 1
    role_name, role = next(iter(roles.items()))
    assert "ManagedPolicyArns" not in role["Properties"]
    _, fn = one(cfn, "AWS::Lambda::Function")
    assert fn["Properties"]["Role"] == {"Fn::GetAtt": [role_name, "Arn"]}


def test_no_function_url(sam, cfn):
    assert "FunctionUrlConfig" not in TEMPLATE.read_text(encoding="utf-8")
    for template in (sam, cfn):
        assert not resources_of(template, "AWS::Lambda::Url")
        for value in walk(template["Resources"]):
            assert not (isinstance(value, dict) and "FunctionUrlConfig" in value)


def test_function_runtime_and_build(sam):
    _, fn = one(sam, "AWS::Serverless::Function")
    props = fn["Properties"]
    assert props["Runtime"] == "provided.al2023"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "bootstrap"
    assert props["CodeUri"] == ".."
    assert (ROOT / "Cargo.toml").is_file(), "CodeUri '..' must be the Cargo workspace root"
    assert fn["Metadata"]["BuildMethod"] == "rust-cargolambda"
    assert fn["Metadata"]["BuildProperties"] == {"Binary": "opp-handler"}
    assert props["MemorySize"] == 256
    assert props["Timeout"] == 10
    assert props["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    assert sam["Parameters"]["ReservedConcurrency"]["Default"] == 10
    assert sam["Parameters"]["RetentionDays"]["Default"] == 90


def test_function_log_group_and_name(sam):
    fn_name, fn = one(sam, "AWS::Serverless::Function")
    props = fn["Properties"]
    assert props["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-registration"}
    log_group_ref = props["LoggingConfig"]["LogGroup"]["Ref"]
    group = sam["Resources"][log_group_ref]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${AWS::StackName}-registration"}
    assert group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert sam["Parameters"]["LogRetentionInDays"]["Default"] == 30


def test_site_origin_does_not_reference_the_distribution(sam):
    """The distribution depends on the API (and so on the function): no cycle back."""
    _, fn = one(sam, "AWS::Serverless::Function")
    site_origin = fn["Properties"]["Environment"]["Variables"]["SITE_ORIGIN"]
    text = json.dumps(site_origin)
    assert "Distribution" not in text
    assert "SiteOrigin" in text and "DomainName" in text


def test_origin_verify_secret_parameter(sam):
    param = sam["Parameters"]["OriginVerifySecret"]
    assert param["NoEcho"] is True
    assert param["MinLength"] >= 32
    assert "Default" not in param


# --------------------------------------------------------------------------------------------
# HTTP API
# --------------------------------------------------------------------------------------------

def test_http_api_routes(sam):
    api_name, api = one(sam, "AWS::Serverless::HttpApi")
    _, fn = one(sam, "AWS::Serverless::Function")
    routes = set()
    for event in fn["Properties"]["Events"].values():
        assert event["Type"] == "HttpApi"
        p = event["Properties"]
        assert p["ApiId"] == {"Ref": api_name}
        assert p["PayloadFormatVersion"] == "2.0"
        routes.add((p["Method"].upper(), p["Path"]))
    assert routes == EXPECTED_ROUTES


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
    assert errors[403]["ResponseCode"] == 404
    assert errors[403]["ResponsePagePath"] == "/404.html"
    # The function's explaining 404 pages (unknown cancellation link) must not be replaced, nor its 400
    # pages (a post that did not come from the site: the themed refusal answers 400, not 403, for this).
    assert 404 not in errors
    assert 400 not in errors
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


def test_security_headers_policy(sam):
    policy_name, policy = one(sam, "AWS::CloudFront::ResponseHeadersPolicy")
    cfg = policy["Properties"]["ResponseHeadersPolicyConfig"]
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
    assert sec["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    custom = {i["Header"]: i["Value"] for i in cfg["CustomHeadersConfig"]["Items"]}
    perms = custom["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "interest-cohort=()"):
        assert feature in perms
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    dcfg = dist["Properties"]["DistributionConfig"]
    for b in [dcfg["DefaultCacheBehavior"], *dcfg["CacheBehaviors"]]:
        assert b["ResponseHeadersPolicyId"] == {"Ref": policy_name}


def test_api_behaviour(sam):
    api_name, _ = one(sam, "AWS::Serverless::HttpApi")
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    cfg = dist["Properties"]["DistributionConfig"]
    api_behaviours = [b for b in cfg["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert len(api_behaviours) == 1
    b = api_behaviours[0]
    assert b["CachePolicyId"] == CACHING_DISABLED
    assert set(b["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert "FunctionAssociations" not in b
    origin = next(o for o in cfg["Origins"] if o["Id"] == b["TargetOriginId"])
    assert origin["DomainName"] == {"Fn::Sub": f"${{{api_name}}}.execute-api.${{AWS::Region}}.amazonaws.com"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origin["OriginCustomHeaders"]}
    assert headers == {"X-Origin-Verify": {"Ref": "OriginVerifySecret"}}
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


def test_asset_and_html_cache_policies(sam):
    _, dist = one(sam, "AWS::CloudFront::Distribution")
    cfg = dist["Properties"]["DistributionConfig"]
    html = sam["Resources"][cfg["DefaultCacheBehavior"]["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    assert html["DefaultTTL"] == 300 and html["MinTTL"] == 0
    asset_behaviours = [b for b in cfg["CacheBehaviors"] if b["PathPattern"] != "/api/*"]
    assert {b["PathPattern"] for b in asset_behaviours} >= {"/css/*", "/js/*", "/img/*"}
    for b in asset_behaviours:
        pol = sam["Resources"][b["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        assert (pol["MinTTL"], pol["DefaultTTL"], pol["MaxTTL"]) == (0, 86400, 31536000)
        assert b["AllowedMethods"] == ["GET", "HEAD"]
    for pol in (r["Properties"]["CachePolicyConfig"] for r in resources_of(sam, "AWS::CloudFront::CachePolicy").values()):
        params = pol["ParametersInCacheKeyAndForwardedToOrigin"]
        assert params["EnableAcceptEncodingGzip"] and params["EnableAcceptEncodingBrotli"]


# --------------------------------------------------------------------------------------------
# Tags, outputs, checkov skips
# --------------------------------------------------------------------------------------------

TAGGABLE_LIST_TAGS = ("AWS::S3::Bucket", "AWS::CloudFront::Distribution", "AWS::DynamoDB::Table",
                      "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::Lambda::Function")
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
    assert seen >= 8


def test_outputs(sam):
    assert set(sam["Outputs"]) >= {"SiteBucketName", "DistributionId", "DistributionDomainName", "ApiEndpoint",
                                   "TableName", "FunctionName"}


def test_checkov_skips_have_reasons(sam):
    skips = 0
    for name, res in sam["Resources"].items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            skips += 1
            assert skip["id"].startswith("CKV"), name
            assert len(skip.get("comment", "").strip()) > 40, f"{name}: {skip['id']} needs a written reason"
    assert skips > 0


def test_readme_lists_every_checkov_skip(sam):
    readme = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    for res in sam["Resources"].values():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["id"] in readme, f"infra/README.md does not explain {skip['id']}"


def test_deploy_script_is_strict_and_has_dry_run():
    text = (ROOT / "infra" / "deploy.sh").read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    for option in ("--dry-run", "--stack-name", "--region", "--domain", "--certificate-arn", "--site-origin"):
        assert option in text
    assert "eu-central-1" in text
    assert os.access(ROOT / "infra" / "deploy.sh", os.X_OK)


def dry_run(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(["bash", str(ROOT / "infra" / "deploy.sh"), "--dry-run", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)


def test_deploy_dry_run_first_deploy(tmp_path):
    """From another directory; stack assumed new: secret made and masked, second pass, upload order."""
    result = dry_run(tmp_path, "--stack-name", "opp-test", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    commands = [line[2:] for line in out.splitlines() if line.startswith("+ ")]

    def index(prefix, start=0):
        return next(i for i, c in enumerate(commands) if i >= start and c.startswith(prefix))

    build = index("env CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat")
    assert "CARGO_PROFILE_RELEASE_PANIC=abort sam build --template infra/template.yaml" in commands[build]
    first = index("sam deploy", build)
    assert "--stack-name opp-test" in commands[first] and "--region eu-west-1" in commands[first]
    assert "OriginVerifySecret=****" in commands[first]
    assert "--no-fail-on-empty-changeset" in commands[first]
    second = index("sam deploy", first + 1)
    assert "SiteOrigin=https://" in commands[second] and "OriginVerifySecret" not in commands[second]
    site = index("cargo run --release -p opp-site --bin opp-site -- build --output public --base-url", second)
    hashed = index("aws s3 sync public/", site)
    assert "immutable" in commands[hashed] and "--include" in commands[hashed]
    assert commands[hashed].count("[0-9a-f") == 8
    rest = index("aws s3 sync public/", hashed + 1)
    assert "max-age=300" in commands[rest] and "--exclude" in commands[rest]
    delete = index("aws s3 sync public/", rest + 1)
    assert "--delete" in commands[delete]
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


@pytest.mark.parametrize("args", [
    ["--domain", "opp.example.nl"],
    ["--domain", "opp.example.nl", "--certificate-arn", "arn:aws:acm:eu-central-1:123456789012:certificate/x"],
    ["--site-origin", "http://insecure.example.nl"],
    ["--stack-name"],
    ["--bogus"],
])
def test_deploy_rejects_bad_options(tmp_path, args):
    result = dry_run(tmp_path, *args)
    assert result.returncode != 0
    assert "+ sam deploy" not in result.stderr
