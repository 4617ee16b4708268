#!/usr/bin/env bash
# Builds the portal into packages/web/dist when it is missing or older than its sources
# (`npm start` serves it; the browser tests drive it). Idempotent and quick when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=packages/web/dist/index.html
if [ ! -f "$stamp" ] || [ -n "$(find packages/web/src packages/web/index.html packages/web/vite.config.ts packages/shared/src -newer "$stamp" -print -quit)" ]; then
  echo "build-web: building the portal"
  npm run build -w @berth/web --silent >/dev/null
fi
