#!/usr/bin/env bash
# Deploy the Landelijk OPP site, the registration function and the mailer to AWS (see infra/README.md).
#
#   infra/deploy.sh [--stack-name opp-site] [--region eu-central-1] [--stage prod]
#                   [--domain opp.example.nl --certificate-arn arn:aws:acm:us-east-1:...]
#                   [--site-origin https://...] [--rotate-origin-secret]
#                   [[--waf-rate-limit N] [--waf-ip-reputation off|count|block] | --no-waf | --web-acl-arn ARN]
#                   [--mail-from ADDRESS] [--mail-from-domain NAME] [--alarm-email ADDRESS]
#                   [--link-key-version N] [--github-repository OWNER/NAME [--create-github-oidc-provider]]
#                   [--console-domain NAME --console-certificate-arn ARN
#                    [--console-issuer URL --console-client-id ID [--console-client-secret NAME]]]
#                   [--editing-domain NAME --editing-certificate-arn ARN
#                    [--editing-github-client-id ID --editing-github-client-secret-name NAME]]
#                   [--preview-domain NAME --preview-certificate-arn ARN]
#                   [--skip-meetings] [--dry-run]
#
# Steps: check tools -> sam build (the Rust functions, opp-handler, opp-mailer, opp-console and opp-editors,
# via cargo-lambda, arm64) -> the WAF stack in us-east-1 (unless --no-waf or --web-acl-arn) ->
# [--rotate-origin-secret: new secret value, wait] -> sam deploy (a second pass on the very first deploy, to
# give the functions the CloudFront origin) -> read the stack outputs -> e-mail: the DKIM records to publish,
# the SES sandbox -> build the site for the site URL -> upload (hashed assets immutable, the rest 300 s, then
# --delete; the editing screen to its own bucket) -> invalidate CloudFront -> sync meetings into the table.
# Safe to run again: unchanged stacks are not an error, uploads only send what changed.
#
# --dry-run prints every command instead of running it (AWS queries included; their answers are
# then placeholders). The stack is assumed not to exist yet, so the first-deploy path is shown;
# with --rotate-origin-secret it is assumed to exist (there is nothing to rotate otherwise).
set -euo pipefail

STACK_NAME="opp-site"
REGION="eu-central-1"
STAGE="prod"
DOMAIN=""
DOMAIN_SET=0
CERT_ARN=""
CERT_SET=0
SITE_ORIGIN=""
SITE_ORIGIN_SET=0
ROTATE_SECRET=0
# The WAF's rate rule is on by default (about 6-7 USD a month; docs/operations/costs.md): without it
# one client can use up API Gateway's throttling for everyone and make us send mail in bulk.
WAF=1
WAF_EXPLICIT=0
WAF_RATE_LIMIT=""
WAF_IP_REPUTATION=""
WEB_ACL_ARN=""
WEB_ACL_SET=0
MAIL_FROM=""
MAIL_FROM_SET=0
MAIL_FROM_DOMAIN=""
MAIL_FROM_DOMAIN_SET=0
ALARM_EMAIL=""
ALARM_EMAIL_SET=0
CONSOLE_DOMAIN=""
CONSOLE_CERT=""
CONSOLE_SET=0
CONSOLE_ISSUER=""
CONSOLE_CLIENT_ID=""
CONSOLE_CLIENT_SECRET=""
CONSOLE_PROVIDER_SET=0
EDITING_DOMAIN=""
EDITING_CERT=""
EDITING_SET=0
EDITING_CLIENT_ID=""
EDITING_CLIENT_SECRET=""
EDITING_CLIENT_SET=0
PREVIEW_DOMAIN=""
PREVIEW_CERT=""
PREVIEW_SET=0
HOSTED_ZONE_ID=""
GITHUB_REPOSITORY_NAME=""
GITHUB_REPOSITORY_SET=0
CREATE_OIDC_PROVIDER=""
LINK_KEY_VERSION=""
SKIP_MEETINGS=0
DRY_RUN=0
# Phase 2 of a rotation waits this long after phase 1: the function re-reads the secret when its
# copy is older than 5 minutes, so after 6 minutes every instance accepts the new value.
ROTATION_WAIT=360

usage() {
  sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

Options:
  --stack-name NAME         CloudFormation stack (default opp-site)
  --region REGION           AWS region (default eu-central-1; keep data in the EU)
  --stage NAME              prod | staging | test | dev (default prod; a tag and part of names)
  --domain NAME             custom domain (needs --certificate-arn); '' removes it
  --certificate-arn ARN     ACM certificate in us-east-1 for --domain
  --site-origin URL         origin the function accepts (default: https://DOMAIN or the CloudFront domain)
  --rotate-origin-secret    new X-Origin-Verify value, without downtime: phase 1 puts it in Secrets
                            Manager (the function accepts old and new), a 6-minute wait, phase 2 is
                            this deploy (CloudFront takes the new value). See docs/operations/secrets.md.
  --waf                     deploy the WAF stack (infra/waf.yaml) as STACK-waf in us-east-1 and put
                            its web ACL on the distribution: the default (about 6-7 USD a month)
  --no-waf                  do not deploy the WAF stack; the distribution keeps the web ACL it has
                            (add --web-acl-arn '' to remove it)
  --waf-rate-limit N        requests to /api/ per IP address per 5 minutes (default 100)
  --waf-ip-reputation MODE  AWS IP reputation list on /api/: off, count (default), block
  --web-acl-arn ARN         put this existing CLOUDFRONT web ACL on the distribution instead of the
                            project's (no WAF stack); '' removes it
  --mail-from ADDRESS       sender of the e-mails, an address at --domain (default noreply@DOMAIN); ''
                            goes back to the default
  --mail-from-domain NAME   custom MAIL FROM domain, a subdomain of --domain (needs MX and SPF
                            records; docs/operations/ses.md, "E-mail (SES)"); '' removes it
  --github-repository OWNER/NAME
                            make ContentDeployRole for that repository's "Deploy content" workflow
                            (docs/operations/publishing-from-github.md); '' removes the role
  --create-github-oidc-provider
                            also make the account's GitHub OIDC provider (only if it has none yet)
  --hosted-zone-id ID       a Route 53 hosted zone of --domain: create the DNS records there (A/AAAA
                            alias, CAA, SPF, DMARC, DKIM; printed either way)
  --alarm-email ADDRESS     send the mail alarms to this address (SNS asks it to confirm first);
                            '' stops that
  --link-key-version N      the link key version "current" names after a rotation: both functions
                            start again and read the new key ring (docs/operations/secrets.md, "Rotating the
                            link key")
  --console-domain NAME     the organisers' back office on this host name (its own distribution and,
                            unless --console-issuer, a Cognito user pool; docs/operations/console.md);
                            needs --console-certificate-arn (us-east-1); '' removes the back office
  --console-certificate-arn ARN
                            the us-east-1 ACM certificate of --console-domain
  --console-issuer URL      another OpenID provider for the back office (its issuer URL, e.g. Entra ID)
  --console-client-id ID    the back office's client id at --console-issuer
  --console-client-secret NAME
                            the name of the Secrets Manager secret with its client secret at --console-issuer
  --editing-domain NAME     the editing screen (Decap CMS) and the editors' GitHub sign-in on this host name,
                            config.yaml's cms.url (its own bucket, distribution and function;
                            docs/operations/editing-screen.md); needs --editing-certificate-arn (us-east-1)
                            and, the first time, the two --editing-github-client-* options; '' removes it
  --editing-certificate-arn ARN
                            the us-east-1 ACM certificate of --editing-domain
  --editing-github-client-id ID
                            the client id of the GitHub App (or OAuth App) the editors sign in with
  --editing-github-client-secret-name NAME
                            the name of the Secrets Manager secret (made by hand) with that App's client secret
  --preview-domain NAME     a preview of every pull request of --github-repository's repository at
                            https://pr-<N>.NAME/ (its own bucket, distribution and role; .github/workflows/preview.yml,
                            docs/operations/previews.md); needs --preview-certificate-arn (us-east-1, for *.NAME)
                            and the stack's GitHubRepository; '' removes the previews
  --preview-certificate-arn ARN
                            the us-east-1 ACM certificate of the wildcard *.NAME of --preview-domain
  --skip-meetings           do not run opp-admin sync-meetings
  --dry-run                 print the commands instead of running them
  -h, --help                this text

Options that are not given keep the stack's previous value (first deploy: the template default).
--domain also resets --site-origin, --mail-from and --mail-from-domain unless they are given too.
EOF
}

die() { echo "deploy: error: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

need_value() { [[ $# -ge 2 ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --stack-name) need_value "$@"; STACK_NAME="$2"; shift 2 ;;
    --stack-name=*) STACK_NAME="${1#*=}"; shift ;;
    --region) need_value "$@"; REGION="$2"; shift 2 ;;
    --region=*) REGION="${1#*=}"; shift ;;
    --stage) need_value "$@"; STAGE="$2"; shift 2 ;;
    --stage=*) STAGE="${1#*=}"; shift ;;
    --domain) need_value "$@"; DOMAIN="$2"; DOMAIN_SET=1; shift 2 ;;
    --domain=*) DOMAIN="${1#*=}"; DOMAIN_SET=1; shift ;;
    --certificate-arn) need_value "$@"; CERT_ARN="$2"; CERT_SET=1; shift 2 ;;
    --certificate-arn=*) CERT_ARN="${1#*=}"; CERT_SET=1; shift ;;
    --site-origin) need_value "$@"; SITE_ORIGIN="${2%/}"; SITE_ORIGIN_SET=1; shift 2 ;;
    --site-origin=*) SITE_ORIGIN="${1#*=}"; SITE_ORIGIN="${SITE_ORIGIN%/}"; SITE_ORIGIN_SET=1; shift ;;
    --rotate-origin-secret) ROTATE_SECRET=1; shift ;;
    --waf) WAF_EXPLICIT=1; shift ;;
    --no-waf) WAF=0; shift ;;
    --waf-rate-limit) need_value "$@"; WAF_EXPLICIT=1; WAF_RATE_LIMIT="$2"; shift 2 ;;
    --waf-rate-limit=*) WAF_EXPLICIT=1; WAF_RATE_LIMIT="${1#*=}"; shift ;;
    --waf-ip-reputation) need_value "$@"; WAF_EXPLICIT=1; WAF_IP_REPUTATION="$2"; shift 2 ;;
    --waf-ip-reputation=*) WAF_EXPLICIT=1; WAF_IP_REPUTATION="${1#*=}"; shift ;;
    --web-acl-arn) need_value "$@"; WEB_ACL_ARN="$2"; WEB_ACL_SET=1; shift 2 ;;
    --web-acl-arn=*) WEB_ACL_ARN="${1#*=}"; WEB_ACL_SET=1; shift ;;
    --mail-from) need_value "$@"; MAIL_FROM="$2"; MAIL_FROM_SET=1; shift 2 ;;
    --mail-from=*) MAIL_FROM="${1#*=}"; MAIL_FROM_SET=1; shift ;;
    --mail-from-domain) need_value "$@"; MAIL_FROM_DOMAIN="$2"; MAIL_FROM_DOMAIN_SET=1; shift 2 ;;
    --mail-from-domain=*) MAIL_FROM_DOMAIN="${1#*=}"; MAIL_FROM_DOMAIN_SET=1; shift ;;
    --github-repository) need_value "$@"; GITHUB_REPOSITORY_NAME="$2"; GITHUB_REPOSITORY_SET=1; shift 2 ;;
    --github-repository=*) GITHUB_REPOSITORY_NAME="${1#*=}"; GITHUB_REPOSITORY_SET=1; shift ;;
    --create-github-oidc-provider) CREATE_OIDC_PROVIDER="true"; shift ;;
    --hosted-zone-id) need_value "$@"; HOSTED_ZONE_ID="$2"; shift 2 ;;
    --hosted-zone-id=*) HOSTED_ZONE_ID="${1#*=}"; shift ;;
    --alarm-email) need_value "$@"; ALARM_EMAIL="$2"; ALARM_EMAIL_SET=1; shift 2 ;;
    --alarm-email=*) ALARM_EMAIL="${1#*=}"; ALARM_EMAIL_SET=1; shift ;;
    --link-key-version) need_value "$@"; LINK_KEY_VERSION="$2"; shift 2 ;;
    --link-key-version=*) LINK_KEY_VERSION="${1#*=}"; shift ;;
    --console-domain) need_value "$@"; CONSOLE_DOMAIN="$2"; CONSOLE_SET=1; shift 2 ;;
    --console-domain=*) CONSOLE_DOMAIN="${1#*=}"; CONSOLE_SET=1; shift ;;
    --console-certificate-arn) need_value "$@"; CONSOLE_CERT="$2"; CONSOLE_SET=1; shift 2 ;;
    --console-certificate-arn=*) CONSOLE_CERT="${1#*=}"; CONSOLE_SET=1; shift ;;
    --console-issuer) need_value "$@"; CONSOLE_ISSUER="$2"; CONSOLE_PROVIDER_SET=1; shift 2 ;;
    --console-issuer=*) CONSOLE_ISSUER="${1#*=}"; CONSOLE_PROVIDER_SET=1; shift ;;
    --console-client-id) need_value "$@"; CONSOLE_CLIENT_ID="$2"; CONSOLE_PROVIDER_SET=1; shift 2 ;;
    --console-client-id=*) CONSOLE_CLIENT_ID="${1#*=}"; CONSOLE_PROVIDER_SET=1; shift ;;
    --console-client-secret) need_value "$@"; CONSOLE_CLIENT_SECRET="$2"; CONSOLE_PROVIDER_SET=1; shift 2 ;;
    --console-client-secret=*) CONSOLE_CLIENT_SECRET="${1#*=}"; CONSOLE_PROVIDER_SET=1; shift ;;
    --editing-domain) need_value "$@"; EDITING_DOMAIN="$2"; EDITING_SET=1; shift 2 ;;
    --editing-domain=*) EDITING_DOMAIN="${1#*=}"; EDITING_SET=1; shift ;;
    --editing-certificate-arn) need_value "$@"; EDITING_CERT="$2"; EDITING_SET=1; shift 2 ;;
    --editing-certificate-arn=*) EDITING_CERT="${1#*=}"; EDITING_SET=1; shift ;;
    --editing-github-client-id) need_value "$@"; EDITING_CLIENT_ID="$2"; EDITING_CLIENT_SET=1; shift 2 ;;
    --editing-github-client-id=*) EDITING_CLIENT_ID="${1#*=}"; EDITING_CLIENT_SET=1; shift ;;
    --editing-github-client-secret-name) need_value "$@"; EDITING_CLIENT_SECRET="$2"; EDITING_CLIENT_SET=1; shift 2 ;;
    --editing-github-client-secret-name=*) EDITING_CLIENT_SECRET="${1#*=}"; EDITING_CLIENT_SET=1; shift ;;
    --preview-domain) need_value "$@"; PREVIEW_DOMAIN="$2"; PREVIEW_SET=1; shift 2 ;;
    --preview-domain=*) PREVIEW_DOMAIN="${1#*=}"; PREVIEW_SET=1; shift ;;
    --preview-certificate-arn) need_value "$@"; PREVIEW_CERT="$2"; PREVIEW_SET=1; shift 2 ;;
    --preview-certificate-arn=*) PREVIEW_CERT="${1#*=}"; PREVIEW_SET=1; shift ;;
    --skip-meetings) SKIP_MEETINGS=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[[ "$STACK_NAME" =~ ^[A-Za-z][A-Za-z0-9-]{0,50}$ ]] || die "--stack-name must be letters, digits and '-', at most 51 characters (the function is named STACK-registration)"
[[ "$REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || die "--region looks wrong: $REGION"
case "$STAGE" in prod|staging|test|dev) ;; *) die "--stage must be prod, staging, test or dev" ;; esac
if [[ $DOMAIN_SET -eq 1 && -n "$DOMAIN" && $CERT_SET -eq 0 ]]; then
  die "--domain needs --certificate-arn (an ACM certificate in us-east-1 covering $DOMAIN)"
fi
if [[ $CERT_SET -eq 1 && -n "$CERT_ARN" && "$CERT_ARN" != arn:aws*:acm:us-east-1:* ]]; then
  die "--certificate-arn must be an ACM certificate in us-east-1 (CloudFront requires it)"
fi
if [[ $SITE_ORIGIN_SET -eq 1 && -n "$SITE_ORIGIN" && ! "$SITE_ORIGIN" =~ ^https://[a-z0-9.-]+$ ]]; then
  die "--site-origin must look like https://host (no path, no trailing slash)"
fi
if [[ $WAF_EXPLICIT -eq 1 && ( $WEB_ACL_SET -eq 1 || $WAF -eq 0 ) ]]; then
  die "--waf, --waf-rate-limit and --waf-ip-reputation set the project's web ACL; --no-waf and --web-acl-arn leave it out: give one of them"
fi
# Another web ACL named: the project's WAF stack is not deployed.
[[ $WEB_ACL_SET -eq 1 ]] && WAF=0
if [[ -n "$WAF_RATE_LIMIT" ]] && ! [[ "$WAF_RATE_LIMIT" =~ ^[1-9][0-9]*$ && ${#WAF_RATE_LIMIT} -le 10 && "$WAF_RATE_LIMIT" -ge 10 ]]; then
  die "--waf-rate-limit must be a whole number of at least 10 (requests per IP address per 5 minutes)"
fi
case "$WAF_IP_REPUTATION" in ""|off|count|block) ;; *) die "--waf-ip-reputation must be off, count or block" ;; esac
if [[ $WEB_ACL_SET -eq 1 && -n "$WEB_ACL_ARN" && ! "$WEB_ACL_ARN" =~ ^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]+/[0-9a-f-]+$ ]]; then
  die "--web-acl-arn must be a WAFv2 web ACL of scope CLOUDFRONT (arn:aws:wafv2:us-east-1:ACCOUNT:global/webacl/NAME/ID)"
fi
# The mailer sends as the site's domain (the stack's SES identity); the template's Rules refuse a
# sender without a domain. Here only what can be checked before AWS is asked.
HOST_RE='^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'
if [[ $MAIL_FROM_SET -eq 1 && -n "$MAIL_FROM" ]]; then
  [[ "$MAIL_FROM" =~ ^[A-Za-z0-9._%+-]+@(.+)$ && "${BASH_REMATCH[1]}" =~ $HOST_RE ]] \
    || die "--mail-from must be a plain address such as noreply@opp.example.nl (no display name)"
  if [[ $DOMAIN_SET -eq 1 && "${MAIL_FROM#*@}" != "$DOMAIN" ]]; then
    die "--mail-from must be an address at --domain ($DOMAIN): that is the SES identity the mailer may send as"
  fi
fi
if [[ -n "$HOSTED_ZONE_ID" && ! "$HOSTED_ZONE_ID" =~ ^Z[A-Z0-9]{1,31}$ ]]; then
  die "--hosted-zone-id must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"
fi
if [[ $MAIL_FROM_DOMAIN_SET -eq 1 && -n "$MAIL_FROM_DOMAIN" ]]; then
  [[ "$MAIL_FROM_DOMAIN" =~ $HOST_RE ]] || die "--mail-from-domain must be a host name such as bounce.opp.example.nl"
  if [[ $DOMAIN_SET -eq 1 && "$MAIL_FROM_DOMAIN" != *".$DOMAIN" ]]; then
    die "--mail-from-domain must be a subdomain of --domain ($DOMAIN)"
  fi
fi
if [[ $GITHUB_REPOSITORY_SET -eq 1 && -n "$GITHUB_REPOSITORY_NAME" && ! "$GITHUB_REPOSITORY_NAME" =~ ^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$ ]]; then
  die "--github-repository must be owner/name, such as minocw/landelijk-opp"
fi
if [[ -n "$CREATE_OIDC_PROVIDER" && ( $GITHUB_REPOSITORY_SET -eq 0 || -z "$GITHUB_REPOSITORY_NAME" ) ]]; then
  die "--create-github-oidc-provider goes with --github-repository (the provider is only for its role)"
fi
if [[ $CONSOLE_SET -eq 1 && ( ( -n "$CONSOLE_DOMAIN" && -z "$CONSOLE_CERT" ) || ( -z "$CONSOLE_DOMAIN" && -n "$CONSOLE_CERT" ) ) ]]; then
  die "--console-domain and --console-certificate-arn go together (or both '' to remove the back office)"
fi
if [[ $CONSOLE_PROVIDER_SET -eq 1 && -n "$CONSOLE_ISSUER" && -z "$CONSOLE_CLIENT_ID" ]]; then
  die "--console-issuer needs --console-client-id"
fi
if [[ $EDITING_SET -eq 1 && ( ( -n "$EDITING_DOMAIN" && -z "$EDITING_CERT" ) || ( -z "$EDITING_DOMAIN" && -n "$EDITING_CERT" ) ) ]]; then
  die "--editing-domain and --editing-certificate-arn go together (or both '' to remove the editing screen)"
fi
if [[ $EDITING_SET -eq 1 && -n "$EDITING_DOMAIN" && ! "$EDITING_DOMAIN" =~ $HOST_RE ]]; then
  die "--editing-domain must be a host name such as redactie.opp.example.nl"
fi
if [[ $EDITING_SET -eq 1 && -n "$EDITING_CERT" && "$EDITING_CERT" != arn:aws*:acm:us-east-1:* ]]; then
  die "--editing-certificate-arn must be an ACM certificate in us-east-1 (CloudFront requires it)"
fi
if [[ $EDITING_CLIENT_SET -eq 1 && ( ( -n "$EDITING_CLIENT_ID" && -z "$EDITING_CLIENT_SECRET" ) || ( -z "$EDITING_CLIENT_ID" && -n "$EDITING_CLIENT_SECRET" ) ) ]]; then
  die "--editing-github-client-id and --editing-github-client-secret-name go together (the App's client id and the secret with its client secret)"
fi
if [[ $EDITING_CLIENT_SET -eq 1 && -n "$EDITING_CLIENT_SECRET" && ! "$EDITING_CLIENT_SECRET" =~ ^[A-Za-z0-9/_+=.@-]+$ ]]; then
  die "--editing-github-client-secret-name must be the secret's name (such as opp/editing/github-client-secret), not its ARN"
fi
if [[ $PREVIEW_SET -eq 1 && ( ( -n "$PREVIEW_DOMAIN" && -z "$PREVIEW_CERT" ) || ( -z "$PREVIEW_DOMAIN" && -n "$PREVIEW_CERT" ) ) ]]; then
  die "--preview-domain and --preview-certificate-arn go together (or both '' to remove the previews)"
fi
if [[ $PREVIEW_SET -eq 1 && -n "$PREVIEW_DOMAIN" && ! "$PREVIEW_DOMAIN" =~ $HOST_RE ]]; then
  die "--preview-domain must be a domain such as voorbeeld.opp.example.nl (previews are at pr-<N>.<domain>)"
fi
if [[ $PREVIEW_SET -eq 1 && -n "$PREVIEW_CERT" && "$PREVIEW_CERT" != arn:aws*:acm:us-east-1:* ]]; then
  die "--preview-certificate-arn must be an ACM certificate in us-east-1 (CloudFront requires it), for *.$PREVIEW_DOMAIN"
fi
if [[ $PREVIEW_SET -eq 1 && -n "$PREVIEW_DOMAIN" && $GITHUB_REPOSITORY_SET -eq 1 && -z "$GITHUB_REPOSITORY_NAME" ]]; then
  die "--preview-domain needs the stack's GitHub repository (previews are of its pull requests): do not pass --github-repository ''"
fi
if [[ $ALARM_EMAIL_SET -eq 1 && -n "$ALARM_EMAIL" && ! "$ALARM_EMAIL" =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]]; then
  die "--alarm-email must be an e-mail address"
fi
if [[ -n "$LINK_KEY_VERSION" ]] && ! [[ "$LINK_KEY_VERSION" =~ ^[1-9][0-9]{0,8}$ ]]; then
  die "--link-key-version must be a whole number of at least 1 (the version \"current\" names in the key ring)"
fi

# Work from the repository root, wherever the script was called from.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
TEMPLATE="infra/template.yaml"
WAF_TEMPLATE="infra/waf.yaml"
WAF_STACK="$STACK_NAME-waf"
BUILD_DIR="target/sam/build"
# SAM CLI versions that still call the cargo-lambda build method a beta ask for confirmation without this.
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION" SAM_CLI_TELEMETRY=0 SAM_CLI_BETA_RUST_CARGO_LAMBDA=1

# ------------------------------------------------------------------------------------------------
# Running commands (or printing them with --dry-run). Commands are echoed to stderr as '+ cmd'.
# No secret is ever on a command line: a new origin secret goes to the AWS CLI on standard input.
# ------------------------------------------------------------------------------------------------
# shellcheck source=infra/run-commands.sh
source infra/run-commands.sh
# A read-only AWS query whose output is used: in --dry-run it is printed and PLACEHOLDER returned.
query() {
  local placeholder="$1"; shift
  if [[ $DRY_RUN -eq 1 ]]; then print_cmd "$@" >&2; echo "$placeholder"; else "$@"; fi
}

# ------------------------------------------------------------------------------------------------
# 1. Prerequisites
# ------------------------------------------------------------------------------------------------
check_prerequisites() {
  local missing=()
  command -v aws >/dev/null 2>&1 || missing+=("aws (AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)")
  command -v sam >/dev/null 2>&1 || missing+=("sam (AWS SAM CLI: pip install aws-sam-cli, or the installer from AWS)")
  command -v cargo >/dev/null 2>&1 || missing+=("cargo (Rust toolchain: https://rustup.rs)")
  command -v cargo-lambda >/dev/null 2>&1 || missing+=("cargo-lambda (pip install cargo-lambda)")
  if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed 2>/dev/null | grep -qx 'aarch64-unknown-linux-gnu'; then
    missing+=("Rust target aarch64-unknown-linux-gnu (rustup target add aarch64-unknown-linux-gnu)")
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    printf 'deploy: missing: %s\n' "${missing[@]}" >&2
    if [[ $DRY_RUN -eq 1 ]]; then
      echo "deploy: (dry run: going on anyway)" >&2
    else
      exit 1
    fi
  fi
  if [[ $DRY_RUN -eq 0 ]]; then
    aws sts get-caller-identity --query Account --output text >/dev/null 2>&1 \
      || die "no working AWS credentials (aws configure / aws sso login / AWS_PROFILE)"
  fi
}

# A new origin secret value: 256 random bits as 64 hex digits (the stack's first value is 48
# letters and digits from Secrets Manager; the function accepts any value of at least 32 characters).
new_secret() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex 32
  else
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
  fi
}

stack_exists() {
  if [[ $DRY_RUN -eq 1 ]]; then
    print_cmd aws cloudformation describe-stacks --stack-name "$STACK_NAME" --region "$REGION" >&2
    [[ $ROTATE_SECRET -eq 1 ]] && return 0
    return 1
  fi
  local status
  status="$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" --region "$REGION" \
    --query 'Stacks[0].StackStatus' --output text 2>/dev/null)" || return 1
  case "$status" in
    ROLLBACK_COMPLETE|ROLLBACK_FAILED|DELETE_FAILED)
      die "stack $STACK_NAME is in $status (its first deploy failed); look at its events, then remove it with: aws cloudformation delete-stack --stack-name $STACK_NAME --region $REGION (the table and bucket are retained; delete them too if they are empty)" ;;
    *_IN_PROGRESS)
      die "stack $STACK_NAME is busy ($status); try again when it has finished" ;;
  esac
  return 0
}

stack_output() {
  query "<$1>" aws cloudformation describe-stacks --stack-name "$STACK_NAME" --region "$REGION" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text
}

# A stack parameter's current value ('' when the stack does not have it).
stack_parameter() {
  local value
  value="$(query "$2" aws cloudformation describe-stacks --stack-name "$STACK_NAME" --region "$REGION" \
    --query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue | [0]" --output text)"
  [[ "$value" == "None" ]] && value=""
  echo "$value"
}

# The version id of the origin secret's version with staging label $2 ('' when there is none).
secret_version() {
  local value
  value="$(query "$3" aws secretsmanager list-secret-version-ids --secret-id "$1" --region "$REGION" \
    --query "Versions[?contains(VersionStages, '$2')].VersionId | [0]" --output text)"
  [[ "$value" == "None" ]] && value=""
  echo "$value"
}

# Phase 1 of a rotation: a new value becomes AWSCURRENT, the old one AWSPREVIOUS. The value goes to
# the AWS CLI on standard input (file:///dev/stdin), so it is in no process list and on no disk.
# Prints the new version id.
put_new_secret_value() {
  print_cmd aws secretsmanager put-secret-value --secret-id "$1" --region "$REGION" \
    --secret-string file:///dev/stdin --query VersionId --output text >&2
  echo "  (the new value comes from new_secret on standard input and is not printed)" >&2
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "<new-version-id>"
    return 0
  fi
  local value
  value="$(new_secret)"
  [[ ${#value} -ge 32 ]] || die "could not make a new secret value"
  printf '%s' "$value" | aws secretsmanager put-secret-value --secret-id "$1" --region "$REGION" \
    --secret-string file:///dev/stdin --query VersionId --output text
}

wait_for_function_refresh() {
  say "Waiting $ROTATION_WAIT s: within 5 minutes every function instance re-reads the secret and then accepts the old and the new value (stopping here is safe: the next deploy.sh run finishes the rotation)"
  run sleep "$ROTATION_WAIT"
}

# One --parameter-overrides item; sam needs an empty value written as Key="".
param() {
  if [[ -n "$2" ]]; then printf '%s=%s' "$1" "$2"; else printf '%s=""' "$1"; fi
}

sam_deploy() {
  local overrides=("$@")
  run sam deploy \
    --template-file "$BUILD_DIR/template.yaml" \
    --stack-name "$STACK_NAME" \
    --region "$REGION" \
    --resolve-s3 \
    --s3-prefix "$STACK_NAME" \
    --capabilities CAPABILITY_IAM \
    --no-confirm-changeset \
    --no-fail-on-empty-changeset \
    --tags "Project=landelijk-opp Environment=$STAGE" \
    --parameter-overrides "${overrides[@]}"
}

say "Checking prerequisites"
check_prerequisites

# ------------------------------------------------------------------------------------------------
# 2. Build the function (cargo lambda, arm64) with SAM
# ------------------------------------------------------------------------------------------------
# The size settings of infra/lambda-build.env reach cargo through sam build -> cargo lambda build.
LAMBDA_BUILD_ENV=()  # (a read loop, not mapfile: macOS still ships bash 3.2)
while IFS= read -r setting; do LAMBDA_BUILD_ENV+=("$setting"); done < <(grep -E '^[A-Z][A-Z0-9_]*=' infra/lambda-build.env)
[[ ${#LAMBDA_BUILD_ENV[@]} -gt 0 ]] || die "infra/lambda-build.env has no KEY=VALUE lines"
# One sam build builds both functions, one after the other in the same Cargo target directory (the
# second reuses the first one's dependencies): RegistrationFunction and MailerFunction.
say "Building the functions (sam build: cargo lambda build --release --arm64 --bin opp-handler, --bin opp-mailer, --bin opp-console and --bin opp-editors)"
run env "${LAMBDA_BUILD_ENV[@]}" sam build --template "$TEMPLATE" --build-dir "$BUILD_DIR" --region "$REGION"
# Every binary must be there (and their sizes are worth a look: BENCHMARKS.md).
run ls -l "$BUILD_DIR/RegistrationFunction/bootstrap" "$BUILD_DIR/MailerFunction/bootstrap" "$BUILD_DIR/ConsoleFunction/bootstrap" \
  "$BUILD_DIR/EditorsFunction/bootstrap"

# ------------------------------------------------------------------------------------------------
# 3. Deploy the stack
# ------------------------------------------------------------------------------------------------
OVERRIDES=("Stage=$STAGE")
FIRST_DEPLOY=0
if stack_exists; then
  say "Stack $STACK_NAME exists: updating"
else
  say "Stack $STACK_NAME does not exist yet: first deploy"
  FIRST_DEPLOY=1
fi

if [[ $ROTATE_SECRET -eq 1 && $FIRST_DEPLOY -eq 1 ]]; then
  die "--rotate-origin-secret needs an existing stack (its first deploy makes the secret)"
fi
# A new stack has no GitHub client to keep: the template's Rules would refuse the editing screen without one.
if [[ $EDITING_SET -eq 1 && -n "$EDITING_DOMAIN" && $FIRST_DEPLOY -eq 1 && ( $EDITING_CLIENT_SET -eq 0 || -z "$EDITING_CLIENT_ID" ) ]]; then
  die "--editing-domain needs --editing-github-client-id and --editing-github-client-secret-name on a first deploy (docs/operations/editing-screen.md)"
fi
# A new stack has no repository to keep: the template's Rules would refuse previews without one.
if [[ $PREVIEW_SET -eq 1 && -n "$PREVIEW_DOMAIN" && $FIRST_DEPLOY -eq 1 && $GITHUB_REPOSITORY_SET -eq 0 ]]; then
  die "--preview-domain needs --github-repository on a first deploy (docs/operations/previews.md)"
fi
# A sender must be an address at the domain the stack keeps when --domain is not given.
if [[ $MAIL_FROM_SET -eq 1 && -n "$MAIL_FROM" && $DOMAIN_SET -eq 0 && $FIRST_DEPLOY -eq 0 && $DRY_RUN -eq 0 ]]; then
  STACK_DOMAIN="$(stack_parameter DomainName "")"
  [[ "${MAIL_FROM#*@}" == "$STACK_DOMAIN" ]] \
    || die "--mail-from must be an address at the stack's domain (${STACK_DOMAIN:-none}): that is the SES identity the mailer may send as"
fi

# The WAF (infra/waf.yaml; on unless --no-waf or --web-acl-arn): its own stack in us-east-1, where CloudFront's web ACLs live.
# Parameters not given keep their previous values (aws cloudformation deploy does that).
if [[ $WAF -eq 1 ]]; then
  say "Deploying the WAF stack $WAF_STACK to us-east-1"
  WAF_DEPLOY=(aws cloudformation deploy --template-file "$WAF_TEMPLATE" --stack-name "$WAF_STACK"
    --region us-east-1 --no-fail-on-empty-changeset --tags Project=landelijk-opp "Environment=$STAGE"
    --parameter-overrides "Stage=$STAGE")
  [[ -n "$WAF_RATE_LIMIT" ]] && WAF_DEPLOY+=("ApiRateLimit=$WAF_RATE_LIMIT")
  [[ -n "$WAF_IP_REPUTATION" ]] && WAF_DEPLOY+=("IpReputationList=$WAF_IP_REPUTATION")
  run "${WAF_DEPLOY[@]}"
  WEB_ACL_ARN="$(query "<WebAclArn>" aws cloudformation describe-stacks --stack-name "$WAF_STACK" --region us-east-1 \
    --query "Stacks[0].Outputs[?OutputKey=='WebAclArn'].OutputValue | [0]" --output text)"
  [[ -n "$WEB_ACL_ARN" && "$WEB_ACL_ARN" != "None" ]] || die "stack $WAF_STACK has no WebAclArn output"
  WEB_ACL_SET=1
fi
[[ $WEB_ACL_SET -eq 1 ]] && OVERRIDES+=("$(param WebAclArn "$WEB_ACL_ARN")")

# The origin secret lives in Secrets Manager (resource OriginSecret); CloudFront gets the version
# named by the parameter OriginSecretVersionId (empty: AWSCURRENT at the first deploy). Rotation,
# in two phases (docs/operations/secrets.md, "Rotating the origin secret"):
#   1. put-secret-value: the new value becomes AWSCURRENT, the old one AWSPREVIOUS; the function
#      accepts both once it has re-read them (at most 5 minutes); CloudFront still sends the old one;
#   2. after the wait, the stack update below with OriginSecretVersionId=<new version>: CloudFront
#      sends the new value (its edges switch over a few minutes, and both values are accepted).
# A rotation that stopped between the phases (pinned version no longer AWSCURRENT) is finished by
# the next run, --rotate-origin-secret or not, so that phase 1 never runs twice in a row (that would
# drop the value CloudFront still sends). Later deploys leave the parameter out of
# --parameter-overrides, so sam deploy keeps its previous value.
if [[ $FIRST_DEPLOY -eq 0 ]]; then
  SECRET_ARN="$(stack_output OriginSecretArn)"
  if [[ -z "$SECRET_ARN" || "$SECRET_ARN" == "None" ]]; then
    # A stack from before the secret (parameter OriginVerifySecret): this deploy creates it.
    [[ $ROTATE_SECRET -eq 1 ]] && die "stack $STACK_NAME has no origin secret in Secrets Manager yet: deploy once without --rotate-origin-secret (docs/operations/secrets.md, \"Migrating a stack from OriginVerifySecret\")"
    say "Migrating the origin secret to Secrets Manager: /api/* may refuse requests for a few minutes while CloudFront takes the new value (docs/operations/secrets.md)"
  else
    PINNED="$(stack_parameter OriginSecretVersionId "<current-version-id>")"
    CURRENT="$(secret_version "$SECRET_ARN" AWSCURRENT "<current-version-id>")"
    [[ -n "$CURRENT" ]] || die "the origin secret $SECRET_ARN has no AWSCURRENT version"
    PENDING=0
    if [[ -n "$PINNED" ]]; then
      [[ "$PINNED" != "$CURRENT" ]] && PENDING=1
    elif [[ -n "$(secret_version "$SECRET_ARN" AWSPREVIOUS "")" ]]; then
      PENDING=1  # rotated, but CloudFront still has the value of the first deploy
    fi
    if [[ $PENDING -eq 1 ]]; then
      say "Origin secret: phase 1 of a rotation was done, phase 2 was not: finishing it now"
      [[ $ROTATE_SECRET -eq 1 ]] && say "(no second new value: run --rotate-origin-secret again after this deploy if you want one)"
      wait_for_function_refresh
      OVERRIDES+=("OriginSecretVersionId=$CURRENT")
    elif [[ $ROTATE_SECRET -eq 1 ]]; then
      say "Rotating the origin secret, phase 1: a new value in Secrets Manager"
      NEW_VERSION="$(put_new_secret_value "$SECRET_ARN")"
      [[ -n "$NEW_VERSION" && "$NEW_VERSION" != "None" ]] || die "put-secret-value returned no version id"
      wait_for_function_refresh
      say "Rotating the origin secret, phase 2: CloudFront gets version $NEW_VERSION with this deploy"
      OVERRIDES+=("OriginSecretVersionId=$NEW_VERSION")
    fi
  fi
fi

if [[ $DOMAIN_SET -eq 1 ]]; then
  OVERRIDES+=("$(param DomainName "$DOMAIN")")
  # A new domain also decides the site origin unless --site-origin says otherwise, and the mail
  # sender (noreply@DOMAIN) and MAIL FROM domain unless --mail-from or --mail-from-domain do: an
  # address at the old domain could not be sent from (the template's Rules refuse it without one).
  [[ $SITE_ORIGIN_SET -eq 0 ]] && OVERRIDES+=("$(param SiteOrigin "")")
  [[ $MAIL_FROM_SET -eq 0 ]] && OVERRIDES+=("$(param MailFromAddress "")")
  [[ $MAIL_FROM_DOMAIN_SET -eq 0 ]] && OVERRIDES+=("$(param MailFromDomain "")")
fi
[[ $CERT_SET -eq 1 ]] && OVERRIDES+=("$(param AcmCertificateArn "$CERT_ARN")")
[[ $SITE_ORIGIN_SET -eq 1 ]] && OVERRIDES+=("$(param SiteOrigin "$SITE_ORIGIN")")
[[ $MAIL_FROM_SET -eq 1 ]] && OVERRIDES+=("$(param MailFromAddress "$MAIL_FROM")")
[[ $MAIL_FROM_DOMAIN_SET -eq 1 ]] && OVERRIDES+=("$(param MailFromDomain "$MAIL_FROM_DOMAIN")")
[[ $ALARM_EMAIL_SET -eq 1 ]] && OVERRIDES+=("$(param AlarmEmail "$ALARM_EMAIL")")
if [[ $CONSOLE_SET -eq 1 ]]; then
  OVERRIDES+=("$(param ConsoleDomainName "$CONSOLE_DOMAIN")" "$(param ConsoleCertificateArn "$CONSOLE_CERT")")
fi
if [[ $CONSOLE_PROVIDER_SET -eq 1 ]]; then
  OVERRIDES+=("$(param ConsoleOidcIssuer "$CONSOLE_ISSUER")" "$(param ConsoleOidcClientId "$CONSOLE_CLIENT_ID")"
    "$(param ConsoleOidcClientSecretName "$CONSOLE_CLIENT_SECRET")")
fi
if [[ $EDITING_SET -eq 1 ]]; then
  OVERRIDES+=("$(param EditingDomainName "$EDITING_DOMAIN")" "$(param EditingCertificateArn "$EDITING_CERT")")
fi
if [[ $EDITING_CLIENT_SET -eq 1 ]]; then
  OVERRIDES+=("$(param EditingGitHubClientId "$EDITING_CLIENT_ID")"
    "$(param EditingGitHubClientSecretName "$EDITING_CLIENT_SECRET")")
fi
if [[ $PREVIEW_SET -eq 1 ]]; then
  OVERRIDES+=("$(param PreviewDomainName "$PREVIEW_DOMAIN")" "$(param PreviewCertificateArn "$PREVIEW_CERT")")
fi
[[ $GITHUB_REPOSITORY_SET -eq 1 ]] && OVERRIDES+=("$(param GitHubRepository "$GITHUB_REPOSITORY_NAME")")
[[ -n "$CREATE_OIDC_PROVIDER" ]] && OVERRIDES+=("$(param CreateGitHubOidcProvider "$CREATE_OIDC_PROVIDER")")
[[ -n "$LINK_KEY_VERSION" ]] && OVERRIDES+=("LinkKeyVersion=$LINK_KEY_VERSION")
# One retention period: the function's fallback follows config.yaml, as the meeting items do.
RETENTION="$(sed -n 's/^retention_days:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$REPO_ROOT/config.yaml" | head -n 1)"
[[ -n "$RETENTION" ]] && OVERRIDES+=("RetentionDays=$RETENTION")

say "Deploying stack $STACK_NAME to $REGION"
sam_deploy "${OVERRIDES[@]}"

# Second pass (first deploy without a domain): the function's SITE_ORIGIN cannot reference the
# distribution (the distribution depends on the API, which depends on the function), so it is
# passed in as the SiteOrigin parameter once the CloudFront domain is known.
IN_USE="$(stack_output SiteOriginInUse)"
if [[ "$IN_USE" == "(none)" || ( $DRY_RUN -eq 1 && $FIRST_DEPLOY -eq 1 && -z "$DOMAIN" && $SITE_ORIGIN_SET -eq 0 ) ]]; then
  CF_DOMAIN="$(stack_output DistributionDomainName)"
  say "Second pass: SiteOrigin=https://$CF_DOMAIN"
  SECOND=("Stage=$STAGE" "SiteOrigin=https://$CF_DOMAIN")
  [[ $DOMAIN_SET -eq 1 ]] && SECOND+=("$(param DomainName "$DOMAIN")")
  [[ $CERT_SET -eq 1 ]] && SECOND+=("$(param AcmCertificateArn "$CERT_ARN")")
  sam_deploy "${SECOND[@]}"
fi

# ------------------------------------------------------------------------------------------------
# 4. Stack outputs
# ------------------------------------------------------------------------------------------------
BUCKET="$(stack_output SiteBucketName)"
DISTRIBUTION_ID="$(stack_output DistributionId)"
TABLE="$(stack_output TableName)"
SITE_URL="$(stack_output SiteUrl)"
for value in "$BUCKET" "$DISTRIBUTION_ID" "$TABLE" "$SITE_URL"; do
  [[ -n "$value" && "$value" != "None" ]] || die "stack $STACK_NAME lacks an output (deploy failed?)"
done
say "Site: $SITE_URL  bucket: $BUCKET  distribution: $DISTRIBUTION_ID  table: $TABLE"
# The editing screen's bucket and distribution, when the stack has one (outputs only with EditingDomainName).
# A dry run, which assumes a new stack, shows them only when --editing-domain is given.
EDITING_BUCKET=""
EDITING_DISTRIBUTION_ID=""
if [[ $DRY_RUN -eq 0 || ( $EDITING_SET -eq 1 && -n "$EDITING_DOMAIN" ) ]]; then
  EDITING_BUCKET="$(stack_output EditingScreenBucketName)"
  EDITING_DISTRIBUTION_ID="$(stack_output EditingScreenDistributionId)"
  [[ "$EDITING_BUCKET" == "None" ]] && EDITING_BUCKET=""
  [[ "$EDITING_DISTRIBUTION_ID" == "None" ]] && EDITING_DISTRIBUTION_ID=""
fi
if [[ -n "$EDITING_BUCKET" && -n "$EDITING_DISTRIBUTION_ID" ]]; then
  say "Editing screen: $(stack_output EditingScreenUrl)  bucket: $EDITING_BUCKET  distribution: $EDITING_DISTRIBUTION_ID"
  say "Editing screen: point its host name at $(stack_output EditingScreenDistributionDomainName) (CNAME, or A/AAAA alias)"
fi
# The previews of pull requests, when the stack has them (outputs only with PreviewDomainName): what the wildcard
# record and the repository variables need (docs/operations/previews.md). Nothing is uploaded from here.
if [[ $DRY_RUN -eq 0 || ( $PREVIEW_SET -eq 1 && -n "$PREVIEW_DOMAIN" ) ]]; then
  PREVIEWS_AT="$(stack_output PreviewDomain)"
  if [[ -n "$PREVIEWS_AT" && "$PREVIEWS_AT" != "None" ]]; then
    say "Previews: https://pr-<N>.$PREVIEWS_AT/; point *.$PREVIEWS_AT at $(stack_output PreviewDistributionDomainName) (CNAME)"
    say "Previews: repository variables PREVIEW_BUCKET=$(stack_output PreviewBucketName) PREVIEW_ROLE_ARN=$(stack_output PreviewDeployRoleArn) PREVIEW_DOMAIN=$PREVIEWS_AT"
  fi
fi

# ------------------------------------------------------------------------------------------------
# 4b. E-mail: the DKIM records to publish until SES has verified them, and the SES sandbox
# ------------------------------------------------------------------------------------------------
MAIL_IDENTITY="$(stack_output MailIdentityInUse)"
if [[ -z "$MAIL_IDENTITY" || "$MAIL_IDENTITY" == "None" || "$MAIL_IDENTITY" == "(none)" ]]; then
  say "E-mail: off (no custom domain, so no SES identity: the mailer sends nothing; docs/operations/ses.md, \"E-mail (SES)\")"
else
  say "E-mail: from $(stack_output MailFromInUse), through $(stack_output MailConfigurationSetName)"
  DKIM_STATUS="$(query "<DkimStatus>" aws sesv2 get-email-identity --email-identity "$MAIL_IDENTITY" \
    --region "$REGION" --query 'DkimAttributes.Status' --output text)" || DKIM_STATUS="unknown"
  if [[ "$DKIM_STATUS" != "SUCCESS" ]]; then
    DKIM_TOKENS=()
    read -r -a DKIM_TOKENS <<<"$(query "<token1> <token2> <token3>" aws sesv2 get-email-identity \
      --email-identity "$MAIL_IDENTITY" --region "$REGION" --query 'DkimAttributes.Tokens' --output text || true)"
    say "E-mail: DKIM of $MAIL_IDENTITY is $DKIM_STATUS; publish these records in its DNS (docs/operations/ses.md, \"E-mail (SES)\"):"
    if [[ ${#DKIM_TOKENS[@]} -gt 0 ]]; then  # (an empty array is "unbound" to bash 3.2 under set -u)
      for token in "${DKIM_TOKENS[@]}"; do
        echo "    ${token}._domainkey.${MAIL_IDENTITY}  CNAME  ${token}.dkim.amazonses.com" >&2
      done
    fi
  fi
  PRODUCTION="$(query "<ProductionAccessEnabled>" aws sesv2 get-account --region "$REGION" \
    --query 'ProductionAccessEnabled' --output text)" || PRODUCTION="unknown"
  if [[ "$PRODUCTION" != "True" ]]; then
    say "E-mail: SES in $REGION may still be in the sandbox (production access: $PRODUCTION): mail only reaches verified addresses and the mailbox simulator, at most 200 a day; see docs/operations/ses.md, \"Leaving the SES sandbox\""
  fi
fi

# ------------------------------------------------------------------------------------------------
# 4c. DNS: every record the domain needs, printed; created in Route 53 with --hosted-zone-id.
#   - A and AAAA aliases to CloudFront (IPv6 is on; internet.nl checks both);
#   - CAA: only Amazon (ACM) may issue certificates for the domain;
#   - SPF: "v=spf1 -all" on the From domain when SES uses its own MAIL FROM (amazonses.com), or SES's
#     include on the custom MAIL FROM domain with its MX; never a null MX (RFC 7505 §4.3: bounces and
#     replies need somewhere to go);
#   - DMARC p=quarantine: DKIM (signed as the domain) aligns; reports are the ministry's choice;
#   - DKIM: SES's three CNAMEs (also printed above while unverified).
# ------------------------------------------------------------------------------------------------
if [[ $DOMAIN_SET -eq 1 ]]; then SITE_DOMAIN="$DOMAIN"; else SITE_DOMAIN="$(stack_output MailIdentityInUse)"; fi
if [[ -n "$SITE_DOMAIN" && "$SITE_DOMAIN" != "None" && "$SITE_DOMAIN" != "(none)" ]]; then
  CF_DOMAIN="$(stack_output DistributionDomainName)"
  if [[ $MAIL_FROM_DOMAIN_SET -eq 1 || $FIRST_DEPLOY -eq 1 ]]; then
    CUSTOM_MAIL_FROM="$MAIL_FROM_DOMAIN"
  else
    CUSTOM_MAIL_FROM="$(stack_parameter MailFromDomain "")"
  fi
  DNS_RECORDS=(
    "$SITE_DOMAIN|A|ALIAS $CF_DOMAIN"
    "$SITE_DOMAIN|AAAA|ALIAS $CF_DOMAIN"
    "$SITE_DOMAIN|CAA|0 issue \"amazon.com\""
  )
  if [[ -n "$CUSTOM_MAIL_FROM" ]]; then
    DNS_RECORDS+=(
      "$CUSTOM_MAIL_FROM|MX|10 feedback-smtp.$REGION.amazonses.com"
      "$CUSTOM_MAIL_FROM|TXT|\"v=spf1 include:amazonses.com -all\""
    )
  else
    DNS_RECORDS+=("$SITE_DOMAIN|TXT|\"v=spf1 -all\"")
  fi
  DNS_RECORDS+=("_dmarc.$SITE_DOMAIN|TXT|\"v=DMARC1; p=quarantine\"")
  DKIM_ALL=()
  read -r -a DKIM_ALL <<<"$(query "<token1> <token2> <token3>" aws sesv2 get-email-identity \
    --email-identity "$SITE_DOMAIN" --region "$REGION" --query 'DkimAttributes.Tokens' --output text || true)"
  if [[ ${#DKIM_ALL[@]} -gt 0 ]]; then
    for token in "${DKIM_ALL[@]}"; do
      DNS_RECORDS+=("${token}._domainkey.$SITE_DOMAIN|CNAME|${token}.dkim.amazonses.com")
    done
  fi
  say "DNS: the records $SITE_DOMAIN needs (docs/operations/ses.md, \"DNS records to publish\"):"
  for record in "${DNS_RECORDS[@]}"; do
    IFS='|' read -r name type value <<<"$record"
    printf '    %s  %s  %s\n' "$name" "$type" "$value" >&2
  done
  if [[ -n "$HOSTED_ZONE_ID" ]]; then
    say "DNS: creating them in Route 53 zone $HOSTED_ZONE_ID (UPSERT)"
    CHANGES=""
    for record in "${DNS_RECORDS[@]}"; do
      IFS='|' read -r name type value <<<"$record"
      if [[ "$value" == ALIAS\ * ]]; then
        # Z2FDTNDATAQYW2: the hosted zone of every CloudFront distribution.
        change="{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{\"Name\":\"$name\",\"Type\":\"$type\",\"AliasTarget\":{\"HostedZoneId\":\"Z2FDTNDATAQYW2\",\"DNSName\":\"${value#ALIAS }\",\"EvaluateTargetHealth\":false}}}"
      else
        escaped="${value//\"/\\\"}"
        change="{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{\"Name\":\"$name\",\"Type\":\"$type\",\"TTL\":3600,\"ResourceRecords\":[{\"Value\":\"$escaped\"}]}}"
      fi
      CHANGES="${CHANGES:+$CHANGES,}$change"
    done
    run aws route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" \
      --change-batch "{\"Comment\":\"Landelijk OPP site ($STACK_NAME)\",\"Changes\":[$CHANGES]}" \
      --query 'ChangeInfo.Status' --output text
  fi
fi

# ------------------------------------------------------------------------------------------------
# 5-8. The content: build the site for its URL, upload, invalidate, sync the meetings. The same script
# GitHub Actions runs on every merge (.github/workflows/deploy.yml); sam deploy updated the functions.
# ------------------------------------------------------------------------------------------------
PUBLISH=(bash infra/publish-content.sh --region "$REGION" --site-url "$SITE_URL" --bucket "$BUCKET"
  --distribution-id "$DISTRIBUTION_ID" --table "$TABLE")
if [[ -n "$EDITING_BUCKET" && -n "$EDITING_DISTRIBUTION_ID" ]]; then
  PUBLISH+=(--editing-bucket "$EDITING_BUCKET" --editing-distribution-id "$EDITING_DISTRIBUTION_ID")
fi
[[ $SKIP_MEETINGS -eq 1 ]] && PUBLISH+=(--skip-meetings)
[[ $DRY_RUN -eq 1 ]] && PUBLISH+=(--dry-run)
"${PUBLISH[@]}"

if [[ $ROTATE_SECRET -eq 1 ]]; then
  say "Origin secret rotated: CloudFront sends the new value; the old one stays accepted (AWSPREVIOUS) until the next rotation"
fi
if [[ -n "$LINK_KEY_VERSION" ]]; then
  say "Both functions restarted for link key version $LINK_KEY_VERSION: now run opp-admin rekey-links (infra/README.md, \"Rotating the link key\")"
fi
if [[ $ALARM_EMAIL_SET -eq 1 && -n "$ALARM_EMAIL" ]]; then
  say "Alarms go to $ALARM_EMAIL once its owner confirms the subscription in the mail from AWS Notifications"
fi
say "Done: $SITE_URL"
