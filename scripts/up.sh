#!/usr/bin/env bash
# `npm start`: installs what Berth needs (first time only) and runs the whole platform on this
# machine with Podman as its engine. Configuration: BERTH_DATA_DIR, BERTH_LISTEN,
# BERTH_DATABASE_URL, BERTH_ADMIN_PASSWORD (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
# Sample images for the quick start (busybox and Node.js, built from the host: no registry needed).
bash scripts/test-images.sh
# The portal, served by the server on the same port.
bash scripts/build-web.sh
exec node --import tsx packages/server/src/main.ts
