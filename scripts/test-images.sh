#!/usr/bin/env bash
# Builds the images the test suites run, without any registry (runtime-notes §4):
#   localhost/berth-busybox:1  static busybox on scratch, users root/nobody/app, /www/index.html
#   localhost/berth-node:20    the host's node binary and its shared libraries on the busybox tree
#   localhost/berth-noshell:1  distroless-style: the host's node binary and its shared libraries,
#                              /etc/passwd and /tmp, and nothing else (no shell, no tar, no busybox);
#                              file-logs tests read its files through the archive API (docs/file-logs.md)
# Idempotent: an image that `podman image exists` already has is left alone.
set -euo pipefail

busybox_image=localhost/berth-busybox:1
node_image=localhost/berth-node:20
noshell_image=localhost/berth-noshell:1

have() { podman image exists "$1"; }
if have "$busybox_image" && have "$node_image" && have "$noshell_image"; then
  echo "test-images: $busybox_image, $node_image and $noshell_image already exist"
  exit 0
fi

# A scratch image has no libc, so it needs the statically linked busybox (ldd fails on it).
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
    echo "test-images: installing busybox-static"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends busybox-static >/dev/null
  fi
  busybox=$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -n 1)
fi

work=$(mktemp -d -t berth-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The busybox tree doubles as the base of the node image, so it is always laid out.
bb="$work/bbroot"
mkdir -p "$bb"/{bin,www,etc,tmp,root,home/app}
cp "$busybox" "$bb/bin/busybox"
for applet in $("$bb/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$bb/bin/$applet"
done
cat >"$bb/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
EOF
cat >"$bb/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
app:x:1000:
EOF
chmod 1777 "$bb/tmp"
chown 1000:1000 "$bb/home/app"
echo '<h1>hello</h1>' >"$bb/www/index.html"

if have "$busybox_image"; then
  echo "test-images: $busybox_image already exists"
else
  tar -C "$bb" --numeric-owner -c . |
    podman import -q --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - "$busybox_image" >/dev/null
  echo "test-images: built $busybox_image"
fi

if have "$node_image"; then
  echo "test-images: $node_image already exists"
else
  nr="$work/noderoot"
  mkdir -p "$nr"/{usr/bin,tmp,app,etc/ssl/certs}
  cp -a "$bb/bin" "$nr/"
  cp "$bb/etc/passwd" "$bb/etc/group" "$nr/etc/"
  cp /usr/bin/node "$nr/usr/bin/node"
  for lib in $(ldd /usr/bin/node | grep -oE '/[^ ]+'); do
    mkdir -p "$nr$(dirname "$lib")"
    cp -L "$lib" "$nr$lib"
  done
  # Name resolution loads these at run time; ldd does not list them.
  libdir=/lib/x86_64-linux-gnu
  mkdir -p "$nr$libdir"
  for lib in libnss_dns.so.2 libnss_files.so.2 libresolv.so.2; do
    if [ -e "$libdir/$lib" ]; then cp -L "$libdir/$lib" "$nr$libdir/"; fi
  done
  printf 'hosts: files dns\n' >"$nr/etc/nsswitch.conf"
  if [ -e /etc/ssl/certs/ca-certificates.crt ]; then cp /etc/ssl/certs/ca-certificates.crt "$nr/etc/ssl/certs/"; fi
  chmod 1777 "$nr/tmp"
  tar -C "$nr" --numeric-owner -c . |
    podman import -q --change 'ENV PATH=/usr/bin:/bin' --change 'WORKDIR /app' \
      --change 'CMD ["node","/app/server.js"]' - "$node_image" >/dev/null
  echo "test-images: built $node_image"
fi

if have "$noshell_image"; then
  echo "test-images: $noshell_image already exists"
else
  ns="$work/noshellroot"
  mkdir -p "$ns"/{usr/bin,tmp,app,etc}
  cp "$bb/etc/passwd" "$bb/etc/group" "$ns/etc/"
  cp /usr/bin/node "$ns/usr/bin/node"
  for lib in $(ldd /usr/bin/node | grep -oE '/[^ ]+'); do
    mkdir -p "$ns$(dirname "$lib")"
    cp -L "$lib" "$ns$lib"
  done
  chmod 1777 "$ns/tmp"
  chown 1000:1000 "$ns/app"
  tar -C "$ns" --numeric-owner -c . |
    podman import -q --change 'ENV PATH=/usr/bin' --change 'WORKDIR /app' --change 'USER 1000' \
      --change 'CMD ["node","-e","setInterval(()=>{},1e9)"]' - "$noshell_image" >/dev/null
  echo "test-images: built $noshell_image"
fi
