#!/usr/bin/env bash
# `npm test`: installs what the tests need, starts PostgreSQL and a Podman API service for them,
# builds the test images (no registry needed) and runs every test suite. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
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
# Not fatal: on a machine where other runs remove containers meanwhile, podman may fail on one it
# was looking at ("container ... does not exist in database"); the next run prunes what is left.
podman network prune -f --filter label=berth.instance >/dev/null || echo "berth: network prune failed (ignored)"
bash scripts/test-images.sh
# The app store's Redis, MariaDB and ZooKeeper images from Debian packages (apps/images/README.md):
# their packages downloaded once, then one build each — minutes cold (README, "Measured"), nothing
# afterwards — built beside the first test files; the files that need them run last and wait for
# this build's exit code (packages/server/test/helpers/app-images.ts).
export BERTH_TEST_APP_IMAGES_DONE="$BERTH_TEST_DIR/app-images.exit"
export BERTH_TEST_APP_IMAGES_LOG="$BERTH_TEST_DIR/app-images.log"
rm -f "$BERTH_TEST_APP_IMAGES_DONE"
(
  rc=0
  bash scripts/app-images.sh redis mariadb zookeeper >"$BERTH_TEST_APP_IMAGES_LOG" 2>&1 || rc=$?
  echo "$rc" >"$BERTH_TEST_APP_IMAGES_DONE"
) &
BERTH_TEST_PG_URL="$(bash scripts/pg-test.sh | tail -n 1)"
export BERTH_TEST_PG_URL

shopt -s globstar nullglob
# The browser tests need the built portal (rebuilt only when a source is newer than the build).
bash scripts/build-web.sh
files=(packages/*/src/**/*.test.ts packages/*/test/**/*.test.ts e2e/*.e2e.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
# Three runs (docs/testing.md "Test suite time"). Most files spend their time waiting on containers,
# rollouts and probes, so the first run and the app store's take two files at a time
# (BERTH_TEST_CONCURRENCY, default 2; 1 runs every file alone): each file has its own server, port,
# data dir, database, instance label and names. The files that
# judge zero loss or timing under a load they make themselves, or load the machine alone, run
# after it one at a time (`serial`). The app store's files last (node sorts the files of one run by
# path): by then the images building in the background are there, and the first runs did not wait.
serial_re='/(gateway-hundred-nodes|gateway-three-nodes|rolling\.it)\.test\.ts$'
first=() serial=() last=()
for f in "${files[@]}"; do
  case "$f" in
    */app-images.* | */apps.* | */apps-*) last+=("$f") ;;
    *) if [[ "$f" =~ $serial_re ]]; then serial+=("$f"); else first+=("$f"); fi ;;
  esac
done
concurrency="${BERTH_TEST_CONCURRENCY:-2}"
echo "berth: running ${#files[@]} test files (${#first[@]} $concurrency at a time, then ${#serial[@]} one at a time, then ${#last[@]} $concurrency at a time); set-up took $((SECONDS - started)) s"
summary="$BERTH_TEST_DIR/summary.jsonl"
rm -f "$summary"
export BERTH_TEST_SUMMARY_JSON="$summary"
# Each test file's own CPU time (scripts/cpu-account.mjs), ranked at the end.
cpu="$BERTH_TEST_DIR/cpu.jsonl"
rm -f "$cpu"
export BERTH_TEST_CPU_JSON="$cpu"
rc=0
# A file that does not end (a server left open by a failed hook keeps its process alive) fails after
# 15 minutes instead of holding the run until CI's limit; the slowest file takes about 4.
run_tests() {
  local n="$1" t0=$SECONDS
  shift
  node --import tsx --import "$PWD/scripts/cpu-account.mjs" --test --test-concurrency="$n" --test-timeout=900000 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=./scripts/slowest-reporter.mjs --test-reporter-destination=/dev/null "$@" || rc=$?
  echo "berth: $# files, $n at a time, took $((SECONDS - t0)) s"
}
if [ "${#first[@]}" -gt 0 ]; then run_tests "$concurrency" "${first[@]}"; fi
if [ "${#serial[@]}" -gt 0 ]; then run_tests 1 "${serial[@]}"; fi
if [ "${#last[@]}" -gt 0 ]; then run_tests "$concurrency" "${last[@]}"; fi
# The slowest files and the plain "N passed, N failed" line close every run.
node scripts/slowest-reporter.mjs "$summary" "$cpu" 2>/dev/null || true
echo "berth: npm test took $((SECONDS - started)) s"
exit "$rc"
