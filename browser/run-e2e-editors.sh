#!/usr/bin/env bash
# The editors' sign-in (opp-editors) end to end in a real browser with the real Decap CMS, GitHub answered
# by a stand-in on loopback: browser/e2e-editors.mjs, with run-e2e.sh's setup (Chromium, browser/node_modules
# from the lock, which holds decap-cms). Builds opp-editors and opp-site when missing. Exits non-zero when any
# check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
if [ ! -x "$target/debug/opp-editors" ] || [ ! -x "$target/debug/opp-site" ]; then
  cargo build --quiet --locked --bin opp-editors --bin opp-site
fi
E2E_SCRIPT=browser/e2e-editors.mjs exec bash browser/run-e2e.sh
