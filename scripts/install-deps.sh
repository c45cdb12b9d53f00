#!/usr/bin/env bash
# Installs what permafrost and its test suite need on a fresh Debian 12 machine:
# npm packages (and the build), then the local cloud's Debian packages (test/cloud/up.sh does those).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` rather than `npm ci`: with this machine's npm settings (omit-lockfile-registry-resolved)
  # the lock file lists rollup's optional per-platform packages in a form `npm ci` rejects as
  # "out of sync"; `npm install` honours the same lock file and installs the same versions.
  npm install --no-audit --no-fund
fi
npm run build --silent
