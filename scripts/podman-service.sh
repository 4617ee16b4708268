#!/usr/bin/env bash
# Starts a Podman API service on the given socket unless one already answers there. Idempotent.
set -euo pipefail
sock="$1"
mkdir -p "$(dirname "$sock")"
if curl -sf --unix-socket "$sock" http://d/v4.3.1/libpod/_ping >/dev/null 2>&1; then exit 0; fi
rm -f "$sock"
# conmon writes files (e.g. "oom") into its working directory: keep that out of the checkout.
cd "$(dirname "$sock")"
nohup podman system service --time=0 "unix://$sock" >"$(dirname "$sock")/podman-service.log" 2>&1 &
for _ in $(seq 1 100); do
  curl -sf --unix-socket "$sock" http://d/v4.3.1/libpod/_ping >/dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "podman service did not start on $sock; see $(dirname "$sock")/podman-service.log" >&2
exit 1
