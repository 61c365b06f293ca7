#!/usr/bin/env bash
# Runs the tests that need a second, independent AWS peer: moto in server mode on loopback.
# - The store's and opp-admin's integration tests against moto's DynamoDB instead of dynoxide, one test at a
#   time (moto is shared and reset per test; the concurrency tests stay on dynoxide, because moto does not
#   isolate transactions).
# - The origin secret against moto's Secrets Manager.
# - The mailer's SES send against moto's SESv2, the message read with Python's email and icalendar.
# - opp-admin's attendance list read back with openpyxl (a spreadsheet reader), print settings included.
# - The organisers' guide's table queries (docs/organisatoren.md), run with the AWS CLI (installed here too) against dynoxide.
# Installs moto into target/moto-venv the first time (scripts/setup moto). Usage: scripts/moto-peer.sh (from anywhere).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup moto
VENV="$(realpath "${CARGO_TARGET_DIR:-target}/moto-venv")"

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
export OPP_TEST_AWS_CLI="$VENV/bin/aws" OPP_TEST_PYTHON="$VENV/bin/python"
echo "moto-peer: moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)') on 127.0.0.1:$port"
# Every command here selects the whole workspace (--workspace, then --test it: each crate's one integration-test
# binary), and picks modules by name: a `-p` selection resolves other features and compiles the AWS SDK a
# second time. Module names are unique across the crates' `tests/it/`.
cargo test --locked --workspace --test it -- --test-threads=1 --include-ignored \
  registrations:: origin_secret:: admin:: erasure:: prune::
# The mailer's SES send (its table on dynoxide, its SES on moto).
cargo test --locked --workspace --test it -- --include-ignored ses::
# The organisers' guide's table queries run against dynoxide (the local store `cargo dev` runs), not moto.
env -u OPP_TEST_DYNAMODB_ENDPOINT cargo test --locked --workspace --test it -- --include-ignored table_queries::
