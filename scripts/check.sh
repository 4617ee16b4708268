#!/usr/bin/env bash
# `npm run check`: format check, type-aware lint, typecheck and import-cycle check.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/typescript ] || npm install --no-audit --no-fund --loglevel=error
echo "== prettier"; npx prettier --check . --log-level warn
echo "== eslint"; npx eslint --max-warnings 0 packages e2e bench
echo "== tsc"; npx tsc -p tsconfig.json
echo "== tsc (web)"; npx tsc -p packages/web/tsconfig.json
# Without --transform dpdm reads the TypeScript itself, so `import type` counts: a cycle through
# types is still two modules that cannot be understood apart (docs/adr/0006-runtime-composition.md).
echo "== import cycles"
if ! cycles=$(npx dpdm --no-warning --no-tree --exit-code circular:1 'packages/*/src/**/*.ts' 2>&1); then
  echo "$cycles" | sed -n '/Circular Dependencies/,$p'; exit 1
fi
echo "no cycles"
echo "check: ok"
