#!/usr/bin/env bash
# Browser, accessibility and HTML checks of the static site (README.md, "Browser checks").
# Installs what is missing (Debian's Chromium and a Java runtime when root; browser/node_modules from the lock),
# then runs browser/site-checks.mjs. Exits non-zero when any check failed.
# Environment: OPP_SITE_BIN (default target/debug/opp-site), CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$chromium" ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${missing[*]} (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: missing ${missing[*]}: install with apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# npm packages, exactly as in browser/package-lock.json. No install scripts: puppeteer's would download a
# browser and vnu-jar's a Java runtime; Debian's Chromium and Java are used instead.
if [ ! -f browser/node_modules/.package-lock.json ] || [ browser/package-lock.json -nt browser/node_modules/.package-lock.json ]; then
  echo "==> npm ci (browser/)"
  (cd browser && PUPPETEER_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

bin="${OPP_SITE_BIN:-target/debug/opp-site}"
if [ ! -x "$bin" ]; then
  echo "==> building opp-site ($bin is missing)"
  cargo build --quiet --locked -p opp-generator --bin opp-site
fi

exec node browser/site-checks.mjs
