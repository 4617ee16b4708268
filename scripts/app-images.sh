#!/usr/bin/env bash
# Builds the app store's middleware images from Debian bookworm packages (apps/images/README.md,
# runtime-notes §20), without any registry but Debian's mirror:
#   localhost/berth-apps/debian:12       debootstrap --variant=minbase + podman import (the base)
#   localhost/berth-apps/redis:7         apps/images/redis/Containerfile
#   localhost/berth-apps/mariadb:10.11   apps/images/mariadb/Containerfile
#   localhost/berth-apps/zookeeper:3.8   apps/images/zookeeper/Containerfile
# Usage: scripts/app-images.sh [--rebuild] [base|redis|mariadb|zookeeper ...]   (default: all apps)
# Idempotent: an image that exists is left alone unless --rebuild (which rebuilds the named images;
# name `base` to rebuild the base too). Every app image is labelled with the Debian versions of its
# packages: org.opencontainers.image.version (the main package) and io.berth.app.packages.
# Needs root, podman, debootstrap (installed if missing) and the Debian mirror configured in apt.
set -euo pipefail
cd "$(dirname "$0")/.."

base_image=localhost/berth-apps/debian:12
# name → image, main package, the packages whose versions the label lists
declare -A image=([redis]=localhost/berth-apps/redis:7 [mariadb]=localhost/berth-apps/mariadb:10.11
  [zookeeper]=localhost/berth-apps/zookeeper:3.8)
declare -A main_pkg=([redis]=redis-server [mariadb]=mariadb-server [zookeeper]=zookeeper)
declare -A pkgs=([redis]="redis-server redis-tools" [mariadb]="mariadb-server mariadb-client"
  [zookeeper]="zookeeper default-jre-headless openjdk-17-jre-headless")
all_apps=(redis mariadb zookeeper)

rebuild=false
names=()
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=true ;;
    base | redis | mariadb | zookeeper) names+=("$arg") ;;
    *)
      echo "app-images: unknown image '$arg'; known: base ${all_apps[*]} (and --rebuild)" >&2
      exit 2
      ;;
  esac
done
[ "${#names[@]}" -gt 0 ] || names=("${all_apps[@]}")

have() { podman image exists "$1"; }
now() { date +%s; }

work=$(mktemp -d -t berth-app-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The Debian mirror and the security mirror apt uses here (deb822 `.sources` on a stock Debian 12,
# or one-line `.list`); the first non-security URI is the mirror.
mirror_uris() {
  local sources=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sources+=("$f")
  done
  [ "${#sources[@]}" -gt 0 ] || return 0
  { grep -hE '^(deb |URIs:)' "${sources[@]}" || true; } | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; break } }'
}

build_base() {
  local uris mirror security root started
  uris=$(mirror_uris)
  mirror=$(printf '%s\n' "$uris" | grep -v security | grep -m1 -E 'debian' || true)
  security=$(printf '%s\n' "$uris" | grep -m1 security || true)
  if [ -z "$mirror" ]; then
    echo "app-images: no Debian mirror found in /etc/apt/sources.list{,.d/}; add one (URIs: http://deb.debian.org/debian)" >&2
    exit 1
  fi
  command -v debootstrap >/dev/null || {
    echo "app-images: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
  }
  root="$work/rootfs"
  started=$(now)
  echo "app-images: debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 20 "$work/debootstrap.log" >&2
    exit 1
  }
  # apt inside the image: the same mirrors (updates and security too, so `apt-get upgrade` in an
  # app's build takes the fixes), no recommends, no caches or docs kept in layers.
  rm -f "$root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$mirror"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$root/etc/apt/sources.list.d/debian.sources"
  cp apps/images/base/apt.conf "$root/etc/apt/apt.conf.d/90berth"
  cp apps/images/base/dpkg.cfg "$root/etc/dpkg/dpkg.cfg.d/90berth"
  # Package scripts must not start services while an image builds (invoke-rc.d asks this).
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  tar -C "$root" --numeric-owner -c . |
    podman import -q --change 'CMD ["/bin/bash"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "LABEL org.opencontainers.image.version=$(cat "$root/etc/debian_version")" \
      - "$base_image" >/dev/null
  echo "app-images: built $base_image in $(($(now) - started)) s ($(podman image inspect -f '{{.Size}}' "$base_image") bytes)"
}

# Builds one app: its Containerfile, then the labels naming the versions that were installed (they
# are known only after apt-get ran, so a second build adds them to the same layers).
build_app() {
  local name=$1 started iid versions version upstream tag
  started=$(now)
  echo "app-images: building ${image[$name]} from apps/images/$name/Containerfile"
  podman build -q --network host --iidfile "$work/$name.iid" -f "apps/images/$name/Containerfile" \
    "apps/images/$name" >"$work/$name.log" 2>&1 || {
    tail -n 30 "$work/$name.log" >&2
    echo "app-images: building $name failed (whole log above was cut to 30 lines)" >&2
    exit 1
  }
  iid=$(cat "$work/$name.iid")
  # shellcheck disable=SC2086 # the package list is ours, split on purpose
  versions=$(podman run --rm --network none --user 0 --entrypoint dpkg-query "$iid" \
    -W -f '${Package}=${Version} ' ${pkgs[$name]})
  versions=${versions% }
  version=$(podman run --rm --network none --user 0 --entrypoint dpkg-query "$iid" \
    -W -f '${Version}' "${main_pkg[$name]}")
  # The tag names the upstream major(.minor); Debian moving past it needs a new tag, not a lie.
  upstream=${version#*:}
  tag=${image[$name]##*:}
  case "$upstream" in
    "$tag".*) ;;
    *)
      echo "app-images: ${main_pkg[$name]} is $version, which is not ${image[$name]}; change the tag in scripts/app-images.sh" >&2
      exit 1
      ;;
  esac
  mkdir -p "$work/empty"
  printf 'FROM %s\n' "$iid" | podman build -q -f - \
    --label "org.opencontainers.image.version=$version" --label "io.berth.app.packages=$versions" \
    --label "org.opencontainers.image.base.name=$base_image" \
    -t "${image[$name]}" "$work/empty" >/dev/null
  echo "app-images: built ${image[$name]} ($versions) in $(($(now) - started)) s, $(podman image inspect -f '{{.Size}}' "${image[$name]}") bytes"
}

want_base=false
for n in "${names[@]}"; do [ "$n" = base ] && want_base=true; done
if have "$base_image" && ! { $rebuild && $want_base; }; then
  echo "app-images: $base_image already exists"
else
  build_base
fi
for n in "${names[@]}"; do
  [ "$n" = base ] && continue
  if have "${image[$n]}" && ! $rebuild; then
    echo "app-images: ${image[$n]} already exists"
  else
    build_app "$n"
  fi
done
