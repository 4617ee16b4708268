#!/usr/bin/env bash
# Removes the containers Podman still calls running whose process is gone (runc says stopped).
# A machine whose processes were all killed without a reboot (a sandbox handed back, a killed test
# run) keeps them, and with them Podman's CNI port-forwarding rules: connections to a published
# 127.0.0.1 port are still rewritten to the dead container's address, so a process that later
# listens on that port (any server on an ephemeral port) is never reached (runtime-notes §13).
# Removing the container tears the rules down. Test set-up only (scripts/test.sh,
# scripts/podman-clusters.sh); Berth itself replaces such containers through its probes.
#
#   scripts/sweep-dead-containers.sh                the default storage
#   scripts/sweep-dead-containers.sh CLUSTER_DIR    a test cluster's storage (podman-clusters.sh)
set -euo pipefail
command -v runc >/dev/null || exit 0
pod() {
  if [ -n "${1:-}" ]; then
    local d="$1"
    shift
    CONTAINERS_CONF="$d/containers.conf" podman --root "$d/storage" --runroot "$d/run" "$@"
  else
    shift
    podman "$@"
  fi
}
dir="${1:-}"
for id in $(pod "$dir" ps -q --no-trunc 2>/dev/null); do
  state=$(runc state "$id" 2>/dev/null | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{try{console.log(JSON.parse(s).status)}catch{console.log("missing")}})')
  if [ "$state" != running ] && [ "$state" != paused ] && [ "$state" != created ]; then
    pod "$dir" rm -f "$id" >/dev/null 2>&1 || true
    echo "berth: removed container ${id:0:12} (Podman said running; its process was gone: $state)"
  fi
done
