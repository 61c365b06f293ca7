#!/usr/bin/env bash
# End-to-end tests of registering in a real browser against the local stack (README.md, "Browser checks").
# Installs what is missing (scripts/setup browser: Debian's Chromium, browser/node_modules), builds opp-dev and
# opp-admin if they are missing, then runs browser/e2e.mjs. Exits non-zero when any check failed.
# Environment: OPP_DEV_BIN, OPP_ADMIN_BIN (default <target>/debug/opp-dev and opp-admin, where <target> is
# $CARGO_TARGET_DIR or target/), CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup browser

target="${CARGO_TARGET_DIR:-target}"
export OPP_DEV_BIN="${OPP_DEV_BIN:-$target/debug/opp-dev}"
export OPP_ADMIN_BIN="${OPP_ADMIN_BIN:-$target/debug/opp-admin}"
if [ ! -x "$OPP_DEV_BIN" ] || [ ! -x "$OPP_ADMIN_BIN" ]; then
  echo "==> building opp-dev and opp-admin ($OPP_DEV_BIN or $OPP_ADMIN_BIN is missing)"
  cargo build --quiet --locked --bin opp-dev --bin opp-admin
fi

exec node "${E2E_SCRIPT:-browser/e2e.mjs}"
