#!/usr/bin/env bash
# The whole suite on a fresh Debian 12 machine, as root: system packages, services, npm packages,
# lint, types, build, unit + property + integration tests. A missing service fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export TSTACK_REQUIRE_SERVICES=1

bash scripts/install-deps.sh test
npm ci --no-audit --no-fund
npm run lint
npm run typecheck
npm run build
npm run build:native
mkdir -p .tmp
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json
# One plain closing line that any CI reader understands.
node -e 'const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  if (r.numTotalTests === 0) process.exit(1);'
