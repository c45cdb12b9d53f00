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
# job queues and schedules are tested against a real Redis (installed and started when missing)
bash scripts/ensure-redis.sh
export PERMAFROST_CLOUD_READY=1
mkdir -p .test-results
rm -f .test-results/*.json
# Lanes side by side: the unit suites (CPU) and several real-cloud lanes that mostly wait on the
# cloud (whole projects restored, servers booting, schedules waiting for minute boundaries). The
# restore suites never touch the shared demo project except to back it up (they restore into
# copies), and every real-cloud suite names what it creates pf-test-* and leaves those out of its
# backups, so the lanes do not disturb each other; together they take about the time of the
# longest lane. A lane is "name:file file ..."; the "cloud" lane runs every other cloud suite.
lanes=(
  "restore:test/cloud-e2e/restore-demo.test.ts"
  "overwrite:test/cloud-e2e/restore-overwrite.test.ts test/cloud-e2e/restore-overwrite-resume.test.ts"
  "schedules:test/cloud-e2e/schedules.test.ts"
  "faults:test/cloud-e2e/fault-injection.test.ts test/cloud-e2e/restore-fidelity.test.ts"
)
lane_names=(unit cloud)
lane_excludes=()
for lane in "${lanes[@]}"; do
  for f in ${lane#*:}; do lane_excludes+=(--exclude "$f"); done
done
declare -A lane_pid
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.test-results/unit.json "$@" \
  > .test-results/unit.log 2>&1 &
lane_pid[unit]=$!
for lane in "${lanes[@]}"; do
  name=${lane%%:*}
  # shellcheck disable=SC2086 # the lane's files are a space-separated list
  npx vitest run --project cloud --reporter=default --reporter=json --outputFile.json=".test-results/$name.json" ${lane#*:} "$@" \
    > ".test-results/$name.log" 2>&1 &
  lane_pid[$name]=$!
  lane_names+=("$name")
done
declare -A lane_status
lane_status[cloud]=0
npx vitest run --project cloud "${lane_excludes[@]}" --reporter=default --reporter=json --outputFile.json=.test-results/cloud.json "$@" \
  2>&1 | tee .test-results/cloud.log || lane_status[cloud]=$?
for name in "${!lane_pid[@]}"; do
  lane_status[$name]=0
  wait "${lane_pid[$name]}" || lane_status[$name]=$?
done
for name in "${lane_names[@]}"; do
  [ "$name" = cloud ] && continue
  echo "---- $name lane (.test-results/$name.log)"
  cat ".test-results/$name.log"
done
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0, skipped = 0;
  const brokenFiles = [];
  for (const f of process.argv.slice(1)) {
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
' "${lane_names[@]}"
# A lane can also fail with every file passing (vitest exits 1 on an unhandled error between tests):
# name the lane and show that part of its log last, where a CI log tail shows it.
all_ok=1
for name in "${lane_names[@]}"; do
  if [ "${lane_status[$name]}" != 0 ]; then
    all_ok=0
    echo "lane $name exited ${lane_status[$name]}; errors reported in .test-results/$name.log:"
    grep -E -A6 "Unhandled (Error|Rejection)|Error: |FAIL " ".test-results/$name.log" | tail -30 || true
  fi
done
[ "$all_ok" = 1 ]
