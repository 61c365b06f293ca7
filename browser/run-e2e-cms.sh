#!/usr/bin/env bash
# The editing screen (Decap CMS at /admin/) end to end in a real browser against `opp-dev --cms` (docs/redactie/werkscherm.md,
# "Op je eigen computer"): browser/e2e-cms.mjs, with run-e2e.sh's setup (Chromium, browser/node_modules from the
# lock, which holds decap-cms and decap-server, and the binaries). Exits non-zero when any check failed.
set -euo pipefail
E2E_SCRIPT=browser/e2e-cms.mjs exec bash "$(dirname "$0")/run-e2e.sh"
