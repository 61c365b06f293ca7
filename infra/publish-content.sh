#!/usr/bin/env bash
# Publish the content to a deployed stack: build the site for its URL (with the editing screen's Decap
# bundle from browser/node_modules in admin/decap/ when config.yaml has cms:) -> [--update-functions: build
# both Lambda binaries and update their code, as their pages and e-mails are compiled in] -> upload all but
# admin/ (hashed assets immutable, the rest 300 s, then --delete) -> [--editing-bucket: admin/ to the editing
# screen's own bucket (no-cache, --delete)] -> invalidate CloudFront -> sync the meetings into the table
# (opp-admin sync-meetings). infra/deploy.sh runs it after its stack deploy; the GitHub workflow
# .github/workflows/deploy.yml runs it on every merge to main and every night. Changes nothing else.
#
#   infra/publish-content.sh --region R --site-url URL --bucket B --distribution-id D --table T
#                            [--editing-bucket EB --editing-distribution-id ED]
#                            [--update-functions --function F --mailer-function M [--only BIN]...]
#                            [--skip-meetings] [--dry-run]
#   infra/publish-content.sh --build-only DIR --site-url URL [--update-functions [--only BIN]...]
#   infra/publish-content.sh --from-build DIR --region R --bucket B --distribution-id D --table T
#                            [--editing-bucket EB --editing-distribution-id ED]
#                            [--function F --mailer-function M] [--skip-meetings]
#
# Two halves for GitHub Actions: --build-only builds everything into DIR with no AWS credentials (the
# site, the Lambda zips asked for, opp-admin); --from-build deploys exactly that, and builds nothing, so
# no build script ever runs with the deploy role's credentials. Without either it does both (deploy.sh).
# --only opp-handler|opp-mailer (repeatable) updates just those functions (infra/changed-functions.sh).
#
# The editing screen (the build's admin/) never goes to the site's bucket. --editing-bucket and
# --editing-distribution-id (both or neither: the stack outputs EditingScreenBucketName and
# EditingScreenDistributionId) publish it at the root of its own origin (its Decap bundle at /decap/), and
# remove what the old layout left under admin/ in the site's bucket.
#
# --dry-run prints every command ('+ cmd' on stderr) instead of running it. What it calls is what the
# stack's ContentDeployRole allows (infra/template.yaml; admin/tests/deploy_role.rs checks sync's part).
set -euo pipefail

REGION=""
SITE_URL=""
BUCKET=""
DISTRIBUTION_ID=""
EDITING_BUCKET=""
EDITING_DISTRIBUTION_ID=""
TABLE=""
UPDATE_FUNCTIONS=0
FUNCTION=""
MAILER_FUNCTION=""
SKIP_MEETINGS=0
DRY_RUN=0
BUILD_DIR=""
FROM_BUILD=""
ONLY=()

die() { echo "publish: error: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --region) need_value "$@"; REGION="$2"; shift 2 ;;
    --site-url) need_value "$@"; SITE_URL="$2"; shift 2 ;;
    --bucket) need_value "$@"; BUCKET="$2"; shift 2 ;;
    --distribution-id) need_value "$@"; DISTRIBUTION_ID="$2"; shift 2 ;;
    --editing-bucket) need_value "$@"; EDITING_BUCKET="$2"; shift 2 ;;
    --editing-distribution-id) need_value "$@"; EDITING_DISTRIBUTION_ID="$2"; shift 2 ;;
    --table) need_value "$@"; TABLE="$2"; shift 2 ;;
    --update-functions) UPDATE_FUNCTIONS=1; shift ;;
    --function) need_value "$@"; FUNCTION="$2"; shift 2 ;;
    --mailer-function) need_value "$@"; MAILER_FUNCTION="$2"; shift 2 ;;
    --skip-meetings) SKIP_MEETINGS=1; shift ;;
    --build-only) need_value "$@"; BUILD_DIR="$2"; shift 2 ;;
    --from-build) need_value "$@"; FROM_BUILD="$2"; shift 2 ;;
    --only) need_value "$@"; ONLY+=("$2"); shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[[ -n "$BUILD_DIR" && -n "$FROM_BUILD" ]] && die "--build-only and --from-build are the two halves: give one of them"
if [[ -n "$EDITING_BUCKET" && -z "$EDITING_DISTRIBUTION_ID" ]] || [[ -z "$EDITING_BUCKET" && -n "$EDITING_DISTRIBUTION_ID" ]]; then
  die "--editing-bucket and --editing-distribution-id go together (the stack outputs EditingScreenBucketName and EditingScreenDistributionId)"
fi
[[ -n "$BUILD_DIR" && -n "$EDITING_BUCKET" ]] && die "--editing-bucket is for the deploy, not for --build-only"
BUILD=1
DEPLOY=1
[[ -n "$BUILD_DIR" ]] && DEPLOY=0
[[ -n "$FROM_BUILD" ]] && BUILD=0
if [[ $BUILD -eq 1 ]]; then required=(SITE_URL); else required=(); fi
[[ $DEPLOY -eq 1 ]] && required+=(REGION BUCKET DISTRIBUTION_ID TABLE)
for name in "${required[@]}"; do
  option="--$(echo "$name" | tr '[:upper:]_' '[:lower:]-')"
  [[ -n "${!name}" ]] || die "$option is required (the stack's outputs have it: infra/README.md)"
done
if [[ $BUILD -eq 1 ]]; then
  [[ $DRY_RUN -eq 1 || "$SITE_URL" =~ ^https?://[^/]+$ ]] || die "--site-url must be scheme and host without a path, such as https://opp.example.nl"
fi
for binary in ${ONLY[@]+"${ONLY[@]}"}; do
  case "$binary" in opp-handler|opp-mailer) ;; *) die "--only takes opp-handler or opp-mailer, not $binary" ;; esac
done
# The functions to build or update: --only's, else both.
if [[ ${#ONLY[@]} -gt 0 ]]; then FUNCTIONS=("${ONLY[@]}"); else FUNCTIONS=(opp-handler opp-mailer); fi
# Deploying from a build: the functions are those the build made.
if [[ -n "$FROM_BUILD" ]]; then
  FUNCTIONS=()
  for binary in opp-handler opp-mailer; do
    [[ -f "$FROM_BUILD/lambda/$binary.zip" ]] && FUNCTIONS+=("$binary")
  done
  [[ ${#FUNCTIONS[@]} -gt 0 ]] && UPDATE_FUNCTIONS=1
fi
if [[ $DEPLOY -eq 1 && $UPDATE_FUNCTIONS -eq 1 && ( -z "$FUNCTION" || -z "$MAILER_FUNCTION" ) ]]; then
  die "updating the functions needs --function and --mailer-function (the stack outputs FunctionName and MailerFunctionName)"
fi

# Relative paths are the caller's, before the script moves to the repository.
[[ -n "$BUILD_DIR" ]] && BUILD_DIR="$(mkdir -p "$BUILD_DIR" && cd "$BUILD_DIR" && pwd)"
if [[ -n "$FROM_BUILD" ]]; then
  FROM_BUILD="$(cd "$FROM_BUILD" 2>/dev/null && pwd)" || die "--from-build: no such folder"
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PUBLIC_DIR="public"
[[ -n "$BUILD_DIR" ]] && PUBLIC_DIR="$BUILD_DIR/public"
[[ -n "$FROM_BUILD" ]] && PUBLIC_DIR="$FROM_BUILD/public"
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"

# shellcheck source=infra/run-commands.sh
source infra/run-commands.sh

# ------------------------------------------------------------------------------------------------
# 1. Build the site for its public URL
# ------------------------------------------------------------------------------------------------
if [[ $BUILD -eq 1 ]]; then
  say "Building the site"
  run cargo run --release -p opp-site --bin opp-site -- build --output "$PUBLIC_DIR" --base-url "$SITE_URL"
  if [[ $DRY_RUN -eq 0 ]]; then
    [[ -f "$PUBLIC_DIR/index.html" ]] || die "$PUBLIC_DIR/index.html missing after the site build"
    [[ -f "$PUBLIC_DIR/404.html" ]] || die "$PUBLIC_DIR/404.html missing (CloudFront's error page)"
  fi

  # The editing screen (config.yaml's cms:): the build wrote admin/index.html and admin/config.yml; Decap's
  # bundle (pinned in browser/package-lock.json) goes beside them, without its source maps. admin/ is
  # published to the editing screen's own bucket, at its root: the bundle is at /decap/ there, which
  # admin/index.html loads relatively (decap/decap-cms.js).
  if [[ $DRY_RUN -eq 1 || -f "$PUBLIC_DIR/admin/index.html" ]]; then
    BUNDLE="browser/node_modules/decap-cms/dist"
    if [[ $DRY_RUN -eq 0 && ! -f "$BUNDLE/decap-cms.js" ]]; then
      die "the site has an editing screen, but $BUNDLE/decap-cms.js is missing: run npm ci --prefix browser first"
    fi
    say "Adding the editing screen's bundle (Decap CMS) to $PUBLIC_DIR/admin/decap/"
    run mkdir -p "$PUBLIC_DIR/admin/decap"
    run find "$BUNDLE" -maxdepth 1 -type f "(" -name '*.js' -o -name '*.wasm' ")" -exec cp {} "$PUBLIC_DIR/admin/decap/" ";"
  fi
elif [[ $DRY_RUN -eq 0 ]]; then
  [[ -f "$PUBLIC_DIR/index.html" && -f "$PUBLIC_DIR/meetings.json" ]] || die "--from-build: $PUBLIC_DIR holds no built site"
fi

# ------------------------------------------------------------------------------------------------
# 2. The functions' code (their pages and e-mails are compiled in): built here, or taken from the build
# ------------------------------------------------------------------------------------------------
if [[ $UPDATE_FUNCTIONS -eq 1 ]]; then
  if [[ $BUILD -eq 1 ]]; then
    LAMBDA_BUILD_ENV=()
    while IFS= read -r setting; do LAMBDA_BUILD_ENV+=("$setting"); done < <(grep -E '^[A-Z][A-Z0-9_]*=' infra/lambda-build.env)
    [[ ${#LAMBDA_BUILD_ENV[@]} -gt 0 ]] || die "infra/lambda-build.env has no KEY=VALUE lines"
  fi
  for binary in "${FUNCTIONS[@]}"; do
    if [[ "$binary" == opp-handler ]]; then name="$FUNCTION"; else name="$MAILER_FUNCTION"; fi
    zip="target/lambda/$binary/bootstrap.zip"
    if [[ $BUILD -eq 1 ]]; then
      say "Building $binary (cargo lambda, arm64)"
      run env "${LAMBDA_BUILD_ENV[@]}" cargo lambda build --release --arm64 --locked --bin "$binary" --output-format zip
    fi
    if [[ -n "$BUILD_DIR" ]]; then
      run mkdir -p "$BUILD_DIR/lambda"
      run cp "$zip" "$BUILD_DIR/lambda/$binary.zip"
    fi
    [[ -n "$FROM_BUILD" ]] && zip="$FROM_BUILD/lambda/$binary.zip"
    if [[ $DEPLOY -eq 1 ]]; then
      say "Updating $name with $binary"
      run aws lambda update-function-code --function-name "$name" --region "$REGION" \
        --zip-file "fileb://$zip" --query 'LastUpdateStatus' --output text
    fi
  done
fi

# The meeting sync's program: built here for the deploy half, which then builds nothing.
if [[ -n "$BUILD_DIR" ]]; then
  say "Building opp-admin (the meeting sync) for the deploy"
  run cargo build --release --locked -p opp-admin --bin opp-admin
  run mkdir -p "$BUILD_DIR/bin"
  run cp target/release/opp-admin "$BUILD_DIR/bin/opp-admin"
  say "Built into $BUILD_DIR: the site, ${FUNCTIONS[*]:-no function} (if asked), opp-admin"
  exit 0
fi

# ------------------------------------------------------------------------------------------------
# 3. Upload: hashed assets (name.1a2b3c4d.ext) for a year, everything else 300 s, then --delete. Never
#    admin/, the editing screen: it has its own origin (3b). The exclude comes last on each sync, so it
#    wins over the includes before it (aws s3 sync applies the filters in order, the last match deciding).
# ------------------------------------------------------------------------------------------------
HEX='[0-9a-f]'
HASHED="*.${HEX}${HEX}${HEX}${HEX}${HEX}${HEX}${HEX}${HEX}.*"
say "Uploading hashed assets (immutable)"
run aws s3 sync "$PUBLIC_DIR/" "s3://$BUCKET/" --region "$REGION" --no-progress \
  --exclude '*' --include "$HASHED" --exclude 'admin/*' \
  --cache-control 'public, max-age=31536000, immutable'
say "Uploading pages and unhashed files (300 s)"
run aws s3 sync "$PUBLIC_DIR/" "s3://$BUCKET/" --region "$REGION" --no-progress \
  --exclude "$HASHED" --exclude 'admin/*' \
  --cache-control 'public, max-age=300'
# RFC 9116 wants security.txt as text/plain with its charset; s3 sync guesses text/plain without one.
say "Uploading .well-known/security.txt as text/plain; charset=utf-8"
run aws s3 cp "$PUBLIC_DIR/.well-known/security.txt" "s3://$BUCKET/.well-known/security.txt" \
  --region "$REGION" --no-progress --content-type 'text/plain; charset=utf-8' \
  --cache-control 'public, max-age=300'
say "Removing files that are no longer generated"
run aws s3 sync "$PUBLIC_DIR/" "s3://$BUCKET/" --region "$REGION" --no-progress --delete --exclude 'admin/*'

# ------------------------------------------------------------------------------------------------
# 3b. The editing screen on its own origin: the build's admin/ at the root of its bucket, every file
#     "no-cache" (CloudFront and browsers ask again each time, so a new Decap bundle or config.yml shows at
#     once), then --delete. Before that, what the old layout (/admin/ on the site's origin) left in the
#     site's bucket goes: the sync above no longer touches admin/.
# ------------------------------------------------------------------------------------------------
if [[ -n "$EDITING_BUCKET" ]]; then
  if [[ $DRY_RUN -eq 0 && ! -f "$PUBLIC_DIR/admin/index.html" ]]; then
    die "--editing-bucket: $PUBLIC_DIR/admin/index.html is missing (config.yaml has no cms:?); publishing would empty the editing screen's bucket"
  fi
  say "Removing the editing screen's old copy from the site's bucket (s3://$BUCKET/admin/)"
  run aws s3 rm "s3://$BUCKET/admin/" --recursive --region "$REGION" --only-show-errors
  say "Uploading the editing screen to its own bucket (no-cache)"
  run aws s3 sync "$PUBLIC_DIR/admin/" "s3://$EDITING_BUCKET/" --region "$REGION" --no-progress --delete --cache-control 'no-cache'
fi

# ------------------------------------------------------------------------------------------------
# 4. Invalidate CloudFront ('/*' counts as one path; 1,000 paths a month are free)
# ------------------------------------------------------------------------------------------------
say "Invalidating CloudFront"
run aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths '/*' \
  --query 'Invalidation.Id' --output text
if [[ -n "$EDITING_DISTRIBUTION_ID" ]]; then
  say "Invalidating the editing screen's distribution"
  run aws cloudfront create-invalidation --distribution-id "$EDITING_DISTRIBUTION_ID" --paths '/*' \
    --query 'Invalidation.Id' --output text
fi

# ------------------------------------------------------------------------------------------------
# 5. Meetings into the table (capacity, registration windows) with the organisers' CLI
# ------------------------------------------------------------------------------------------------
if [[ $SKIP_MEETINGS -eq 0 ]]; then
  say "Syncing meetings into $TABLE"
  if [[ -n "$FROM_BUILD" ]]; then
    # The deploy role may touch the meeting items only: the mailer does the follow-ups from the stream.
    run "$FROM_BUILD/bin/opp-admin" --table "$TABLE" --region "$REGION" sync-meetings --details-only \
      "$PUBLIC_DIR/meetings.json"
  else
    run cargo run --release -p opp-admin --bin opp-admin -- \
      --table "$TABLE" --region "$REGION" sync-meetings "$PUBLIC_DIR/meetings.json"
  fi
fi
