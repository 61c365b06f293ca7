#!/usr/bin/env bash
# Browser, accessibility and HTML checks of the static site (README.md, "Browser checks").
# Installs what is missing (Debian's Chromium and a Java runtime when root; browser/node_modules from the lock),
# then runs browser/site-checks.mjs. Exits non-zero when any check failed.
# Environment: OPP_SITE_BIN (default $CARGO_TARGET_DIR/debug/opp-site, else target/debug/opp-site), CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/setup.sh
BROWSER_NEEDS_JAVA=1
source browser/lib/setup.sh

export OPP_SITE_BIN="${OPP_SITE_BIN:-${CARGO_TARGET_DIR:-target}/debug/opp-site}"
if [ ! -x "$OPP_SITE_BIN" ]; then
  echo "==> building opp-site ($OPP_SITE_BIN is missing)"
  cargo build --quiet --locked --workspace --bins
fi

exec node browser/site-checks.mjs
