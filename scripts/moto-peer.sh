#!/usr/bin/env bash
# Runs the tests that need a second, independent AWS peer: moto in server mode on loopback.
# - The store's and opp-admin's integration tests against moto's DynamoDB instead of dynoxide, one test at a
#   time (moto is shared and reset per test; the concurrency tests stay on dynoxide, because moto does not
#   isolate transactions).
# - The origin secret against moto's Secrets Manager.
# - The mailer's SES send against moto's SESv2, the message read with Python's email and icalendar.
# - opp-admin's attendance list read back with openpyxl (a spreadsheet reader), print settings included.
# - The README's table queries, run with the AWS CLI (installed here too) against dynoxide.
# Installs moto into target/moto-venv the first time. Usage: scripts/moto-peer.sh (from anywhere).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/moto-venv
MOTO_VERSION=5.2.5
AWSCLI_VERSION=1.46.3
ICALENDAR_VERSION=7.3.2
OPENPYXL_VERSION=3.1.5
if ! "$VENV/bin/python" -c "import moto, icalendar, openpyxl, sys; sys.exit(moto.__version__ != '$MOTO_VERSION' or icalendar.__version__ != '$ICALENDAR_VERSION' or openpyxl.__version__ != '$OPENPYXL_VERSION')" 2>/dev/null \
   || ! [ -x "$VENV/bin/aws" ]; then
  echo "moto-peer: installing moto[server]==$MOTO_VERSION, awscli==$AWSCLI_VERSION, icalendar==$ICALENDAR_VERSION and openpyxl==$OPENPYXL_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "awscli==$AWSCLI_VERSION" "icalendar==$ICALENDAR_VERSION" "openpyxl==$OPENPYXL_VERSION" >target/moto-pip.log 2>&1 \
    || { tail -20 target/moto-pip.log >&2; exit 1; }
fi

port=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >target/moto-server.log 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    break
  fi
  sleep 0.1
done

export OPP_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$port" OPP_TEST_MOTO_ENDPOINT="http://127.0.0.1:$port"
export OPP_TEST_AWS_CLI="$PWD/$VENV/bin/aws" OPP_TEST_PYTHON="$PWD/$VENV/bin/python"
echo "moto-peer: moto $MOTO_VERSION on 127.0.0.1:$port"
# Every command here selects the whole workspace (--workspace, then --test to pick): a `-p` selection
# resolves other features and compiles the AWS SDK a second time.
cargo test --locked --workspace --test registrations --test origin_secret --test admin --test erasure --test prune \
  -- --test-threads=1 --include-ignored
# The mailer's SES send (its table on dynoxide, its SES on moto).
cargo test --locked --workspace --test ses -- --include-ignored
# The README's queries run against dynoxide (the local store `cargo dev` runs), not moto.
env -u OPP_TEST_DYNAMODB_ENDPOINT cargo test --locked --workspace --test readme_queries -- --include-ignored
