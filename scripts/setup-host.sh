#!/usr/bin/env bash
# Installs and configures what Berth needs on a Debian 12 host. Idempotent; safe to run again.
# Usage: scripts/setup-host.sh [--test]   (--test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."

want=(podman runc catatonit docker-registry nginx-light git ca-certificates curl busybox-static)
# The Lua module (pulls libnginx-mod-http-ndk, lua-resty-core, lua-resty-lrucache, LuaJIT) and
# cjson for gateways whose endpoints are pushed without reloads (docs/gateway.md; runtime-notes §7).
want+=(libnginx-mod-http-lua lua-cjson)
# The stream module for TCP/UDP entry points (stream.conf, loaded by absolute path; docs/gateway.md,
# "TCP and UDP entry points; virtual IP").
want+=(libnginx-mod-stream)
# debootstrap: the Debian base of the app store's images (scripts/app-images.sh, apps/images/).
want+=(debootstrap)
# The tools of the debug containers' toolbox image, copied from the host with their libraries
# (docs/debug.md; packages/server/src/modules/containers/debug-toolbox.ts).
want+=(iproute2 procps bind9-dnsutils tcpdump strace lsof)
# DNS on Podman's CNI networks: project env networks resolve service names (docs/networks.md,
# runtime-notes §19); pulls dnsmasq-base.
want+=(golang-github-containernetworking-plugin-dnsname)
# Prometheus, Alertmanager and the blackbox exporter (promtool, amtool with them), supervised by
# `npm start` with their configs in the data dir (docs/monitoring.md).
want+=(prometheus prometheus-alertmanager prometheus-blackbox-exporter)
# openssh-server: the tests of ssh:// clusters run their own sshd on loopback (scripts/test-sshd.sh);
# the system sshd and its config are not used.
if [ "${1:-}" = "--test" ]; then want+=(postgresql chromium fonts-noto-cjk openssh-server); fi
# keepalived: the tests validate generated VRRP configurations with `keepalived -t` only (never
# started; its systemd unit does not start without /etc/keepalived/keepalived.conf).
if [ "${1:-}" = "--test" ]; then want+=(keepalived); fi
# The real clients the app store's tests use on an instance's connection info (docs/apps.md);
# kcat: apps-kafka.it produces and consumes with it (run inside the env's network).
if [ "${1:-}" = "--test" ]; then want+=(redis-tools mariadb-client kcat); fi

missing=()
# One dpkg-query for all (one per package took ~10 s on a busy machine, before every `npm test`);
# a package dpkg does not know is left out of its answer (and makes it exit 1).
installed=" $({ dpkg-query -W -f='${Package}:${Status}\n' "${want[@]}" 2>/dev/null || true; } |
  sed -n 's/:install ok installed$//p' | tr '\n' ' ') "
for p in "${want[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "berth: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then echo "berth: run as root to install packages" >&2; exit 1; fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Podman on this kind of host: runc (crun fails on hybrid cgroups), cgroupfs (no systemd), file events.
# See docs/runtime-notes.md §1.
conf=/etc/containers/containers.conf
if ! grep -q '# managed by berth' "$conf" 2>/dev/null; then
  mkdir -p /etc/containers
  cat > "$conf" <<'CONF'
# managed by berth (scripts/setup-host.sh)
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi
reg=/etc/containers/registries.conf.d/berth-local.conf
if [ ! -f "$reg" ]; then
  mkdir -p /etc/containers/registries.conf.d
  cat > "$reg" <<'CONF'
# managed by berth: the embedded registry on loopback speaks plain HTTP
[[registry]]
location = "127.0.0.1:5000"
insecure = true
CONF
fi

# Confined builds map uid/gid 0 of every RUN step to this host range (docs/codeflow.md,
# "Confinement of image builds"); reserve it so nothing else hands it out.
for f in /etc/subuid /etc/subgid; do
  if [ "$(id -u)" = 0 ] && ! grep -q '^berth-build:' "$f" 2>/dev/null; then
    echo "berth-build:2000000000:65536" >> "$f"
  fi
done

if [ ! -d node_modules/tsx ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "berth: installing npm dependencies (first time: about 2 minutes, better-sqlite3 compiles)"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
fi
