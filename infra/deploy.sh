#!/usr/bin/env bash
# Deploy the Landelijk OPP site and registration function to AWS (see infra/README.md).
#
#   infra/deploy.sh [--stack-name opp-site] [--region eu-central-1] [--stage prod]
#                   [--domain opp.example.nl --certificate-arn arn:aws:acm:us-east-1:...]
#                   [--site-origin https://...] [--rotate-origin-secret] [--skip-meetings] [--dry-run]
#
# Steps: check tools -> sam build (Rust function via cargo-lambda, arm64) -> sam deploy (a second
# pass on the very first deploy, to give the function the CloudFront origin) -> read the stack
# outputs -> build the site for the site URL -> upload (hashed assets immutable, the rest 300 s,
# then --delete) -> invalidate CloudFront -> sync meetings into the table (opp-admin).
# Safe to run again: unchanged stacks are not an error, uploads only send what changed.
#
# --dry-run prints every command instead of running it (AWS queries included; their answers are
# then placeholders and the stack is assumed not to exist yet, so the first-deploy path is shown).
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
SKIP_MEETINGS=0
DRY_RUN=0

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

Options:
  --stack-name NAME         CloudFormation stack (default opp-site)
  --region REGION           AWS region (default eu-central-1; keep data in the EU)
  --stage NAME              prod | staging | test | dev (default prod; a tag and part of names)
  --domain NAME             custom domain (needs --certificate-arn); '' removes it
  --certificate-arn ARN     ACM certificate in us-east-1 for --domain
  --site-origin URL         origin the function accepts (default: https://DOMAIN or the CloudFront domain)
  --rotate-origin-secret    generate a new X-Origin-Verify secret (otherwise the stack's value is kept)
  --skip-meetings           do not run opp-admin sync-meetings
  --dry-run                 print the commands instead of running them
  -h, --help                this text

Options that are not given keep the stack's previous value (first deploy: the template default).
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

# Work from the repository root, wherever the script was called from.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
TEMPLATE="infra/template.yaml"
BUILD_DIR="target/sam/build"
PUBLIC_DIR="public"
# SAM CLI versions that still call the cargo-lambda build method a beta ask for confirmation without this.
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION" SAM_CLI_TELEMETRY=0 SAM_CLI_BETA_RUST_CARGO_LAMBDA=1

# ------------------------------------------------------------------------------------------------
# Running commands (or printing them with --dry-run). Commands are echoed to stderr as '+ cmd';
# MASK hides the origin secret in what is printed.
# ------------------------------------------------------------------------------------------------
MASK=""
print_cmd() {
  local line
  line="$(printf '%q ' "$@")"
  if [[ -n "$MASK" ]]; then line="${line//$MASK/****}"; fi
  echo "+ ${line% }"
}
run() {
  print_cmd "$@" >&2
  if [[ $DRY_RUN -eq 0 ]]; then "$@"; fi
}
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
say "Building the function (sam build; cargo lambda build --release --arm64 --bin opp-handler)"
run env "${LAMBDA_BUILD_ENV[@]}" sam build --template "$TEMPLATE" --build-dir "$BUILD_DIR" --region "$REGION"

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

# The origin secret: made once, then kept in the stack. A parameter left out of
# --parameter-overrides is passed by sam deploy with UsePreviousValue=true, so re-deploys do not
# need to know it; nothing is written to disk.
if [[ $FIRST_DEPLOY -eq 1 || $ROTATE_SECRET -eq 1 ]]; then
  SECRET="$(new_secret)"
  MASK="$SECRET"
  OVERRIDES+=("OriginVerifySecret=$SECRET")
  [[ $ROTATE_SECRET -eq 1 ]] && say "Rotating the origin secret (CloudFront and the function change within minutes of each other)"
fi
if [[ $DOMAIN_SET -eq 1 ]]; then
  OVERRIDES+=("$(param DomainName "$DOMAIN")")
  # A new domain also decides the site origin unless --site-origin says otherwise.
  [[ $SITE_ORIGIN_SET -eq 0 ]] && OVERRIDES+=("$(param SiteOrigin "")")
fi
[[ $CERT_SET -eq 1 ]] && OVERRIDES+=("$(param AcmCertificateArn "$CERT_ARN")")
[[ $SITE_ORIGIN_SET -eq 1 ]] && OVERRIDES+=("$(param SiteOrigin "$SITE_ORIGIN")")
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

# ------------------------------------------------------------------------------------------------
# 5. Build the site for its public URL
# ------------------------------------------------------------------------------------------------
say "Building the site"
run cargo run --release -p opp-site --bin opp-site -- build --output "$PUBLIC_DIR" --base-url "$SITE_URL"
if [[ $DRY_RUN -eq 0 ]]; then
  [[ -f "$PUBLIC_DIR/index.html" ]] || die "$PUBLIC_DIR/index.html missing after the site build"
  [[ -f "$PUBLIC_DIR/404.html" ]] || die "$PUBLIC_DIR/404.html missing (CloudFront's error page)"
fi

# ------------------------------------------------------------------------------------------------
# 6. Upload: hashed assets (name.1a2b3c4d.ext) for a year, everything else 300 s, then --delete
# ------------------------------------------------------------------------------------------------
HEX='[0-9a-f]'
HASHED="*.${HEX}${HEX}${HEX}${HEX}${HEX}${HEX}${HEX}${HEX}.*"
say "Uploading hashed assets (immutable)"
run aws s3 sync "$PUBLIC_DIR/" "s3://$BUCKET/" --region "$REGION" --no-progress \
  --exclude '*' --include "$HASHED" \
  --cache-control 'public, max-age=31536000, immutable'
say "Uploading pages and unhashed files (300 s)"
run aws s3 sync "$PUBLIC_DIR/" "s3://$BUCKET/" --region "$REGION" --no-progress \
  --exclude "$HASHED" \
  --cache-control 'public, max-age=300'
say "Removing files that are no longer generated"
run aws s3 sync "$PUBLIC_DIR/" "s3://$BUCKET/" --region "$REGION" --no-progress --delete

# ------------------------------------------------------------------------------------------------
# 7. Invalidate CloudFront ('/*' counts as one path; 1,000 paths a month are free)
# ------------------------------------------------------------------------------------------------
say "Invalidating CloudFront"
run aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths '/*' \
  --query 'Invalidation.Id' --output text

# ------------------------------------------------------------------------------------------------
# 8. Meetings into the table (capacity, registration windows) with the organisers' CLI
# ------------------------------------------------------------------------------------------------
if [[ $SKIP_MEETINGS -eq 0 ]]; then
  say "Syncing meetings into $TABLE"
  run cargo run --release -p opp-admin --bin opp-admin -- \
    --table "$TABLE" --region "$REGION" sync-meetings "$PUBLIC_DIR/meetings.json"
fi

say "Done: $SITE_URL"
