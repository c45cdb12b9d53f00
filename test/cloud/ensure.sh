#!/usr/bin/env bash
# Start the local cloud if it is not running (reuse it when it is) and seed the demo project once.
#   test/cloud/ensure.sh [--instance NAME]
# Exit status non-zero with the reason on stderr when the cloud cannot be started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
args=("$@")
sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo -n); fi
. "$here/common.sh"
dc_parse_instance_args "$@"
dc_init_vars
if ! "${sudo_cmd[@]}" "$here/up.sh" "${args[@]}" > "/tmp/permafrost-cloud-up-${INSTANCE}.log" 2>&1; then
  echo "local cloud ($INSTANCE) failed to start; last lines of /tmp/permafrost-cloud-up-${INSTANCE}.log:" >&2
  tail -25 "/tmp/permafrost-cloud-up-${INSTANCE}.log" >&2
  exit 1
fi
if [ ! -s "$STATE/seed/manifest.txt" ]; then
  if ! "${sudo_cmd[@]}" "$here/seed-demo.sh" "${args[@]}" > "/tmp/permafrost-cloud-seed-${INSTANCE}.log" 2>&1; then
    echo "seeding the demo project ($INSTANCE) failed; last lines of /tmp/permafrost-cloud-seed-${INSTANCE}.log:" >&2
    tail -25 "/tmp/permafrost-cloud-seed-${INSTANCE}.log" >&2
    exit 1
  fi
fi
if [ ! -f "$STATE/seed/permafrost-extra.done" ]; then
  if ! "${sudo_cmd[@]}" "$here/seed-extra.sh" "${args[@]}" > "/tmp/permafrost-cloud-seed-extra-${INSTANCE}.log" 2>&1; then
    echo "extending the demo seed ($INSTANCE) failed; last lines of /tmp/permafrost-cloud-seed-extra-${INSTANCE}.log:" >&2
    tail -25 "/tmp/permafrost-cloud-seed-extra-${INSTANCE}.log" >&2
    exit 1
  fi
fi
echo "local cloud ($INSTANCE) is up and seeded: clouds.yaml $STATE/clouds.yaml"
