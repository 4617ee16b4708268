#!/bin/sh
# Entry point of localhost/berth-apps/mariadb:10.11 (apps/images/README.md, "MariaDB").
# First start (no /var/lib/mysql/mysql): initialise the data directory from MARIADB_ROOT_PASSWORD
# (or _FILE), MARIADB_DATABASE, MARIADB_USER and MARIADB_PASSWORD (or _FILE) on a server without
# networking, then start the real one. Names are checked against [A-Za-z0-9_]; passwords reach the
# server as hex literals and are hashed there by PASSWORD(), so no input is ever quoted, evaluated
# or put on a command line. Arguments are passed on to mariadbd.
set -eu

datadir=/var/lib/mysql
init_socket=/run/mysqld/init.sock

fail() {
  echo "berth-mariadb: $*" >&2
  exit 1
}

# secret VAR: the content of the file $VAR_FILE names, else $VAR (empty if neither is set).
secret() {
  file=$(printenv "${1}_FILE" || true)
  if [ -n "$file" ]; then
    [ -r "$file" ] || fail "${1}_FILE=$file cannot be read by uid $(id -u); mount it readable"
    cat "$file"
  else
    printenv "$1" || true
  fi
}

check_name() { # check_name VAR value
  case "$2" in
    '' | *[!A-Za-z0-9_]*) fail "$1='$2' is not a name of 1-64 letters, digits or underscores" ;;
  esac
  [ "${#2}" -le 64 ] || fail "$1 is longer than 64 characters"
}

# The SQL expression PASSWORD(<the value as utf8mb4>), from a hex literal of its bytes.
hashed() {
  hex=$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n')
  printf "PASSWORD(CONVERT(X'%s' USING utf8mb4))" "$hex"
}

initialise() {
  root_password=$(secret MARIADB_ROOT_PASSWORD)
  [ -n "$root_password" ] || fail "the data directory is empty: set MARIADB_ROOT_PASSWORD or MARIADB_ROOT_PASSWORD_FILE for its first start"
  database=${MARIADB_DATABASE:-}
  user=${MARIADB_USER:-}
  user_password=$(secret MARIADB_PASSWORD)
  [ -z "$database" ] || check_name MARIADB_DATABASE "$database"
  if [ -n "$user" ]; then
    check_name MARIADB_USER "$user"
    [ "$user" != root ] || fail "MARIADB_USER=root: root is set by MARIADB_ROOT_PASSWORD; name another user"
    [ -n "$user_password" ] || fail "MARIADB_USER=$user needs MARIADB_PASSWORD or MARIADB_PASSWORD_FILE"
  fi

  echo "berth-mariadb: initialising $datadir" >&2
  mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  mariadbd --skip-networking --socket="$init_socket" --datadir="$datadir" &
  pid=$!
  tries=0
  until mariadb-admin --socket="$init_socket" --user=root ping >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || fail "the server for the initialisation ended; see the lines above"
    tries=$((tries + 1))
    [ "$tries" -le 120 ] || fail "the server for the initialisation did not answer in 60 s"
    sleep 0.5
  done

  # The hashes are computed inside the server and are '*' + 40 hex digits: safe to splice.
  {
    echo "SET @root_hash = $(hashed "$root_password");"
    # mariadb-install-db made root@<hostname>, @127.0.0.1, @::1 without a password, and anonymous users.
    echo "DELETE FROM mysql.global_priv WHERE NOT ((User = 'root' AND Host = 'localhost') OR User = 'mariadb.sys');"
    echo "FLUSH PRIVILEGES;"
    echo "EXECUTE IMMEDIATE CONCAT('ALTER USER root@localhost IDENTIFIED BY PASSWORD ''', @root_hash, '''');"
    echo "EXECUTE IMMEDIATE CONCAT('CREATE OR REPLACE USER root@''%'' IDENTIFIED BY PASSWORD ''', @root_hash, '''');"
    echo "GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;"
    if [ -n "$database" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$database\`;"; fi
    if [ -n "$user" ]; then
      echo "SET @user_hash = $(hashed "$user_password");"
      echo "EXECUTE IMMEDIATE CONCAT('CREATE OR REPLACE USER \`$user\`@''%'' IDENTIFIED BY PASSWORD ''', @user_hash, '''');"
      if [ -n "$database" ]; then echo "GRANT ALL ON \`$database\`.* TO \`$user\`@'%';"; fi
    fi
  } | mariadb --socket="$init_socket" --user=root --batch || fail "setting the users failed; see the error above"

  # SIGTERM is mariadbd's clean shutdown (root has a password by now, mariadb-admin would need it).
  kill "$pid"
  wait "$pid" || fail "the server for the initialisation did not stop cleanly"
  echo "berth-mariadb: initialised (root${database:+, database $database}${user:+, user $user})" >&2
}

if [ ! -d "$datadir/mysql" ]; then initialise; fi
unset MARIADB_ROOT_PASSWORD MARIADB_PASSWORD
exec mariadbd "$@"
