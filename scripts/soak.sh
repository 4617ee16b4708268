#!/usr/bin/env bash
# `npm run soak`: the kill -9 soak (not part of `npm test`). Starts the test Podman API service
# and test images like `npm test`, then runs bench/soak/soak.ts with the given arguments,
# e.g. `npm run soak -- --trials 20`. See docs/architecture.md, "Soak"; `npm run soak -- cron` runs the
# cron job timing soak (docs/cronjobs.md); `npm run soak -- rolling [N]` the rolling update soak.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh --test
export BERTH_TEST_DIR="${BERTH_TEST_DIR:-/tmp/berth-test}"
mkdir -p "$BERTH_TEST_DIR"
export BERTH_TEST_PODMAN_SOCKET="${BERTH_TEST_PODMAN_SOCKET:-$BERTH_TEST_DIR/podman.sock}"
bash scripts/podman-service.sh "$BERTH_TEST_PODMAN_SOCKET"
bash scripts/test-images.sh
# `npm run soak -- rolling [N]`: the zero-loss rolling update suites through one and three gateway
# nodes, and straight from the endpoints watch, with N rolling updates each (default 50; `npm test`
# runs 8, 20 and 8)
if [ "${1:-}" = rolling ]; then
  n="${2:-50}"
  export BERTH_TEST_GATEWAY_UPDATES="$n" BERTH_TEST_GATEWAY_NODES_UPDATES="$n" BERTH_TEST_ROLLING_UPDATES="$n"
  # unpaced load (npm test paces it: packages/server/test/helpers/gateway-load.ts)
  export BERTH_TEST_LOAD_GAP_MS="${BERTH_TEST_LOAD_GAP_MS:-0}"
  exec node --import tsx --test --test-concurrency=1 packages/server/test/gateway-routing.test.ts \
    packages/server/test/gateway-three-nodes.test.ts packages/server/test/rolling.it.test.ts
fi
# `npm run soak -- cron [--minutes N]`: the cron job timing soak instead (bench/soak/cron.soak.ts)
if [ "${1:-}" = cron ]; then
  shift
  exec node --import tsx bench/soak/cron.soak.ts "$@"
fi
exec node --import tsx bench/soak/soak.ts "$@"
