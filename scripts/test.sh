#!/usr/bin/env bash
# The whole test suite: build + typecheck, start (or reuse) the local cloud, then every vitest
# project (unit and real-cloud). Prints a closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npx tsc -p tsconfig.test.json
bash test/cloud/ensure.sh
# the second, independent cloud: target of the cross-cloud restore tests
bash test/cloud/ensure.sh --instance two
export PERMAFROST_CLOUD_READY=1
mkdir -p .test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@" || status=$?
node -e '
  const r = require("./.test-results/vitest.json");
  const line = `${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : "");
  console.log(line);
' || true
exit $status
