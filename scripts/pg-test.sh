#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the test suite, once; prints its URL.
# Idempotent: when the cluster already answers, it does nothing but print the URL.
# Usage: bash scripts/pg-test.sh   then   BERTH_TEST_PG_URL=<printed url> npm test
# Data lives under ${BERTH_TEST_DIR:-/tmp/berth-test}/pg (fsync off: never use it for real data).
# See docs/runtime-notes.md §10.
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
port=15432
host=127.0.0.1
base="${BERTH_TEST_DIR:-/tmp/berth-test}"
dir="$base/pg"
data="$dir/data"
url="postgres://postgres@$host:$port/postgres"

if [ ! -x "$bin/initdb" ]; then
  echo "pg-test: PostgreSQL 15 is not installed ($bin); run scripts/setup-host.sh --test" >&2
  exit 1
fi

# initdb and postgres refuse to run as root: run them as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if "$bin/pg_isready" -q -h "$host" -p "$port"; then
  echo "$url"
  exit 0
fi

mkdir -p "$dir"
# Every directory above the data dir must be traversable by postgres.
chmod 755 "$base"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
chmod 700 "$dir"

if [ ! -f "$data/PG_VERSION" ]; then
  as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
fi

# Running but not yet accepting connections (another caller is starting it): wait for it.
if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  for _ in $(seq 1 300); do
    if "$bin/pg_isready" -q -h "$host" -p "$port"; then
      echo "$url"
      exit 0
    fi
    sleep 0.1
  done
  echo "pg-test: the cluster in $data runs but does not answer on $host:$port; see $dir/pg.log" >&2
  exit 1
fi

as_pg "$bin/pg_ctl" -D "$data" -l "$dir/pg.log" -w -t 30 start \
  -o "-c listen_addresses=$host -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB -c max_connections=200" \
  >/dev/null || {
  tail -n 20 "$dir/pg.log" >&2
  exit 1
}
echo "$url"
