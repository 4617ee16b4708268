import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RenderError } from './render-model';

/*
 * keepalived configuration for a virtual IP shared by a gateway's nodes (docs/gateway.md,
 * "TCP and UDP entry points; virtual IP"). One vrrp_instance per node: the node with the highest
 * effective priority holds the VIP; a vrrp_script checks the node's Nginx master; a notify
 * script writes the node's VRRP state to a file the agent reports. Values are checked here (a
 * RenderError names the field) and the text is checked by `keepalived -t` (validateKeepalived).
 * Rendering is pure; validation runs keepalived with an argv, never a shell.
 */

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/**
 * How the VIP comes back after a failover.
 * - `nopreempt`: every node starts BACKUP; a recovered node of higher priority does not take the
 *   VIP back (one move per failure; the holder changes only when it fails).
 * - `preempt`: the highest priority takes the VIP back, `delaySeconds` (0-1000) after it sees a
 *   lower-priority master (or after start). `initialState: 'MASTER'` (no delay allowed: keepalived
 *   ignores preempt_delay then) makes a node claim the VIP at start without waiting 3 adverts.
 */
export type VrrpPreemption =
  | { mode: 'nopreempt' }
  | { mode: 'preempt'; delaySeconds?: number | undefined; initialState?: 'MASTER' | 'BACKUP' | undefined };

/** The health check of the node's Nginx: its master's pid file names a live `nginx` process. */
export interface VrrpCheck {
  /** Absolute path of the Nginx master's pid file on the node. */
  nginxPidFile: string;
  /** Seconds between checks, 1-60 (default 2). */
  intervalSeconds?: number | undefined;
  /** Seconds before a check counts as failed, 1-60 (default 2). */
  timeoutSeconds?: number | undefined;
  /** Failed checks in a row before the node counts as down, 1-10 (default 2). */
  fall?: number | undefined;
  /** Passed checks in a row before it counts as up again, 1-10 (default 2). */
  rise?: number | undefined;
  /**
   * -253..253, default 0. 0: a failing check puts the instance in FAULT and it gives up the VIP
   * whatever the priorities. Otherwise the priority is lowered by |weight| while the check fails
   * (negative) or raised while it passes (positive): the VIP moves only if that crosses another
   * node's priority, and never with nopreempt (refused).
   */
  weight?: number | undefined;
}

/** What keepalived runs on a state change: `<script> <stateFile>` + keepalived's 4 arguments. */
export interface VrrpNotify {
  /** Absolute path of berth-vrrp-notify as installed on the node (root-owned, not writable by others). */
  script: string;
  /** Absolute path of the state file the agent reads (readVrrpState). */
  stateFile: string;
}

/** The keepalived configuration of one gateway node. */
export interface KeepalivedNode {
  /** The node's name (global_defs router_id): letters, digits, `.`, `_`, `-`; at most 64. */
  routerId: string;
  /** The vrrp_instance name, the same on every node: [A-Za-z][A-Za-z0-9_]{0,31}. */
  instance: string;
  /** The network interface that carries the VIP and the adverts (not `lo`). */
  interface: string;
  /** 1-255, the same on every node of the gateway, unique among VRRP routers on the network. */
  virtualRouterId: number;
  /** 1-254 (255 is reserved for the address owner). */
  priority: number;
  /** Seconds between adverts, 1-255 (default 1). Failover takes about 3 adverts. */
  advertIntervalSeconds?: number | undefined;
  preemption: VrrpPreemption;
  /** PASS authentication, 1-8 characters; keepalived would cut a longer one to 8. */
  authPass?: string | undefined;
  /** Adverts by unicast to the peers (networks without multicast) from sourceIp. */
  unicast?: { sourceIp: string; peers: string[] } | undefined;
  /** IPv4 addresses with an optional prefix length (/32 when absent). */
  virtualIps: string[];
  check: VrrpCheck;
  notify: VrrpNotify;
}

/** The binary the check runs (procps): exit 0 when the pid file names a live process called nginx. */
export const pgrepBin = '/usr/bin/pgrep';

/** argv of the Nginx check (also what the tests run against a real Nginx). */
export function nginxCheckArgv(pidFile: string): string[] {
  return [pgrepBin, '-F', absolutePath(pidFile, 'check.nginxPidFile'), '-x', 'nginx'];
}

function fail(message: string, field: string): never {
  throw new RenderError(message, field);
}

function bounded(value: unknown, min: number, max: number, field: string): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`${field} must be an integer from ${min} to ${max}`, field);
  }
  return String(value);
}

/** A refused value, printable and short, for messages. */
function shown(value: unknown): string {
  return JSON.stringify(
    String(value)
      .slice(0, 40)
      .replace(/[^\x20-\x7e]/g, '?'),
  );
}

/*
 * keepalived's parser: `#` and `!` start comments, `$` expands definitions, `@` at the start of a
 * word selects a line by router id, `~SEQ` expands, quotes group words, whitespace splits words.
 * Every rendered value is therefore a single word of letters, digits and `. _ - / :` (plus a
 * few harmless marks in auth_pass): none can end a line, open a block or be read as syntax.
 */
function matching(value: unknown, re: RegExp, what: string, field: string): string {
  if (typeof value !== 'string' || !re.test(value)) fail(`${field} ${shown(value)} is not ${what}`, field);
  return value;
}

const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4Re = new RegExp(`^${octet}(\\.${octet}){3}$`);

function ipv4(value: unknown, field: string): string {
  return matching(value, ipv4Re, 'an IPv4 address', field);
}

function vip(value: unknown, field: string): string {
  const v = matching(value, /^[0-9.]{7,15}(\/\d{1,2})?$/, 'an IPv4 address or ADDRESS/PREFIX', field);
  const [addr, len] = v.split('/');
  ipv4(addr, field);
  if (len !== undefined && (Number(len) < 1 || Number(len) > 32)) fail(`${field} prefix must be 1-32`, field);
  return len === undefined ? `${v}/32` : v;
}

function absolutePath(value: unknown, field: string): string {
  const p = matching(value, /^(\/[A-Za-z0-9._-]+)+$/, 'an absolute path of letters, digits, . _ -', field);
  if (p.split('/').some((s) => s === '.' || s === '..'))
    fail(`${field} must not contain . or .. parts`, field);
  if (p.length > 255) fail(`${field} is longer than 255 characters`, field);
  return p;
}

/** The auth_pass rule, in one place: 1-8 characters that keepalived reads as one plain word. */
export const authPassMaxLength = 8;

function authPass(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(`${field} must be 1-8 characters`, field);
  if (value.length > authPassMaxLength) {
    fail(
      `${field} has ${value.length} characters: VRRP carries at most ${authPassMaxLength} and keepalived silently cuts the rest, so nodes given different longer passwords would still agree; use 8 characters or fewer`,
      field,
    );
  }
  return matching(
    value,
    /^[A-Za-z0-9._+=:,%^-]{1,8}$/,
    'made of letters, digits and . _ + = : , % ^ -',
    field,
  );
}

function renderNode(n: KeepalivedNode): string {
  const routerId = matching(n.routerId, /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a node name', 'routerId');
  const instance = matching(n.instance, /^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'an instance name', 'instance');
  // Linux interface names: at most 15 bytes (IFNAMSIZ 16), no '/' or spaces.
  const iface = matching(n.interface, /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'an interface name', 'interface');
  if (iface === 'lo')
    fail(
      'interface lo cannot carry VRRP adverts: keepalived ignores it; name the node’s LAN interface',
      'interface',
    );
  const vrid = bounded(n.virtualRouterId, 1, 255, 'virtualRouterId');
  const priority = bounded(n.priority, 1, 254, 'priority');
  const advert = bounded(n.advertIntervalSeconds ?? 1, 1, 255, 'advertIntervalSeconds');
  const c = n.check;
  const weight = Number(bounded(c.weight ?? 0, -253, 253, 'check.weight'));
  const checkLines = [
    `  script "${nginxCheckArgv(c.nginxPidFile).join(' ')}"`,
    `  interval ${bounded(c.intervalSeconds ?? 2, 1, 60, 'check.intervalSeconds')}`,
    `  timeout ${bounded(c.timeoutSeconds ?? 2, 1, 60, 'check.timeoutSeconds')}`,
    `  fall ${bounded(c.fall ?? 2, 1, 10, 'check.fall')}`,
    `  rise ${bounded(c.rise ?? 2, 1, 10, 'check.rise')}`,
    `  weight ${weight}`,
  ];
  const notify = `${absolutePath(n.notify.script, 'notify.script')} ${absolutePath(n.notify.stateFile, 'notify.stateFile')}`;

  const p = n.preemption;
  const preemptLines: string[] = [];
  let state = 'BACKUP';
  if (p.mode === 'nopreempt') {
    if (weight !== 0) {
      fail(
        'check.weight must be 0 with nopreempt: a weighted check only lowers the priority, and with nopreempt no backup takes the VIP from a master of lower priority, so a failing Nginx would keep it',
        'check.weight',
      );
    }
    preemptLines.push('  nopreempt');
  } else if (p.mode === 'preempt') {
    const delay = bounded(p.delaySeconds ?? 0, 0, 1000, 'preemption.delaySeconds');
    if (p.initialState !== undefined && p.initialState !== 'MASTER' && p.initialState !== 'BACKUP')
      fail('preemption.initialState must be MASTER or BACKUP', 'preemption.initialState');
    if (p.initialState === 'MASTER') {
      if (delay !== '0')
        fail(
          'preemption.delaySeconds needs initialState BACKUP: keepalived ignores preempt_delay for a node that starts as MASTER',
          'preemption.delaySeconds',
        );
      state = 'MASTER';
    } else if (delay !== '0') preemptLines.push(`  preempt_delay ${delay}`);
  } else {
    fail('preemption.mode must be "nopreempt" or "preempt"', 'preemption.mode');
  }

  const vips = n.virtualIps;
  if (!Array.isArray(vips) || vips.length === 0) fail('virtualIps needs at least one address', 'virtualIps');
  if (vips.length > 20) fail('virtualIps has more than 20 addresses', 'virtualIps');
  const vipLines = vips.map((v, i) => `    ${vip(v, `virtualIps[${i}]`)} dev ${iface}`);
  if (new Set(vipLines).size !== vipLines.length) fail('virtualIps lists an address twice', 'virtualIps');

  const out = [
    '# Generated by Berth: the virtual IP of this gateway node. Do not edit.',
    'global_defs {',
    `  router_id ${routerId}`,
    // Scripts run as root, and keepalived refuses scripts that others could change.
    '  enable_script_security',
    '  script_user root',
    '}',
    'vrrp_script berth_check_nginx {',
    ...checkLines,
    '}',
    `vrrp_instance ${instance} {`,
    `  state ${state}`,
    ...preemptLines,
    `  interface ${iface}`,
    `  virtual_router_id ${vrid}`,
    `  priority ${priority}`,
    `  advert_int ${advert}`,
  ];
  if (n.authPass !== undefined) {
    out.push(
      '  authentication {',
      '    auth_type PASS',
      `    auth_pass ${authPass(n.authPass, 'authPass')}`,
      '  }',
    );
  }
  if (n.unicast) {
    const src = ipv4(n.unicast.sourceIp, 'unicast.sourceIp');
    const peers = n.unicast.peers;
    if (!Array.isArray(peers) || peers.length === 0)
      fail(
        'unicast.peers needs at least one peer (keepalived cannot run unicast without peers)',
        'unicast.peers',
      );
    if (peers.length > 254) fail('unicast.peers has more than 254 peers', 'unicast.peers');
    const seen = new Set<string>();
    out.push(`  unicast_src_ip ${src}`, '  unicast_peer {');
    peers.forEach((peer, i) => {
      const a = ipv4(peer, `unicast.peers[${i}]`);
      if (a === src) fail(`unicast.peers[${i}] is this node's own sourceIp`, `unicast.peers[${i}]`);
      if (seen.has(a)) fail(`unicast.peers[${i}] ${a} is listed twice`, `unicast.peers[${i}]`);
      seen.add(a);
      out.push(`    ${a}`);
    });
    out.push('  }');
  }
  out.push(
    '  virtual_ipaddress {',
    ...vipLines,
    '  }',
    '  track_script {',
    '    berth_check_nginx',
    '  }',
    `  notify "${notify}"`,
    '}',
    '',
  );
  return out.join('\n');
}

/** Renders keepalived.conf for one gateway node; throws RenderError naming the field. */
export function renderKeepalived(node: KeepalivedNode): string {
  return renderNode(node);
}

/** What every node of a gateway shares, and each node's own part. */
export interface KeepalivedGateway {
  instance: string;
  virtualRouterId: number;
  advertIntervalSeconds?: number | undefined;
  /** `preempt` with initialState MASTER gives MASTER to the highest priority only. */
  preemption: VrrpPreemption;
  authPass?: string | undefined;
  /** Adverts by unicast between the nodes' addresses instead of multicast. */
  unicast: boolean;
  virtualIps: string[];
  check: VrrpCheck;
  notify: VrrpNotify;
  nodes: { name: string; interface: string; priority: number; address?: string | undefined }[];
}

/**
 * Renders every node's file of one gateway, checking what only the whole gateway shows: node
 * names and priorities differ (so the VIP holder is predictable: VRRP would break a tie by the
 * higher address), unicast nodes have addresses and list each other, and a weighted check is
 * large enough to move the VIP off the highest priority.
 */
export function renderKeepalivedGateway(g: KeepalivedGateway): { node: string; text: string }[] {
  const nodes = g.nodes;
  if (!Array.isArray(nodes) || nodes.length < 2)
    fail('nodes: a virtual IP needs at least 2 nodes to fail over between', 'nodes');
  if (nodes.length > 50) fail('nodes: at most 50 nodes share one virtual IP', 'nodes');
  const names = new Set<string>();
  const priorities = new Map<number, string>();
  nodes.forEach((n, i) => {
    if (names.has(n.name)) fail(`nodes[${i}].name ${shown(n.name)} is used twice`, `nodes[${i}].name`);
    names.add(n.name);
    const other = priorities.get(n.priority);
    if (other !== undefined)
      fail(
        `nodes[${i}].priority ${n.priority} is also ${other}'s: give each node its own priority so the VIP holder is predictable`,
        `nodes[${i}].priority`,
      );
    priorities.set(n.priority, n.name);
  });
  const sorted = [...nodes].sort((a, b) => b.priority - a.priority);
  const top = sorted[0];
  const second = sorted[1];
  const weight = g.check.weight ?? 0;
  if (
    top &&
    second &&
    weight !== 0 &&
    g.preemption.mode === 'preempt' &&
    top.priority - second.priority >= Math.abs(weight)
  ) {
    fail(
      `check.weight ${weight} does not move the VIP: ${top.name} (priority ${top.priority}) with a failing check still outranks ${second.name} (priority ${second.priority}); use a weight larger than ${top.priority - second.priority} in size, or 0`,
      'check.weight',
    );
  }
  return nodes.map((n, i) => {
    const f = `nodes[${i}]`;
    let unicast: KeepalivedNode['unicast'];
    if (g.unicast) {
      const addrs = nodes.map((m, j) => ipv4(m.address, `nodes[${j}].address`));
      if (new Set(addrs).size !== addrs.length)
        fail(`${f}.address: two nodes have the same address`, `${f}.address`);
      unicast = { sourceIp: addrs[i] ?? '', peers: addrs.filter((_a, j) => j !== i) };
    }
    const preemption: VrrpPreemption =
      g.preemption.mode === 'preempt' && g.preemption.initialState === 'MASTER'
        ? { ...g.preemption, initialState: n === top ? 'MASTER' : 'BACKUP' }
        : g.preemption;
    try {
      return {
        node: n.name,
        text: renderNode({
          routerId: n.name,
          instance: g.instance,
          interface: n.interface,
          virtualRouterId: g.virtualRouterId,
          priority: n.priority,
          advertIntervalSeconds: g.advertIntervalSeconds,
          preemption,
          authPass: g.authPass,
          unicast,
          virtualIps: g.virtualIps,
          check: g.check,
          notify: g.notify,
        }),
      };
    } catch (err) {
      // Per-node fields carry the node's index; shared ones stay as they are.
      if (err instanceof RenderError && ['routerId', 'interface', 'priority'].includes(err.field)) {
        const field = `${f}.${err.field === 'routerId' ? 'name' : err.field}`;
        throw new RenderError(err.message.replace(err.field, field), field);
      }
      throw err;
    }
  });
}

/** The result of `keepalived -t`: ok (with any warnings), or keepalived's messages and exit code. */
export type KeepalivedValidation =
  { ok: true; warnings: string[] } | { ok: false; code: number; message: string };

export interface KeepalivedValidateOptions {
  /** Default /usr/sbin/keepalived. */
  bin?: string | undefined;
  /**
   * Validate on a machine that lacks the node's interface (the Berth server): adds
   * `dynamic_interfaces` to the copy that is checked, so only "Non-existent interface" is let
   * through. The node's agent checks the exact text.
   */
  interfaceMayBeMissing?: boolean | undefined;
}

/**
 * Checks a keepalived.conf with `keepalived -t -f FILE` in a private scratch directory. keepalived
 * 2.2.7 exits 0 for a good file (printing nothing), 5 for configuration errors and 6 when scripts
 * are configured without script security; messages go to stderr as "(FILE: Line N) text"
 * (runtime-notes, keepalived). The scratch path is replaced by `keepalived.conf` in messages.
 */
export async function validateKeepalived(
  text: string,
  opts: KeepalivedValidateOptions = {},
): Promise<KeepalivedValidation> {
  const bin = opts.bin ?? '/usr/sbin/keepalived';
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-keepalived-'));
  try {
    const file = path.join(dir, 'keepalived.conf');
    const checked = opts.interfaceMayBeMissing
      ? text.replace(/^global_defs \{$/m, 'global_defs {\n  dynamic_interfaces')
      : text;
    await writeFile(file, checked, { mode: 0o600 });
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(bin, ['-t', '-f', file], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, _out, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stderr: err && !stderr ? err.message : stderr });
      });
    });
    const lines = r.stderr
      .split('\n')
      .map((l) => l.split(file).join('keepalived.conf').trimEnd())
      .filter((l) => l !== '');
    if (r.code === 0) return { ok: true, warnings: lines };
    return {
      ok: false,
      code: r.code,
      message: lines.join('\n') || `keepalived -t exited with code ${r.code}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let notifySource: string | null = null;

/** The notify script (keepalived/berth-vrrp-notify in this package), for the agent to install 0755. */
export function vrrpNotifyScript(): string {
  notifySource ??= readFileSync(new URL('../keepalived/berth-vrrp-notify', import.meta.url), 'utf8');
  return notifySource;
}

/**
 * Why keepalived (script security on, scripts run as root) would refuse to run a script, or null:
 * the file and every directory above it must be owned by root, not writable by a group other than
 * root's, and not writable by others (a sticky directory such as /tmp excepted). keepalived -t
 * checks this for vrrp_script but not for notify scripts, which it would silently skip at run
 * time; the agent checks the notify script with this after installing it.
 */
export async function scriptSecurityProblem(file: string): Promise<string | null> {
  const abs = path.resolve(file);
  const parts = abs.split('/').filter(Boolean);
  const chain = [
    abs,
    ...parts.slice(0, -1).map((_p, i) => `/${parts.slice(0, parts.length - 1 - i).join('/')}`),
    '/',
  ];
  for (const p of chain) {
    const st = await stat(p).catch(() => null);
    if (!st) return `${p} does not exist`;
    const dir = st.isDirectory();
    if (p === abs && (!st.isFile() || (st.mode & 0o100) === 0)) return `${p} is not an executable file`;
    if (st.uid !== 0)
      return `${p} is owned by uid ${st.uid}, not root: that user could change what keepalived runs as root`;
    if (st.gid !== 0 && st.mode & 0o020) return `${p} is writable by group ${st.gid}`;
    if (st.mode & 0o002 && !(dir && st.mode & 0o1000)) return `${p} is writable by everyone`;
  }
  return null;
}

/**
 * Installs the notify script at `dest` (mode 0755, replaced atomically) and checks that keepalived
 * will run it; throws with the reason otherwise.
 */
export async function installVrrpNotifyScript(dest: string): Promise<void> {
  const tmp = `${dest}.next`;
  await writeFile(tmp, vrrpNotifyScript(), { mode: 0o755 });
  await chmod(tmp, 0o755);
  await rename(tmp, dest);
  const problem = await scriptSecurityProblem(dest);
  if (problem) throw new Error(`keepalived would not run the notify script ${dest}: ${problem}`);
}

/** A node's VRRP state as the notify script wrote it; holdsVip when MASTER. */
export interface VrrpStateReport {
  instance: string;
  state: VrrpState;
  priority: number;
  /** RFC 3339 time of the transition. */
  at: string;
  holdsVip: boolean;
}

/** Parses a state file's text; null when it is missing, partial or not the notify script's. */
export function parseVrrpState(text: string): VrrpStateReport | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const states: VrrpState[] = ['MASTER', 'BACKUP', 'FAULT', 'STOP', 'DELETED'];
  if (
    typeof o.instance !== 'string' ||
    !/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(o.instance) ||
    !states.includes(o.state as VrrpState) ||
    typeof o.priority !== 'number' ||
    !Number.isSafeInteger(o.priority) ||
    typeof o.at !== 'string' ||
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(o.at)
  ) {
    return null;
  }
  const state = o.state as VrrpState;
  return { instance: o.instance, state, priority: o.priority, at: o.at, holdsVip: state === 'MASTER' };
}

/** Reads a node's state file (the agent's side); null when keepalived has not written it yet. */
export async function readVrrpState(stateFile: string): Promise<VrrpStateReport | null> {
  const text = await readFile(stateFile, 'utf8').catch(() => null);
  return text === null ? null : parseVrrpState(text);
}
