#!/usr/bin/env bash
# Sets up a gateway node's host (Debian 12): the Nginx packages berth-gateway-agent drives and
# keepalived for the gateway's virtual IP, with one supervised keepalived per VIP node that starts
# once the node's agent has installed its keepalived.conf. Idempotent; safe to run again.
# docs/gateway.md, "Installing keepalived on a node".
#
# Usage: scripts/setup-gateway-node.sh [--keepalived NODE]... [--root DIR]
#   --keepalived NODE  a node of this host that carries the VIP (its name in Berth; once per node
#                      when one agent runs several with --nodes-file)
#   --root DIR         write the files under DIR and leave packages and systemd alone (tests)
set -euo pipefail

nodes=()
root=
while [ $# -gt 0 ]; do
  case "$1" in
    --keepalived)
      [ $# -ge 2 ] || { echo "berth: --keepalived needs a node name" >&2; exit 2; }
      nodes+=("$2"); shift 2 ;;
    --root)
      [ $# -ge 2 ] || { echo "berth: --root needs a directory" >&2; exit 2; }
      root=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "berth: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in "${nodes[@]}"; do
  # the name goes into paths and unit names: a Berth node name (a DNS label) and nothing else
  if ! [[ "$n" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]]; then
    echo "berth: --keepalived $n: a node name is a label such as edge-1 (a-z, 0-9, -)" >&2; exit 2
  fi
done

# Nginx with the Lua module (endpoints without reloads) and the stream module (TCP/UDP entry
# points); keepalived for the virtual IP (its own unit does not start: it has no
# /etc/keepalived/keepalived.conf, and Berth never writes that file)
want=(nginx-light libnginx-mod-http-lua lua-cjson libnginx-mod-stream keepalived ca-certificates)
if [ -z "$root" ]; then
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "berth: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then echo "berth: run as root to install packages" >&2; exit 1; fi
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Writes stdin to a file when its text differs (so a second run changes nothing); says whether it did.
changed=0
put() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -f "$file" ] && cmp -s "$tmp" "$file"; then rm -f "$tmp"; return 0; fi
  mkdir -p "$(dirname "$file")"
  chmod "$mode" "$tmp"
  mv "$tmp" "$file"
  echo "berth: wrote $file"
  changed=1
}

confdir=/etc/berth/keepalived
units=/etc/systemd/system
# One keepalived per VIP node: its own configuration (written by the node's agent) and pid files,
# VRRP only. Started by the path unit below once the configuration exists, restarted if it exits;
# the agent's SIGHUP (to the pid in its pid file) reloads it after every new configuration.
put "$root$units/berth-keepalived@.service" 0644 <<UNIT
# managed by berth (scripts/setup-gateway-node.sh)
[Unit]
Description=keepalived for the virtual IP of Berth gateway node %i
After=network-online.target
Wants=network-online.target
ConditionFileNotEmpty=$confdir/%i.conf

[Service]
Type=notify
RuntimeDirectory=berth-keepalived
RuntimeDirectoryPreserve=yes
ExecStart=/usr/sbin/keepalived --dont-fork --log-console --vrrp --use-file=$confdir/%i.conf --pid=/run/berth-keepalived/%i.pid --vrrp_pid=/run/berth-keepalived/%i.vrrp.pid --checkers_pid=/run/berth-keepalived/%i.checkers.pid --bfd_pid=/run/berth-keepalived/%i.bfd.pid
ExecReload=/bin/kill -HUP \$MAINPID
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
put "$root$units/berth-keepalived@.path" 0644 <<UNIT
# managed by berth (scripts/setup-gateway-node.sh)
[Unit]
Description=Start keepalived for Berth gateway node %i once its agent installed keepalived.conf

[Path]
PathExists=$confdir/%i.conf
Unit=berth-keepalived@%i.service

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$root$confdir"
chmod 0755 "$root$confdir"

if [ -z "$root" ] && [ ${#nodes[@]} -gt 0 ]; then
  if [ -d /run/systemd/system ]; then
    [ "$changed" = 0 ] || systemctl daemon-reload
    for n in "${nodes[@]}"; do
      # enabled at boot; --now: starts keepalived at once if the agent already installed the file
      systemctl enable --now "berth-keepalived@$n.path" >/dev/null 2>&1 \
        || { echo "berth: systemctl enable berth-keepalived@$n.path failed" >&2; exit 1; }
    done
  else
    echo "berth: no systemd on this host: run keepalived under your supervisor once the agent has"
    echo "  written $confdir/NODE.conf, e.g. the ExecStart line of $units/berth-keepalived@.service"
  fi
fi

for n in "${nodes[@]}"; do
  echo "berth: node $n: give its agent --keepalived-conf $confdir/$n.conf --keepalived-pid-file /run/berth-keepalived/$n.pid"
  echo "  (in a --nodes-file entry: \"keepalivedConf\": \"$confdir/$n.conf\", \"keepalivedPidFile\": \"/run/berth-keepalived/$n.pid\")"
done
