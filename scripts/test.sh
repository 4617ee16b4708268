#!/usr/bin/env bash
# `npm test`: installs what the tests need, starts PostgreSQL and a Podman API service for them,
# builds the test images (no registry needed) and runs every test suite. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh --test
command -v curl >/dev/null || { apt-get install -y -q curl >/dev/null; }

export BERTH_TEST_DIR="${BERTH_TEST_DIR:-/tmp/berth-test}"
mkdir -p "$BERTH_TEST_DIR"
export BERTH_TEST_PODMAN_SOCKET="$BERTH_TEST_DIR/podman.sock"
bash scripts/podman-service.sh "$BERTH_TEST_PODMAN_SOCKET"
# Containers left "running" by a run whose processes were killed keep their port-forwarding rules.
bash scripts/sweep-dead-containers.sh
# Env networks (docs/networks.md) of test runs killed before their cleanup: podman hands out
# 10.89.N.0/24 from a pool that unused leftovers would exhaust. Only networks without containers go.
podman network prune -f --filter label=berth.instance >/dev/null
bash scripts/test-images.sh
# The app store's Redis and MariaDB images from Debian packages (apps/images/README.md): about
# 7.5 minutes cold, then nothing — built beside the first test files; the files that need them run
# last and wait for this build's exit code (packages/server/test/helpers/app-images.ts).
# ZooKeeper's (7 more minutes) is not built here; its tests skip.
export BERTH_TEST_APP_IMAGES_DONE="$BERTH_TEST_DIR/app-images.exit"
export BERTH_TEST_APP_IMAGES_LOG="$BERTH_TEST_DIR/app-images.log"
rm -f "$BERTH_TEST_APP_IMAGES_DONE"
(
  rc=0
  bash scripts/app-images.sh redis mariadb >"$BERTH_TEST_APP_IMAGES_LOG" 2>&1 || rc=$?
  echo "$rc" >"$BERTH_TEST_APP_IMAGES_DONE"
) &
BERTH_TEST_PG_URL="$(bash scripts/pg-test.sh | tail -n 1)"
export BERTH_TEST_PG_URL

shopt -s globstar nullglob
# The browser tests need the built portal (rebuilt only when a source is newer than the build).
bash scripts/build-web.sh
files=(packages/*/src/**/*.test.ts packages/*/test/**/*.test.ts e2e/*.e2e.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
# The app store's files in a second run (node sorts the files of one run by path): by then the
# images building in the background are there, and the first run did not wait for them.
first=() last=()
for f in "${files[@]}"; do
  case "$f" in
    */app-images.* | */apps.* | */apps-*) last+=("$f") ;;
    *) first+=("$f") ;;
  esac
done
echo "berth: running ${#files[@]} test files"
summary="$BERTH_TEST_DIR/summary.jsonl"
rm -f "$summary"
export BERTH_TEST_SUMMARY_JSON="$summary"
rc=0
# A file that does not end (a server left open by a failed hook keeps its process alive) fails after
# 15 minutes instead of holding the run until CI's limit; the slowest file takes about 4.
run_tests() {
  node --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=./scripts/slowest-reporter.mjs --test-reporter-destination=/dev/null "$@" || rc=$?
}
if [ "${#first[@]}" -gt 0 ]; then run_tests "${first[@]}"; fi
if [ "${#last[@]}" -gt 0 ]; then run_tests "${last[@]}"; fi
# The slowest files and the plain "N passed, N failed" line close every run.
node scripts/slowest-reporter.mjs "$summary" 2>/dev/null || true
exit "$rc"
