# Running commands, or printing them with --dry-run: sourced by infra/deploy.sh and infra/publish-content.sh,
# which set DRY_RUN (0 or 1). Commands are echoed to stderr as '+ cmd' (the dry-run tests read those lines).
# shellcheck shell=bash

print_cmd() {
  local line
  line="$(printf '%q ' "$@")"
  echo "+ ${line% }"
}

run() {
  print_cmd "$@" >&2
  if [[ $DRY_RUN -eq 0 ]]; then "$@"; fi
}
