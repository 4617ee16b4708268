#!/usr/bin/env bash
# Creates localhost/berth-debian:bookworm-minbase with debootstrap (runtime-notes §4): the base of
# the Python, Maven and Go builder images codeflow builds the first time such a pipeline builds.
# Idempotent; needs root, debootstrap and the Debian mirror configured in apt.
set -euo pipefail
image=localhost/berth-debian:bookworm-minbase
if podman image exists "$image"; then echo "builder-base: $image already exists"; exit 0; fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
# The apt sources in either format (Debian 12 ships deb822 `*.sources`); files that do not exist
# are skipped (grep would exit 2 on them, and pipefail would end the script).
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && sources+=("$f")
done
mirror=$( (grep -hE '^(deb |URIs:)' "${sources[@]}" || true) | { grep -v security || true; } | awk '{print $2; exit}')
if [ -z "$mirror" ]; then
  echo "builder-base: no Debian mirror found in the apt sources (${sources[*]:-none})" >&2
  exit 1
fi
work=$(mktemp -d -t berth-debian.XXXXXX)
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror"
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb
tar -C "$work/rootfs" --numeric-owner -c . | podman import --change 'CMD ["/bin/bash"]' - "$image"
echo "builder-base: created $image"
