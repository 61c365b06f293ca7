#!/usr/bin/env bash
# Benchmarks the generator against Hugo, and Zola when it is on PATH, on synthetic content: builds (wall time,
# pages/s, peak memory) and the rebuild in `serve` after editing one page. See bench/README.md for what is measured
# and how to read it.
#
#   bash bench/generator.sh [N...]     full run (default N: 1000 10000), release binary, 5 repetitions
#   bash bench/generator.sh --quick    CI: N=50, one repetition, both kinds of layouts, the binary from
#                                      OPP_SITE_BIN (default target/debug/opp-site, never compiled here), Hugo
#                                      and Zola only when installed
#
# Environment: OPP_SITE_BIN (binary to measure; a full run builds the release binary when unset), HUGO (hugo
# binary), ZOLA (zola binary; skipped with a note when unset and not on PATH), LAYOUTS ("same-work", "bare" or
# "same-work bare"; default same-work, --quick both), BASELINE (another opp-site binary, e.g. from an older commit,
# measured alongside), BENCH_WORK (tmpfs folder, default /dev/shm/opp-bench), BENCH_OUT (report, default
# target/bench/generator.md), REPS, EDITS.
# Needs python3 (standard library only) and GNU time (/usr/bin/time, Debian package `time`) for peak memory.
set -euo pipefail
self="$(realpath "$0")"
cd "$(dirname "$self")/.."

quick=0
pages=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$self"; exit 0 ;;
    *) pages+=("$arg") ;;
  esac
done

target="${CARGO_TARGET_DIR:-target}"
if [ "$quick" = 1 ]; then
  bin="${OPP_SITE_BIN:-$target/debug/opp-site}"
  [ ${#pages[@]} -gt 0 ] || pages=(50)
  reps="${REPS:-1}"
  edits="${EDITS:-2}"
  layouts="${LAYOUTS:-same-work bare}"
else
  if [ -z "${OPP_SITE_BIN:-}" ]; then
    echo "==> cargo build --release -p opp-site" >&2
    cargo build --release --locked -p opp-site --bin opp-site >&2
  fi
  bin="${OPP_SITE_BIN:-$target/release/opp-site}"
  [ ${#pages[@]} -gt 0 ] || pages=(1000 10000)
  reps="${REPS:-5}"
  edits="${EDITS:-5}"
  layouts="${LAYOUTS:-same-work}"
fi
if [ ! -x "$bin" ]; then
  echo "error: $bin is not an executable; build it first or set OPP_SITE_BIN" >&2
  exit 1
fi

if [ ! -x /usr/bin/time ]; then
  if [ "$quick" = 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing GNU time (peak memory)" >&2
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null; } || true
  fi
  [ -x /usr/bin/time ] || echo "note: /usr/bin/time is missing; peak memory is not reported" >&2
fi

work="${BENCH_WORK:-/dev/shm/opp-bench}"
if [ ! -d "$(dirname "$work")" ] || ! [ -w "$(dirname "$work")" ]; then
  work="${TMPDIR:-/tmp}/opp-bench"
  echo "note: /dev/shm is not available; using $work (not tmpfs: numbers are not comparable)" >&2
fi

hugo_args=()
hugo="${HUGO:-$(command -v hugo || true)}"
if [ -n "$hugo" ]; then
  hugo_args=(--hugo "$hugo")
elif [ "$quick" = 1 ]; then
  echo "note: hugo is not installed; measuring opp-site only" >&2
  hugo_args=(--hugo "")
else
  echo "error: hugo is not installed (apt-get install -y hugo), or set HUGO" >&2
  exit 1
fi

# Zola is optional everywhere: no registry here has it (bench/README.md says how its figures were made).
zola="${ZOLA:-$(command -v zola || true)}"
if [ -n "$zola" ]; then
  zola_args=(--zola "$zola")
else
  echo "note: zola is not on PATH (or set ZOLA); Zola is skipped" >&2
  zola_args=(--zola "")
fi

read -r -a layout_args <<< "$layouts"

baseline_args=()
[ -z "${BASELINE:-}" ] || baseline_args=(--baseline "$BASELINE")

exec python3 bench/generator.py --opp-site "$bin" "${hugo_args[@]}" "${zola_args[@]}" "${baseline_args[@]}" \
  --pages "${pages[@]}" --layouts "${layout_args[@]}" --reps "$reps" --edits "$edits" --work "$work" \
  --out "${BENCH_OUT:-target/bench/generator.md}"
