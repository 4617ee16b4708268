/**
 * The toolbox image of debug containers (docs/debug.md): static busybox plus network and process
 * tools taken from this host's Debian packages (curl, dig, ip, ss, tcpdump, strace, ps, …) with
 * the shared libraries `ldd` lists, built on a cluster's engine from a tar context the first
 * time a debug container there needs it. No registry and no network: everything comes from the
 * host (scripts/setup-host.sh installs the packages).
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ContainerEngine } from '@berth/engine-api';
import { UnavailableError } from '@berth/shared';
import { buildDir } from '../codeflow/build-context';

const run = promisify(execFile);

/** Bump when the tool set changes: clusters then build the new version on first use. */
export const toolboxImage = 'localhost/berth-toolbox:1';

/** The tools copied from the host, by command name; a missing one is left out (and logged). */
export const toolboxTools = [
  'curl',
  'dig',
  'host',
  'nslookup',
  'ip',
  'ss',
  'tcpdump',
  'strace',
  'ps',
  'top',
  'pgrep',
  'pkill',
  'free',
  'lsof',
];

const searchPath = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** Loaded at run time (name resolution), so ldd does not list them. */
const nssLibs = ['libnss_dns.so.2', 'libnss_files.so.2', 'libresolv.so.2'];
const etcFiles = ['/etc/services', '/etc/protocols', '/etc/ssl/certs/ca-certificates.crt'];

const passwd = `root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
`;
const group = `root:x:0:
nobody:x:65534:
app:x:1000:
`;

function which(name: string): string | null {
  for (const dir of searchPath) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

async function isStatic(file: string): Promise<boolean> {
  try {
    await run('ldd', [file]);
    return false;
  } catch {
    return true;
  }
}

async function sharedLibs(file: string): Promise<string[]> {
  const { stdout } = await run('ldd', [file]);
  return [...stdout.matchAll(/(\/[^\s)]+)/g)].map((m) => m[1]!);
}

/** A copy of `file` at the same path under `root` (symlinks followed). */
function place(root: string, file: string, as = file): void {
  const dest = path.join(root, as);
  mkdirSync(path.dirname(dest), { recursive: true });
  copyFileSync(file, dest);
}

/** Lays out the toolbox's root filesystem and Containerfile in `dir`; returns the tools included. */
export async function toolboxContext(dir: string): Promise<{ tools: string[]; missing: string[] }> {
  const root = path.join(dir, 'rootfs');
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox || !(await isStatic(busybox)))
    throw new UnavailableError(
      'The toolbox image needs the static busybox of Debian package busybox-static on the Berth host (scripts/setup-host.sh installs it).',
    );
  for (const d of ['bin', 'usr/bin', 'etc', 'tmp', 'root', 'home/app'])
    mkdirSync(path.join(root, d), { recursive: true });
  place(root, busybox, '/bin/busybox');
  chmodSync(path.join(root, 'bin/busybox'), 0o755);
  const { stdout } = await run(busybox, ['--list']);
  for (const applet of stdout.split('\n').map((s) => s.trim())) {
    if (applet && applet !== 'busybox') symlinkSync('busybox', path.join(root, 'bin', applet));
  }
  const tools: string[] = [];
  const missing: string[] = [];
  const libs = new Set<string>();
  for (const name of toolboxTools) {
    const file = which(name);
    // busybox's own applet (e.g. nc) stays when the host has no real one
    if (!file || file.endsWith('/busybox')) {
      missing.push(name);
      continue;
    }
    // Debian tools go to /usr/bin, which comes before busybox's /bin on PATH
    place(root, file, path.join('/usr/bin', name));
    chmodSync(path.join(root, 'usr/bin', name), 0o755);
    for (const lib of await sharedLibs(file)) libs.add(lib);
    tools.push(name);
  }
  const libdir = '/lib/x86_64-linux-gnu';
  for (const lib of nssLibs) if (existsSync(path.join(libdir, lib))) libs.add(path.join(libdir, lib));
  for (const lib of libs) place(root, lib);
  for (const f of etcFiles) if (existsSync(f)) place(root, f);
  writeFileSync(path.join(root, 'etc/passwd'), passwd);
  writeFileSync(path.join(root, 'etc/group'), group);
  writeFileSync(path.join(root, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  chmodSync(path.join(root, 'tmp'), 0o1777);
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY rootfs/ /',
      'ENV PATH=/usr/bin:/bin',
      `LABEL berth.toolbox.tools="${tools.join(' ')}"`,
      'CMD ["/bin/sh"]',
      '',
    ].join('\n'),
  );
  return { tools, missing };
}

/**
 * Makes sure each cluster has the toolbox image: built there once on first use; concurrent
 * callers for one cluster wait on the same build.
 */
export class Toolbox {
  private readonly building = new Map<string, Promise<void>>();

  constructor(
    private readonly log: { info(o: object, msg: string): void; warn(o: object, msg: string): void },
    /** The toolbox as a registry reference, for clusters that cannot build (config.debugToolboxImage). */
    private readonly pulled: string | null = null,
  ) {}

  async ensure(engine: ContainerEngine): Promise<string> {
    // a cluster that builds nothing (Kubernetes) pulls the configured toolbox itself
    if (!engine.buildImage && this.pulled) return this.pulled;
    if (await engine.inspectImage(toolboxImage)) return toolboxImage;
    let build = this.building.get(engine.cluster);
    if (!build) {
      build = this.build(engine).finally(() => this.building.delete(engine.cluster));
      this.building.set(engine.cluster, build);
    }
    await build;
    return toolboxImage;
  }

  private async build(engine: ContainerEngine): Promise<void> {
    if (!engine.buildImage)
      throw new UnavailableError(
        `Cluster '${engine.cluster}' cannot build images, so it has no toolbox image; pass an image for the debug container, or have the operator set BERTH_DEBUG_TOOLBOX_IMAGE to a toolbox image the cluster can pull (docs/debug.md).`,
      );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-toolbox-'));
    try {
      const { tools, missing } = await toolboxContext(dir);
      if (missing.length)
        this.log.warn({ missing }, 'toolbox image: these tools are not on the host and are left out');
      await buildDir(engine, dir, { tag: toolboxImage, labels: { 'berth.toolbox': '1' } }, () => undefined);
      this.log.info({ cluster: engine.cluster, tools }, `built ${toolboxImage}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
