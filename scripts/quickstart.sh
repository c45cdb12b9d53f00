#!/usr/bin/env bash
# The newcomer's first command: install everything, start and seed the local OpenStack
# (test/cloud), then run permafrost's main job against it with the embedded default — a
# local-directory repository (./permafrost-repo) and the seeded `demo` project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash test/cloud/ensure.sh
export OS_CLIENT_CONFIG_FILE=/var/lib/devcloud/clouds.yaml
export PERMAFROST_PASSWORD="${PERMAFROST_PASSWORD:-quickstart-demo-password}"
pf() { node bin/permafrost.js "$@"; }
echo "== inventory of project demo"
pf inventory --os-cloud devcloud-demo
if pf backup --help >/dev/null 2>&1; then
  repo="${PERMAFROST_REPOSITORY:-./permafrost-repo}"
  [ -f "$repo/config" ] || pf repo init --repo "$repo"
  echo "== backup of project demo into $repo"
  pf backup --os-cloud devcloud-demo --repo "$repo"
  pf snapshots --repo "$repo"
fi
