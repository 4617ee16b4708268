/**
 * MariaDB password rotation (docs/apps.md, "Rotation"): the server keeps its passwords in its data
 * directory after the first start, so a new env value alone changes nothing. The new passwords
 * are set in SQL inside the running server — the `mariadb` client exec'd in the member's ready
 * container, as root over the local socket: the root password in the exec's environment
 * (MYSQL_PWD, never on a command line), the SQL on stdin, each password as a hex literal hashed
 * by the server (no quoting of user input anywhere).
 */
import type { ExecSession } from '@berth/engine-api';
import { BerthError, ConflictError } from '@berth/shared';
import { onCluster } from '../containers/container-clusters';
import type { ServicesModuleDeps } from '../services/services-deps';

/** How long the client may take (a busy server answers in well under a second). */
const timeoutMs = 30_000;

export interface MariadbPasswords {
  /** The root password the server has now (the client logs in with it). */
  currentRoot: string;
  /** The application user (a template parameter, checked against [A-Za-z_][A-Za-z0-9_]*). */
  user: string;
  password: string;
  /** A new root password, set for root@localhost and root@'%'. */
  rootPassword: string;
}

/** The SQL expression of the server's hash of a password: a hex literal of its UTF-8 bytes. */
function hashOf(password: string): string {
  return `PASSWORD(CONVERT(X'${Buffer.from(password, 'utf8').toString('hex')}' USING utf8mb4))`;
}

/** ALTER USER with a hash the server computed ('*' + 40 hex digits): nothing of the caller's is spliced. */
function alterUser(account: string, variable: string): string {
  return `EXECUTE IMMEDIATE CONCAT('ALTER USER ${account} IDENTIFIED BY PASSWORD ''', ${variable}, '''');`;
}

/** The statements that set both passwords; `user` was checked as an identifier at install. */
export function rotationSql(p: Pick<MariadbPasswords, 'user' | 'password' | 'rootPassword'>): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.user))
    throw new Error(
      `mariadb user '${p.user}' is not an identifier (the template's pattern lets none through)`,
    );
  return [
    `SET @user_hash = ${hashOf(p.password)};`,
    `SET @root_hash = ${hashOf(p.rootPassword)};`,
    alterUser(`\`${p.user}\`@''%''`, '@user_hash'),
    alterUser(`root@''%''`, '@root_hash'),
    alterUser('root@localhost', '@root_hash'),
    'FLUSH PRIVILEGES;',
    '',
  ].join('\n');
}

/** The member's ready container of its current release: where the client runs. */
async function readyContainer(deps: ServicesModuleDeps, project: string, env: string, service: string) {
  const s = await deps.repo.findByPath(project, env, service);
  const containers = s && !s.deleting ? await deps.repo.activeContainers(s.id) : [];
  const ready = containers.find((c) => c.ready === 1 && c.release === s?.release);
  if (!ready)
    throw new ConflictError(
      `MariaDB service '${service}' has no ready container of its current release; rotate the password when the instance is running (GET …/app-instances shows its state).`,
      undefined,
      'CONFLICT',
    );
  return ready;
}

/** Reads an exec's output until it ends; rejects after the timeout (closing the exec). */
async function finish(exec: ExecSession, input: string): Promise<{ code: number | null; output: string }> {
  const chunks: Buffer[] = [];
  exec.stream.on('data', (c: Buffer) => chunks.push(c));
  exec.stderr?.on('data', (c: Buffer) => chunks.push(c));
  exec.stream.end(input);
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      exec.exitCode(),
      new Promise<never>((_r, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the mariadb client did not end in ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    return { code, output: Buffer.concat(chunks).toString('utf8').trim() };
  } finally {
    clearTimeout(timer);
    exec.close();
  }
}

/** Sets the new passwords in the running server of `service`; throws naming the client's error. */
export async function setMariadbPasswords(
  deps: ServicesModuleDeps,
  where: { project: string; env: string; service: string },
  p: MariadbPasswords,
): Promise<void> {
  const c = await readyContainer(deps, where.project, where.env, where.service);
  const exec = await onCluster(deps.engines, c.cluster, 'rotate the MariaDB password', (engine) =>
    engine.exec(c.engine_id ?? c.name, {
      cmd: ['mariadb', '--user=root', '--batch', '--silent'],
      env: { MYSQL_PWD: p.currentRoot },
      tty: false,
    }),
  );
  const { code, output } = await finish(exec, rotationSql(p));
  if (code !== 0)
    throw new BerthError(
      'UNPROCESSABLE',
      `Setting the new passwords in MariaDB (${where.service}, container ${c.name}) failed (exit ${code}): ${output.slice(0, 500) || 'no output'}. The old passwords still apply; check the server's logs and try again.`,
    );
}
