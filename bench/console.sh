#!/usr/bin/env bash
# Back-office benchmarks (bench/README.md, "Back office"):
#   (a) the arm64 Lambda zip of opp-console (cargo lambda build --release --arm64 with the function's build
#       settings from infra/lambda-build.env, as infra/deploy.sh builds it),
#   (b) the function time of the overview, the first page of a 300-person meeting's list and a search over
#       it (release, warm, in process against the embedded store), and each page gzipped,
#   (c) process start of `opp-console --local` to its first page (release).
# Usage: bash bench/console.sh            full run (release builds; a few minutes the first time)
#        bash bench/console.sh --quick    tiny run with the debug binaries (CI: keeps the benchmark working)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target/bench"
out="$target/bench/console.md"

if [ "${1:-}" = "--quick" ]; then
  cargo build --quiet --locked --workspace --bins  # the test command's feature set: links only
  "$target/debug/opp-bench-console" --quick --console-bin "$target/debug/opp-console" | tee "$target/bench/console-quick.md"
  exit 0
fi

cargo build --quiet --locked --release -p opp-console -p opp-bench --bins
lambda_build_env=()
while IFS= read -r setting; do lambda_build_env+=("$setting"); done < <(grep -E '^[A-Z][A-Z0-9_]*=' infra/lambda-build.env)
[ ${#lambda_build_env[@]} -gt 0 ] || { echo "infra/lambda-build.env has no KEY=VALUE lines" >&2; exit 1; }
{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB; $(rustc --version)"
  echo
  if command -v cargo-lambda >/dev/null 2>&1; then
    env "${lambda_build_env[@]}" cargo lambda build --quiet --release --arm64 --bin opp-console --output-format zip >/dev/null 2>&1
    zip="$target/lambda/opp-console/bootstrap.zip"
    echo "(a) arm64 Lambda zip (bootstrap.zip): $(stat -c %s "$zip" | awk '{printf "%.2f MB (%d bytes)", $1/1e6, $1}')"
  else
    echo "(a) arm64 Lambda zip: not measured (pip install cargo-lambda)"
  fi
  echo
  "$target/release/opp-bench-console" --console-bin "$target/release/opp-console"
} | tee "$out"
