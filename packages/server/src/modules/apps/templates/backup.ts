/**
 * The backup hook of a template version (docs/apps.md "Backups"): how one instance's data is
 * written to a file and put back. Every step runs as a one-off container of the app's own image
 * (it has the client tools) on the environment's network, with the instance's backups volume
 * mounted. The scripts are constants of the template: everything that varies (the member's
 * name, the file, passwords) reaches them as environment variables, never inside the script.
 */
import type { AppParamValue } from '@berth/shared';

/** A variable of a backup or restore step; `secret` ones are never logged or shown. */
export interface BackupEnv {
  name: string;
  value: string;
  secret?: boolean;
}

export interface BackupHook {
  /** What a file is: `redis-rdb`, `mariadb-dump`, `zookeeper-snapshot`. */
  kind: string;
  /** The file name's ending, with its dot: `.rdb`, `.sql.gz`, `.tar.gz`. */
  extension: string;
  /**
   * Where the backups volume is mounted in the step's container: a directory of the image that
   * the image's (non-root) user owns — an empty volume takes its owner from it on first mount.
   */
  backupsPath: string;
  /**
   * bash (constant): writes one backup of the member reachable as "$BERTH_HOST" to the file
   * "$BERTH_BACKUP_PART" (the wrapper renames it once complete). Runs under `set -euo pipefail`.
   */
  dump: string;
  /**
   * Volumes of the instance the dump step mounts read-only besides the backups volume (`{name}`
   * standing for the instance): for an app without a network dump (ZooKeeper's newest snapshot
   * and logs are copied from a member's data volume). Absent: none.
   */
  dumpMounts?: { volume: string; path: string }[];
  /** Variables of both steps (passwords of the client tools) from the instance's secrets. */
  env: (input: { params: Record<string, AppParamValue>; secrets: Record<string, string> }) => BackupEnv[];
  restore: {
    /**
     * `offline`: the members are stopped, the step runs with `mounts` (the data volume), then the
     * members start again. `online`: the step talks to the running server ("$BERTH_HOST").
     */
    mode: 'offline' | 'online';
    /** bash (constant): puts the backup "$BERTH_BACKUP_SOURCE" back. */
    script: string;
    /** Offline: the instance's volumes the step mounts, `{name}` standing for the instance. */
    mounts?: { volume: string; path: string }[];
    /** Offline: the member services stopped during the step (`{name}` patterns); default all. */
    stop?: string[];
  };
}

/**
 * The backup step around a template's `dump`: the file name (given by Berth for a backup on
 * demand, made from the UTC time for a scheduled one), a partial file renamed only when the dump
 * succeeded, and for scheduled runs the pruning beyond BERTH_BACKUP_KEEP (scheduled files only:
 * backups made on demand stay until deleted).
 */
export function backupScript(hook: BackupHook): string {
  return [
    'set -euo pipefail',
    'cd "$BERTH_BACKUP_DIR"',
    'file="${BERTH_BACKUP_FILE:-$BERTH_INSTANCE-$(date -u +%Y%m%dT%H%M%SZ)-scheduled$BERTH_BACKUP_EXT}"',
    'export BERTH_BACKUP_PART="$BERTH_BACKUP_DIR/.$file.partial"',
    'trap \'rm -f -- "$BERTH_BACKUP_PART"\' EXIT',
    hook.dump,
    'mv -- "$BERTH_BACKUP_PART" "$BERTH_BACKUP_DIR/$file"',
    'trap - EXIT',
    'echo "berth-backup: wrote $file ($(stat -c %s -- "$file") bytes)"',
    'if [ -n "${BERTH_BACKUP_KEEP:-}" ]; then',
    '  ls -1 -- *-scheduled"$BERTH_BACKUP_EXT" 2>/dev/null | sort -r | tail -n +"$((BERTH_BACKUP_KEEP + 1))" |',
    '    while IFS= read -r old; do rm -f -- "$old"; echo "berth-backup: removed $old (keep $BERTH_BACKUP_KEEP)"; done',
    'fi',
  ].join('\n');
}

/** The restore step around a template's script. */
export function restoreScript(hook: BackupHook): string {
  return [
    'set -euo pipefail',
    'export BERTH_BACKUP_SOURCE="$BERTH_BACKUP_DIR/$BERTH_BACKUP_FILE"',
    '[ -f "$BERTH_BACKUP_SOURCE" ] || { echo "berth-restore: $BERTH_BACKUP_FILE is not in the backups volume" >&2; exit 2; }',
    hook.restore.script,
    'echo "berth-restore: restored $BERTH_BACKUP_FILE"',
  ].join('\n');
}

/**
 * Redis: `redis-cli --rdb` asks the server for a point-in-time RDB snapshot (what a replica
 * receives). Restore is offline: the RDB replaces the data, the stale append-only files go, and
 * when the instance runs with `appendonly yes` a server started on the volume alone (no port)
 * loads the RDB and rewrites the append-only file from it — else the member would load the old
 * AOF, not the RDB, on its start.
 */
export const redisBackup: BackupHook = {
  kind: 'redis-rdb',
  extension: '.rdb',
  backupsPath: '/data',
  dump: 'redis-cli -h "$BERTH_HOST" --no-auth-warning --rdb "$BERTH_BACKUP_PART" >&2',
  env: ({ params, secrets }) => [
    { name: 'REDISCLI_AUTH', value: secrets.password ?? '', secret: true },
    { name: 'BERTH_APPENDONLY', value: params.appendonly === false ? 'no' : 'yes' },
  ],
  restore: {
    mode: 'offline',
    mounts: [{ volume: '{name}-data', path: '/data' }],
    script: [
      'cp -- "$BERTH_BACKUP_SOURCE" /data/.dump.rdb.restore',
      'rm -rf -- /data/appendonlydir /data/appendonly.aof',
      'mv -- /data/.dump.rdb.restore /data/dump.rdb',
      'if [ "$BERTH_APPENDONLY" = yes ]; then',
      '  sock=/tmp/berth-restore.sock',
      '  redis-server --port 0 --unixsocket "$sock" --dir /data --dbfilename dump.rdb --appendonly no --save \'\' --daemonize yes --logfile /tmp/berth-restore.log',
      '  for _ in $(seq 600); do redis-cli -s "$sock" ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done',
      '  redis-cli -s "$sock" config set appendonly yes >/dev/null',
      '  for _ in $(seq 3000); do',
      '    info=$(redis-cli -s "$sock" info persistence | tr -d "\\r")',
      '    if grep -q "^aof_rewrite_in_progress:0" <<<"$info" && grep -q "^aof_rewrite_scheduled:0" <<<"$info"; then break; fi',
      '    sleep 0.2',
      '  done',
      '  grep -q "^aof_last_bgrewrite_status:ok" <<<"$info" || { echo "berth-restore: rewriting the append-only file failed" >&2; cat /tmp/berth-restore.log >&2; exit 1; }',
      '  redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true',
      '  for _ in $(seq 300); do [ -S "$sock" ] || break; sleep 0.2; done',
      'fi',
    ].join('\n'),
  },
};

/**
 * MariaDB: `mariadb-dump --single-transaction` of every database but the system ones (a
 * consistent snapshot of InnoDB tables without locking them), with routines and events, each
 * database dropped and made again on restore; gzip-compressed. Restore is online: the dump is
 * piped into the `mariadb` client as root.
 */
export const mariadbBackup: BackupHook = {
  kind: 'mariadb-dump',
  extension: '.sql.gz',
  backupsPath: '/var/lib/mysql',
  dump: [
    "mapfile -t dbs < <(mariadb -h \"$BERTH_HOST\" -u root -N -B -e 'SHOW DATABASES' | grep -Ev '^(information_schema|performance_schema|mysql|sys)$' || true)",
    '[ "${#dbs[@]}" -gt 0 ] || { echo "berth-backup: the server has no database to back up" >&2; exit 1; }',
    'mariadb-dump -h "$BERTH_HOST" -u root --single-transaction --routines --events --add-drop-database --databases "${dbs[@]}" | gzip >"$BERTH_BACKUP_PART"',
  ].join('\n'),
  env: ({ secrets }) => [{ name: 'MYSQL_PWD', value: secrets.rootPassword ?? '', secret: true }],
  restore: {
    mode: 'online',
    script: 'gunzip -c -- "$BERTH_BACKUP_SOURCE" | mariadb -h "$BERTH_HOST" -u root',
  },
};

/**
 * ZooKeeper has no command that hands a snapshot to a client, so the dump copies a member's data
 * directory (`version-2`: its snapshots and transaction logs) from the member's volume, mounted
 * read-only, while the member runs. That is a fuzzy copy, and ZooKeeper's own recovery is made for
 * it: a server loads the newest snapshot whose checksum holds and replays the logs after it up to
 * their last whole record. Every member of a quorum holds every committed change, so the first
 * member's copy serves the ensemble; a change committed while the copy runs may be in it or not.
 * Restore is offline: every member stops, each member's `version-2` is replaced by the backup's
 * (its `myid` stays), and the members start again with the backup's state, the same on each.
 */
export function zookeeperBackup(params: Record<string, AppParamValue>): BackupHook {
  const volumes = Number(params.members) === 3 ? [1, 2, 3].map((n) => `{name}-${n}-data`) : ['{name}-data'];
  return {
    kind: 'zookeeper-snapshot',
    extension: '.tar.gz',
    backupsPath: '/data',
    dumpMounts: [{ volume: volumes[0]!, path: '/zk' }],
    dump: [
      '[ -d /zk/version-2 ] || { echo "berth-backup: the member has no data yet (no version-2 in its volume)" >&2; exit 1; }',
      // GNU tar exits 1 when a file changed while it was read (the log being appended): expected here
      'rc=0',
      'tar -C /zk --warning=no-file-changed --warning=no-file-shrank -czf "$BERTH_BACKUP_PART" version-2 || rc=$?',
      '[ "$rc" -le 1 ] || exit "$rc"',
    ].join('\n'),
    env: () => [],
    restore: {
      mode: 'offline',
      mounts: volumes.map((volume, i) => ({ volume, path: `/zk/m${i + 1}` })),
      script: [
        'tar -tzf "$BERTH_BACKUP_SOURCE" version-2 >/dev/null || { echo "berth-restore: the file holds no version-2 directory" >&2; exit 2; }',
        'for d in /zk/m*; do',
        '  rm -rf -- "$d/.version-2.restore"',
        '  mkdir -- "$d/.version-2.restore"',
        '  tar -xzf "$BERTH_BACKUP_SOURCE" -C "$d/.version-2.restore" --strip-components=1 version-2',
        '  rm -rf -- "$d/version-2"',
        '  mv -- "$d/.version-2.restore" "$d/version-2"',
        '  echo "berth-restore: replaced the data of ${d#/zk/}"',
        'done',
      ].join('\n'),
    },
  };
}

/**
 * The hooks of the apps shipped with backups, by app name (a version's own `backup` wins); a
 * function when the hook depends on the instance's parameters (ZooKeeper's members).
 */
export const shippedBackups: Record<
  string,
  BackupHook | ((params: Record<string, AppParamValue>) => BackupHook)
> = {
  redis: redisBackup,
  mariadb: mariadbBackup,
  zookeeper: zookeeperBackup,
};
