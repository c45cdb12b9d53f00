#!/usr/bin/env bash
# Installs what permafrost and its test suite need on a fresh Debian 12 machine:
# npm packages (and the build), then the local cloud's Debian packages (test/cloud/up.sh does those).
set -euo pipefail
cd "$(dirname "$0")/.."
# The native block hasher (native/) is built by node-gyp at npm install: it needs a C compiler,
# make and python3. Without them npm skips it (an optional dependency) and hashing uses node:crypto.
missing=()
for tool in gcc make python3; do command -v "$tool" > /dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
  apt-get install -y -o DPkg::Lock::Timeout=600 gcc g++ make python3 > /dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -e native/build/Release/permafrost_native.node ]; then
  # `npm install` rather than `npm ci`: with npm's omit-lockfile-registry-resolved setting
  # the lock file lists rollup's optional per-platform packages in a form `npm ci` rejects as
  # "out of sync"; `npm install` honours the same lock file and installs the same versions.
  npm install --no-audit --no-fund
fi
npm run build --silent
