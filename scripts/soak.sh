#!/usr/bin/env bash
# `npm run soak`: the kill -9 soak (not part of `npm test`). Starts the test Podman API service
# and test images like `npm test`, then runs bench/soak/soak.ts with the given arguments,
# e.g. `npm run soak -- --trials 20`. See docs/architecture.md, "Soak".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh --test
export BERTH_TEST_DIR="${BERTH_TEST_DIR:-/tmp/berth-test}"
mkdir -p "$BERTH_TEST_DIR"
export BERTH_TEST_PODMAN_SOCKET="${BERTH_TEST_PODMAN_SOCKET:-$BERTH_TEST_DIR/podman.sock}"
bash scripts/podman-service.sh "$BERTH_TEST_PODMAN_SOCKET"
bash scripts/test-images.sh
exec node --import tsx bench/soak/soak.ts "$@"
