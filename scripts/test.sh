#!/usr/bin/env bash
# Runs the whole test suite (unit, integration against real workers and sockets, Chromium end to end),
# installing whatever is missing first. Extra arguments go to vitest (e.g. a test file).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-env.sh
source scripts/node-env.sh
bash scripts/setup.sh --test
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
# One plain summary line that any CI can read.
node -e '
  const r = require("./test-results/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
exit "$status"
