#!/bin/sh
# Entry point of localhost/berth-apps/redis:7 (apps/images/README.md, "Redis").
# The password comes from REDIS_PASSWORD_FILE (a mounted file; one trailing newline is dropped) or
# REDIS_PASSWORD. It is never evaluated nor written in clear: the default user's ACL holds its
# SHA-256. Without a password Redis refuses to start unless REDIS_ALLOW_EMPTY_PASSWORD=yes.
# Arguments are passed on to redis-server after the configuration file (e.g. --maxmemory 100mb).
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
