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
npx vitest run
