#!/usr/bin/env bash
# Mailer benchmarks (bench/README.md, "Mailer"): CPU per composed message against a null sender, and
# end-to-end batch throughput from the in-process store's stream through the poller and the batch function.
# Usage: bash bench/mailer.sh            full run (release build)
#        bash bench/mailer.sh --quick    tiny run with the debug binary (CI: keeps the benchmark working)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target/bench"
if [ "${1:-}" = "--quick" ]; then
  cargo build --quiet --locked --workspace --bins  # the test command's feature set: links only
  "$target/debug/opp-bench-mailer" --quick | tee "$target/bench/mailer-quick.md"
  exit 0
fi
cargo build --quiet --locked --release -p opp-bench --bin opp-bench-mailer
{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB; $(rustc --version)"
  echo
  "$target/release/opp-bench-mailer"
} | tee "$target/bench/mailer.md"
