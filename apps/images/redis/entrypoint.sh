#!/bin/sh
# Entry point of localhost/berth-apps/redis:7 (apps/images/README.md, "Redis").
# The password comes from REDIS_PASSWORD_FILE (a mounted file; one trailing newline is dropped) or
# REDIS_PASSWORD. It is never evaluated nor written in clear: the default user's ACL holds its
# SHA-256. Without a password Redis refuses to start unless REDIS_ALLOW_EMPTY_PASSWORD=yes.
# Arguments are passed on to redis-server after the configuration file (e.g. --maxmemory 100mb).
# REDIS_REPLICAOF=HOST[:PORT] makes it a replica of that primary, authenticating with the same
# password (masterauth: the one place it is kept in clear, in a file only this uid reads).
# A config file Berth mounts at /etc/berth/redis.d/redis.conf (docs/apps.md "Config files") is
# included after the image's settings and before the password's.
set -eu

fail() {
  echo "berth-redis: $*" >&2
  exit 1
}

password=''
if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
  [ -r "$REDIS_PASSWORD_FILE" ] || fail "REDIS_PASSWORD_FILE=$REDIS_PASSWORD_FILE cannot be read by uid $(id -u); mount it readable"
  password=$(cat "$REDIS_PASSWORD_FILE")
elif [ -n "${REDIS_PASSWORD:-}" ]; then
  password=$REDIS_PASSWORD
fi

run=/run/berth-redis
conf=$run/redis.conf
acl=$run/users.acl
umask 077
cp /etc/berth/redis.conf "$conf"
extra=/etc/berth/redis.d/redis.conf
if [ -r "$extra" ]; then printf 'include %s\n' "$extra" >>"$conf"; fi
if [ -n "${REDIS_REPLICAOF:-}" ]; then
  primary=${REDIS_REPLICAOF%:*}
  primary_port=6379
  [ "$primary" = "$REDIS_REPLICAOF" ] || primary_port=${REDIS_REPLICAOF##*:}
  case "$primary" in '' | *[!A-Za-z0-9.-]*) fail "REDIS_REPLICAOF=$REDIS_REPLICAOF: the host must be a DNS name or an IPv4 address" ;; esac
  case "$primary_port" in '' | *[!0-9]*) fail "REDIS_REPLICAOF=$REDIS_REPLICAOF: the port must be a number" ;; esac
  # written inside double quotes: refuse what would need escaping there
  case "$password" in *[!A-Za-z0-9._~+/=-]*) fail "a replica's password may hold letters, digits and . _ ~ + / = - only" ;; esac
  printf 'replicaof %s %s\n' "$primary" "$primary_port" >>"$conf"
  if [ -n "$password" ]; then printf 'masterauth "%s"\n' "$password" >>"$conf"; fi
fi
if [ -n "$password" ]; then
  hash=$(printf '%s' "$password" | sha256sum | cut -d ' ' -f 1)
  printf 'user default on #%s ~* &* +@all\n' "$hash" >"$acl"
  printf 'aclfile %s\nprotected-mode no\n' "$acl" >>"$conf"
elif [ "${REDIS_ALLOW_EMPTY_PASSWORD:-no}" = yes ]; then
  echo "berth-redis: no password (REDIS_ALLOW_EMPTY_PASSWORD=yes): anyone who reaches port 6379 has the data" >&2
  printf 'protected-mode no\n' >>"$conf"
else
  fail "set REDIS_PASSWORD or REDIS_PASSWORD_FILE (or REDIS_ALLOW_EMPTY_PASSWORD=yes to run without one)"
fi
unset REDIS_PASSWORD password
exec redis-server "$conf" "$@"
