#!/usr/bin/env bash
# `npm run check`: format check, type-aware lint, typecheck and import-cycle check.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/typescript ] || npm install --no-audit --no-fund --loglevel=error
echo "== prettier"; npx prettier --check . --log-level warn
echo "== eslint"; npx eslint --max-warnings 0 packages e2e bench
echo "== tsc"; npx tsc -p tsconfig.json
echo "== tsc (web)"; npx tsc -p packages/web/tsconfig.json
echo "== import cycles"; npx dpdm --no-warning --no-tree --transform --exit-code circular:1 'packages/*/src/**/*.ts' >/dev/null && echo "no cycles"
echo "check: ok"
