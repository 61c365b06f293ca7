# Sourced by browser/run.sh and browser/run-e2e.sh: installs what the browser tests need when it is missing.
# Debian's Chromium (and, with BROWSER_NEEDS_JAVA=1, a Java runtime for the Nu HTML Checker) via apt when root,
# and browser/node_modules exactly as in browser/package-lock.json, without install scripts: puppeteer's would
# download a browser and vnu-jar's a Java runtime, and Debian's are used instead.
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$chromium" ] || missing+=(chromium)
if [ "${BROWSER_NEEDS_JAVA:-0}" = 1 ]; then
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${missing[*]} (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: missing ${missing[*]}: install with apt-get install -y ${missing[*]} (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
if [ ! -f browser/node_modules/.package-lock.json ] || [ browser/package-lock.json -nt browser/node_modules/.package-lock.json ]; then
  echo "==> npm ci (browser/)"
  (cd browser && PUPPETEER_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
