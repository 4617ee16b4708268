#!/usr/bin/env bash
# `npm run bench`: benchmarks that print numbers and ratios (not pass/fail).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh --test
export BERTH_TEST_DIR="${BERTH_TEST_DIR:-/tmp/berth-test}"
export BERTH_TEST_PODMAN_SOCKET="$BERTH_TEST_DIR/podman.sock"
bash scripts/podman-service.sh "$BERTH_TEST_PODMAN_SOCKET"
bash scripts/test-images.sh
BERTH_TEST_PG_URL="$(bash scripts/pg-test.sh | tail -n 1)"
export BERTH_TEST_PG_URL
# Arguments go to every bench (`npm run bench -- --quick`: the gateway API bench's small run).
for b in bench/*.bench.ts; do
  echo "== $b"
  node --import tsx "$b" "$@"
done
