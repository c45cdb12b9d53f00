#!/usr/bin/env bash
# The whole test suite: build + typecheck, start (or reuse) the local clouds, then both vitest
# projects — `unit` (pure logic, CPU-bound) and `cloud` (real OpenStack, mostly waiting on it) —
# side by side. Prints a closing "N passed, N failed" line. Extra arguments go to every vitest run.
set -euo pipefail
cd "$(dirname "$0")/.."
# The suites name their clouds themselves (test/cloud writes /etc/openstack/clouds.yaml): an
# OS_CLIENT_CONFIG_FILE or OS_CLOUD of the caller's shell would point them elsewhere (seen: a
# shell's OS_CLIENT_CONFIG_FILE for one instance hid the second cloud from the cross-cloud restore).
for v in $(compgen -e | grep '^OS_' || true); do unset "$v"; done
bash scripts/install-deps.sh
npx tsc -p tsconfig.test.json
bash test/cloud/ensure.sh
# the second, independent cloud: target of the cross-cloud restore tests
bash test/cloud/ensure.sh --instance two
export PERMAFROST_CLOUD_READY=1
mkdir -p .test-results
rm -f .test-results/*.json
# Four lanes side by side: the unit suites (CPU), the demo restore suite (long waits on the cloud:
# whole projects restored, servers booting), the in-place overwrite suites (each in its own small
# project, several servers stopped/rebuilt) and every other real-cloud suite. The restore suites never
# touch the shared demo project except to back it up (they restore into copies), and every
# real-cloud suite names what it creates pf-test-* and leaves those out of its backups, so the
# lanes do not disturb each other; together they take about the time of the longest lane.
restore_suites=(test/cloud-e2e/restore-demo.test.ts)
overwrite_suites=(test/cloud-e2e/restore-overwrite.test.ts test/cloud-e2e/restore-overwrite-resume.test.ts)
lane_excludes=()
for f in "${restore_suites[@]}" "${overwrite_suites[@]}"; do lane_excludes+=(--exclude "$f"); done
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.test-results/unit.json "$@" \
  > .test-results/unit.log 2>&1 &
unit_pid=$!
npx vitest run --project cloud --reporter=default --reporter=json --outputFile.json=.test-results/restore.json "${restore_suites[@]}" "$@" \
  > .test-results/restore.log 2>&1 &
restore_pid=$!
npx vitest run --project cloud --reporter=default --reporter=json --outputFile.json=.test-results/overwrite.json "${overwrite_suites[@]}" "$@" \
  > .test-results/overwrite.log 2>&1 &
overwrite_pid=$!
cloud_status=0
npx vitest run --project cloud "${lane_excludes[@]}" --reporter=default --reporter=json --outputFile.json=.test-results/cloud.json "$@" \
  2>&1 | tee .test-results/cloud.log || cloud_status=$?
unit_status=0
wait "$unit_pid" || unit_status=$?
restore_status=0
wait "$restore_pid" || restore_status=$?
overwrite_status=0
wait "$overwrite_pid" || overwrite_status=$?
echo "---- overwrite suites (.test-results/overwrite.log)"
cat .test-results/overwrite.log
echo "---- restore suite (.test-results/restore.log)"
cat .test-results/restore.log
echo "---- unit suites (.test-results/unit.log)"
cat .test-results/unit.log
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0, skipped = 0;
  const brokenFiles = [];
  for (const f of ["unit", "cloud", "restore", "overwrite"]) {
    const file = `.test-results/${f}.json`;
    if (!fs.existsSync(file)) { console.error(`no results from the ${f} project`); failed++; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests;
    // A file can fail with no failed test (an error in beforeAll skips its tests): name it and
    // its first error here, at the end of the output, where a CI log tail shows it.
    for (const t of r.testResults ?? []) {
      if (t.status !== "failed") continue;
      const firstFailed = (t.assertionResults ?? []).find((a) => a.status === "failed");
      // Stack frames say nothing here; a timeout comes as a bare "STACK_TRACE_ERROR" (its text is in the lane log).
      const lines = (t.message || firstFailed?.failureMessages?.[0] || "").split("\n").filter((l) => !/^\s+at /.test(l));
      const why = [firstFailed ? `test: ${firstFailed.title}` : "", ...lines.slice(0, 5)].filter(Boolean).join("\n    ");
      brokenFiles.push(`  ${f} lane: ${require("node:path").relative(process.cwd(), t.name)}\n    ${why}`);
    }
  }
  if (brokenFiles.length) console.log(`failed test files:\n${brokenFiles.join("\n")}`);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "") + (brokenFiles.length ? `, ${brokenFiles.length} file(s) failed` : ""));
'
# A lane can also fail with every file passing (vitest exits 1 on an unhandled error between tests):
# name the lane and show that part of its log last, where a CI log tail shows it.
for lane in unit cloud restore overwrite; do
  status_var="${lane}_status"
  if [ "${!status_var}" != 0 ]; then
    echo "lane $lane exited ${!status_var}; errors reported in .test-results/$lane.log:"
    grep -E -A6 "Unhandled (Error|Rejection)|Error: |FAIL " ".test-results/$lane.log" | tail -30 || true
  fi
done
[ "$unit_status" = 0 ] && [ "$cloud_status" = 0 ] && [ "$restore_status" = 0 ] && [ "$overwrite_status" = 0 ]
