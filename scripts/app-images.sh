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
#
# The apps' packages are resolved and downloaded ONCE per run, by one apt in a container of the
# base, into a shared apt cache (BERTH_APP_IMAGES_APT_CACHE, default /var/cache/berth-apps-apt);
# every app build mounts it and installs from it without another `apt-get update` or download.
# The labels are the candidate versions of that same resolution, so one build per image suffices.
# Environment (Berth's build task and the tests set these; defaults build the real images):
#   BERTH_APP_IMAGES_PREFIX  image names' prefix (localhost/berth-apps)
#   BERTH_APP_IMAGES_BASE    the base image (<prefix>/debian:12)
#   BERTH_APP_IMAGES_DIR     the directory of <app>/Containerfile (apps/images)
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${BERTH_APP_IMAGES_PREFIX:-localhost/berth-apps}
base_image=${BERTH_APP_IMAGES_BASE:-$prefix/debian:12}
images_dir=${BERTH_APP_IMAGES_DIR:-apps/images}
apt_cache=${BERTH_APP_IMAGES_APT_CACHE:-/var/cache/berth-apps-apt}
for v in "$prefix" "$base_image"; do
  [[ "$v" =~ ^[a-z0-9][a-z0-9._/:-]*$ ]] || {
    echo "app-images: '$v' is not an image name (BERTH_APP_IMAGES_PREFIX / BERTH_APP_IMAGES_BASE)" >&2
    exit 2
  }
done
# name → image, main package, the packages whose versions the label lists
declare -A image=([redis]=$prefix/redis:7 [mariadb]=$prefix/mariadb:10.11 [zookeeper]=$prefix/zookeeper:3.8)
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

# One apt run for every app of this build, in a throwaway container of the base: fresh package
# lists, then every .deb the apps' `upgrade` and `install` will need (shared dependencies once),
# into the shared cache. Prints nothing; fills $work/candidates with `package=version` lines.
prefetch() {
  local started all=() n
  started=$(now)
  for n in "$@"; do
    # shellcheck disable=SC2206 # the package lists are ours, split on purpose
    all+=(${pkgs[$n]})
  done
  mkdir -p "$apt_cache/lists/partial" "$apt_cache/archives/partial"
  echo "app-images: resolving and downloading the packages of $* once (apt cache $apt_cache)"
  # One container; the packages are positional arguments of a constant script (no shell string
  # is built from names). autoclean drops .debs that the fresh lists no longer offer.
  # shellcheck disable=SC2016 # expanded by the container's sh
  podman run --rm --network host --user 0 -v "$apt_cache:/var/cache/berth-apt" -e DEBIAN_FRONTEND=noninteractive \
    --entrypoint sh "$base_image" -c 'set -e; o="-o Dir::State::Lists=/var/cache/berth-apt/lists -o Dir::Cache::Archives=/var/cache/berth-apt/archives"
      apt-get $o -q update; apt-get $o -q autoclean; apt-get $o -y -q --download-only dist-upgrade
      apt-get $o -y -q --download-only install "$@"; apt-cache $o show --no-all-versions "$@" >/var/cache/berth-apt/candidates' \
    sh "${all[@]}" >"$work/prefetch.log" 2>&1 || {
    tail -n 30 "$work/prefetch.log" >&2
    echo "app-images: downloading the packages failed (the end of the log is above)" >&2
    exit 1
  }
  mv "$apt_cache/candidates" "$work/candidates.raw"
  awk '/^Package: /{p=$2} /^Version: /{print p "=" $2}' "$work/candidates.raw" >"$work/candidates"
  echo "app-images: packages ready in $(($(now) - started)) s ($(du -sm "$apt_cache" | cut -f1) MiB cache)"
}

# The candidate version of a package in this run's resolution.
candidate() { awk -F= -v p="$1" '$1 == p { print $2; exit }' "$work/candidates"; }

# Builds one app from its Containerfile with the shared apt cache mounted (no download, no
# `apt-get update`), labelled with the versions the resolution chose.
build_app() {
  local name=$1 started versions="" version upstream tag p
  started=$(now)
  for p in ${pkgs[$name]}; do versions+="$p=$(candidate "$p") "; done
  versions=${versions% }
  version=$(candidate "${main_pkg[$name]}")
  # The tag names the upstream major(.minor); Debian moving past it needs a new tag, not a lie.
  upstream=${version#*:}
  tag=${image[$name]##*:}
  case "$upstream" in
    "$tag".*) ;;
    *)
      echo "app-images: ${main_pkg[$name]} is ${version:-not found}, which is not ${image[$name]}; change the tag in scripts/app-images.sh" >&2
      exit 1
      ;;
  esac
  echo "app-images: building ${image[$name]} from $images_dir/$name/Containerfile"
  podman build -q --network host --build-arg "BASE=$base_image" -v "$apt_cache:/var/cache/berth-apt" \
    --label "org.opencontainers.image.version=$version" --label "io.berth.app.packages=$versions" \
    --label "org.opencontainers.image.base.name=$base_image" \
    -t "${image[$name]}" -f "$images_dir/$name/Containerfile" "$images_dir/$name" >"$work/$name.log" 2>&1 || {
    tail -n 30 "$work/$name.log" >&2
    echo "app-images: building $name failed (whole log above was cut to 30 lines)" >&2
    exit 1
  }
  echo "app-images: built ${image[$name]} ($versions) in $(($(now) - started)) s, $(podman image inspect -f '{{.Size}}' "${image[$name]}") bytes"
}

want_base=false
for n in "${names[@]}"; do [ "$n" = base ] && want_base=true; done
if have "$base_image" && ! { $rebuild && $want_base; }; then
  echo "app-images: $base_image already exists"
else
  build_base
fi
todo=()
for n in "${names[@]}"; do
  [ "$n" = base ] && continue
  if have "${image[$n]}" && ! $rebuild; then
    echo "app-images: ${image[$n]} already exists"
  else
    [ -f "$images_dir/$n/Containerfile" ] || {
      echo "app-images: $images_dir/$n/Containerfile does not exist (BERTH_APP_IMAGES_DIR=$images_dir)" >&2
      exit 1
    }
    todo+=("$n")
  fi
done
[ "${#todo[@]}" -gt 0 ] || exit 0
# Two runs at once (Berth's build task and a run by hand) share the cache: a run's resolution
# holds it alone, its builds share it; another run's resolution waits for them.
mkdir -p "$apt_cache"
exec 9>"$apt_cache/.lock"
flock -w 3600 -x 9
prefetch "${todo[@]}"
flock -s 9
for n in "${todo[@]}"; do build_app "$n"; done
