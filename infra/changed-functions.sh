#!/usr/bin/env bash
# Which Lambda functions' sources changed between two commits: prints each binary whose code must be
# deployed again (opp-handler, opp-mailer), one per line, nothing when neither changed. A base that is not
# a commit of this repository (a first push, a force push) prints both. The GitHub workflow
# (.github/workflows/deploy.yml) builds and deploys only these; infra/tests/test_template.py holds the lists
# below to each crate's path dependencies.
#
#   infra/changed-functions.sh BASE HEAD
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: infra/changed-functions.sh BASE HEAD" >&2; exit 2; }
base="$1"
head="$2"

# What every function is built from: the workspace's manifests and lock file, the build settings, the
# configuration compiled in, and the crates both depend on.
COMMON=(Cargo.toml Cargo.lock .cargo infra/lambda-build.env config.yaml model render store)
# Each function's own crate and what its build script embeds (pages, e-mail templates).
HANDLER=(handler theme/templates)
MAILER=(mailer theme/emails)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! git cat-file -e "${base}^{commit}" 2>/dev/null; then
  printf '%s\n' opp-handler opp-mailer
  exit 0
fi
changed() { ! git diff --quiet "$base" "$head" -- "$@"; }
if changed "${COMMON[@]}" "${HANDLER[@]}"; then echo opp-handler; fi
if changed "${COMMON[@]}" "${MAILER[@]}"; then echo opp-mailer; fi
