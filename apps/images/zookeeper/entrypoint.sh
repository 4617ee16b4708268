#!/bin/sh
# Entry point of localhost/berth-apps/zookeeper:3.8 (apps/images/README.md, "ZooKeeper").
# Writes zoo.cfg from ZOO_MY_ID, ZOO_SERVERS, ZOO_HEAP_MB and ZOO_4LW_COMMANDS, each checked
# against the form ZooKeeper expects (nothing is evaluated; a value that does not fit stops the
# start with the variable's name), then runs the server in the foreground. Arguments are ignored.
set -eu
set -f # ZOO_SERVERS is split on blanks below, never globbed

fail() {
  echo "berth-zookeeper: $*" >&2
  exit 1
}

matches() { printf '%s\n' "$2" | grep -Eqx -- "$1"; }

heap=${ZOO_HEAP_MB:-256}
matches '[1-9][0-9]{1,5}' "$heap" || fail "ZOO_HEAP_MB='$heap' is not a number of MiB (16-999999)"
[ "$heap" -ge 16 ] || fail "ZOO_HEAP_MB=$heap is below 16 MiB"
words=${ZOO_4LW_COMMANDS:-ruok,srvr,mntr,stat}
matches '\*|[a-z]{4}(,[a-z]{4})*' "$words" || fail "ZOO_4LW_COMMANDS='$words' is not a comma-separated list of four-letter words (or *)"

run=/run/berth-zookeeper
conf=$run/zoo.cfg
{
  echo "tickTime=2000"
  echo "initLimit=10"
  echo "syncLimit=5"
  echo "dataDir=/data"
  echo "clientPort=2181"
  echo "admin.enableServer=false"
  echo "4lw.commands.whitelist=$words"
  echo "autopurge.snapRetainCount=3"
  echo "autopurge.purgeInterval=24"
} >"$conf"

servers=${ZOO_SERVERS:-}
if [ -n "$servers" ]; then
  id=${ZOO_MY_ID:-}
  if ! matches '[1-9][0-9]{0,2}' "$id" || [ "$id" -gt 255 ]; then
    fail "ZOO_SERVERS is set, so ZOO_MY_ID must be this server's id (1-255), not '$id'"
  fi
  found=no
  for entry in $servers; do
    matches 'server\.[1-9][0-9]{0,2}=[A-Za-z0-9.-]+:[0-9]{1,5}:[0-9]{1,5}(:(participant|observer))?(;([A-Za-z0-9.-]+:)?[0-9]{1,5})?' "$entry" ||
      fail "ZOO_SERVERS entry '$entry' is not server.<id>=<host>:<peer port>:<election port>[:participant|:observer][;[<address>:]<client port>]"
    case "$entry" in "server.$id="*) found=yes ;; esac
    echo "$entry" >>"$conf"
  done
  [ "$found" = yes ] || fail "ZOO_SERVERS has no server.$ZOO_MY_ID entry for this server (ZOO_MY_ID=$ZOO_MY_ID)"
  # A peer's own name may resolve to an address it does not have (a service address): listen on all.
  echo "quorumListenOnAllIPs=true" >>"$conf"
  echo "$id" >/data/myid
elif [ -n "${ZOO_MY_ID:-}" ]; then
  echo "berth-zookeeper: ZOO_MY_ID is ignored without ZOO_SERVERS (standalone)" >&2
fi

# Logs through slf4j-simple to stdout, for `podman logs` (Debian's log4j 1.2 set-up writes files in
# /var/log/zookeeper; without a binding on the class path slf4j drops every line).
exec java "-Xmx${heap}m" -XX:+ExitOnOutOfMemoryError -Dzookeeper.log.dir=/tmp \
  -Dorg.slf4j.simpleLogger.logFile=System.out -Dorg.slf4j.simpleLogger.showDateTime=true \
  -Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd\'T\'HH:mm:ss.SSSZ \
  -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$conf"
