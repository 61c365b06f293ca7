#!/usr/bin/env bash
# Browser, accessibility and HTML checks of the static site (README.md, "Browser checks").
# Installs what is missing (scripts/setup browser: Debian's Chromium and a Java runtime, browser/node_modules),
# then runs browser/site-checks.mjs. Exits non-zero when any check failed.
# Environment: OPP_SITE_BIN (default $CARGO_TARGET_DIR/debug/opp-site, else target/debug/opp-site), CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup browser

export OPP_SITE_BIN="${OPP_SITE_BIN:-${CARGO_TARGET_DIR:-target}/debug/opp-site}"
if [ ! -x "$OPP_SITE_BIN" ]; then
  echo "==> building opp-site ($OPP_SITE_BIN is missing)"
  cargo build --quiet --locked --workspace --bins
fi

exec node browser/site-checks.mjs
