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
# Table owners: a module reads another module's tables only through the port it is handed
# (docs/adr/0006-runtime-composition.md). Checked for the pairs that were untangled so far.
echo "== table owners"
owners_ok=1
reads() { # <dir> <table regex>: the lines of <dir> that query those tables
  grep -rnE "(selectFrom|updateTable|insertInto|deleteFrom|innerJoin|leftJoin)\('($2)( as [a-z_]+)?'" "$1" --include='*.ts' || true
}
for rule in \
  "packages/server/src/modules/gateways|services|releases|containers|events|the services module's GatewayServices port" \
  "packages/server/src/modules/services|gateways|gateway_routes|gateway_versions|gateway_nodes|the gateways module's ports (canaries, drains)" \
  "packages/server/src/modules/quotas|gateways|gateway_routes|the CanaryDemand port" \
  "packages/server/src/modules/placement|services|releases|containers|events|the ServicesRepository it is handed"; do
  dir=${rule%%|*}; rest=${rule#*|}; tables=${rest%|*}; port=${rest##*|}
  found=$(reads "$dir" "$tables")
  if [ -n "$found" ]; then echo "$found"; echo "  -> $dir must not query ($tables); use $port"; owners_ok=0; fi
done
[ "$owners_ok" = 1 ] || exit 1
echo "each module queries its own tables"
echo "== first-row queries"; node scripts/check-first-row.mjs
echo "check: ok"
