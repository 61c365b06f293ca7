#!/usr/bin/env bash
# Handler benchmarks (bench/README.md, "Handler"):
#   (a) the release binary's size and the arm64 Lambda zip's size (cargo lambda build --release --arm64
#       with the function's build settings from infra/lambda-build.env, as infra/deploy.sh builds it),
#   (b) process start to first answered request of `opp-handler --local` (release profile, and an x86_64
#       build with the function's build settings, to show what optimising for size costs at start-up),
#   (c) the handler's cost per registration against the raw TransactWriteItems on the same in-process store,
#   (d) registrations per second with 16 concurrent HTTP clients against the local stack.
# Usage: bash bench/handler.sh            full run (release builds; a few minutes the first time)
#        bash bench/handler.sh --quick    tiny run with the debug binaries (CI: keeps the benchmark working)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target/bench"
out="$target/bench/handler.md"

if [ "${1:-}" = "--quick" ]; then
  cargo build --quiet --locked --workspace --bins  # the test command's feature set: links only
  "$target/debug/opp-bench-handler" --quick --handler-bin "$target/debug/opp-handler" | tee "$target/bench/handler-quick.md"
  exit 0
fi

cargo build --quiet --locked --release -p opp-handler -p opp-bench --bins
lambda_build_env=()  # (a read loop, not mapfile: macOS still ships bash 3.2)
while IFS= read -r setting; do lambda_build_env+=("$setting"); done < <(grep -E '^[A-Z][A-Z0-9_]*=' infra/lambda-build.env)
[ ${#lambda_build_env[@]} -gt 0 ] || { echo "infra/lambda-build.env has no KEY=VALUE lines" >&2; exit 1; }
# The function's settings differ from the release profile, so this build gets its own target directory.
lambda_x86="$target/lambda-settings"
env "${lambda_build_env[@]}" CARGO_TARGET_DIR="$lambda_x86" cargo build --quiet --locked --release -p opp-handler --bin opp-handler
{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB; $(rustc --version)"
  echo
  echo "| measurement | result |"
  echo "|---|---|"
  echo "| (a) release binary opp-handler, x86_64 (stripped) | $(stat -c %s "$target/release/opp-handler" | awk '{printf "%.2f MB", $1/1e6}') |"
  if command -v cargo-lambda >/dev/null 2>&1; then
    env "${lambda_build_env[@]}" cargo lambda build --quiet --release --arm64 --bin opp-handler --output-format zip >/dev/null 2>&1
    zip="$target/lambda/opp-handler/bootstrap.zip"
    unzipped=$(python3 -c "import zipfile,sys; print(zipfile.ZipFile(sys.argv[1]).getinfo('bootstrap').file_size)" "$zip")
    echo "| (a) arm64 Lambda binary (bootstrap) | $(awk -v b="$unzipped" 'BEGIN {printf "%.2f MB", b/1e6}') |"
    echo "| (a) arm64 Lambda zip (bootstrap.zip) | $(stat -c %s "$zip" | awk '{printf "%.2f MB", $1/1e6}') |"
  else
    echo "| (a) arm64 Lambda zip | not measured: pip install cargo-lambda |"
  fi
  "$target/release/opp-bench-handler" --handler-bin "$target/release/opp-handler" | tail -n +3
  startup=$("$target/release/opp-bench-handler" --startup-only --handler-bin "$lambda_x86/release/opp-handler")
  echo "| (b) the same, x86_64 build with the function's settings (infra/lambda-build.env) | $startup ms |"
} | tee "$out"
