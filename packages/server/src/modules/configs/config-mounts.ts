/**
 * Configs in containers (docs/configs.md): the config kind of `spec.mounts` (a MountSource),
 * the engine volumes that carry a config's files to every cluster, a new version's refresh of the
 * consumers, and the clean-up of volumes nothing needs.
 *
 * - A mount with refresh `rolling-restart` or `none` mounts the volume of its config version,
 *   `berth-config-<id>-v<N>`, one per cluster, filled once, shared by every release that runs it.
 * - A mount with refresh `signal` mounts a volume of its own per service release and path,
 *   `berth-config-live-…`: a new version is written into it in place (a new `..v<N>` directory,
 *   then the `..data` link swapped) and the chosen signal is sent to the release's containers.
 * Every fill goes through the engine (importVolume, a tar stream), never a host path.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { labelKeys, type ContainerEngine, type VolumeMount } from '@berth/engine-api';
import { InvalidError, type Mount } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { Engines } from '../../runtime/engines';
import type { Reconciler } from '../../runtime/controller-host';
import type { MountSource, MountTarget, WorkloadMounts } from '../services/mount-source';
import { ServicesRepository } from '../services/services.repository';
import type { ConfigRow, ConfigsService, RefreshOutcome } from './configs.service';
import { configArchive, servedVersion } from './config-tar';

/** Labels of config volumes. */
export const configLabels = {
  volume: 'berth.config-volume',
  config: 'berth.config',
  version: 'berth.config-version',
  /** `<serviceId>/<release>` on a live (signal) volume. */
  live: 'berth.config-live',
} as const;

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);

export function versionVolumeName(configId: string, version: number): string {
  return `berth-config-${configId}-v${version}`;
}

export function liveVolumeName(serviceId: string, release: number, path: string): string {
  return `berth-config-live-${serviceId}-r${release}-${shortHash(path)}`;
}

/** A new release of a service with the running spec (ServicesService.renew). */
export type Renew = (
  serviceId: string,
  reason: string,
  actor: string,
) => Promise<{ release: number; task: string } | null>;

export class ConfigMounts implements MountSource {
  /** `cluster\nvolume\nversion` of volumes known to serve that version. */
  private readonly ready = new Set<string>();
  /** One fill at a time per volume and cluster. */
  private readonly filling = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly configs: ConfigsService,
    private readonly engines: Engines,
    private readonly renew: Renew,
    /** A volume younger than this is never collected (a container being created may need it). */
    private readonly minAgeMs = 60_000,
  ) {}

  /** 400 at `spec.mounts.N.config` (or `.version`) when the config (version) is not the project's. */
  async check(project: string, _env: string, mounts: Mount[]): Promise<void> {
    for (const [i, m] of mounts.entries()) {
      if (m.config === undefined) continue;
      const row = await this.configs.find(project, m.config);
      if (!row)
        throw new InvalidError(
          `spec.mounts.${i}.config: config '${m.config}' does not exist in project '${project}'; create it first (berth configs create ${m.config} --from-file …).`,
          [
            {
              path: `spec.mounts.${i}.config`,
              message: `config '${m.config}' does not exist in project '${project}'`,
            },
          ],
        );
      if (m.version !== undefined && m.version > row.version)
        throw new InvalidError(
          `spec.mounts.${i}.version: config '${m.config}' has versions 1 to ${row.version}, not ${m.version}.`,
          [{ path: `spec.mounts.${i}.version`, message: `config '${m.config}' has no version ${m.version}` }],
        );
    }
  }

  /** Records the version each config mount of the new release runs: its own, else the current one. */
  async pin(target: Omit<MountTarget, 'cluster'>, mounts: Mount[]): Promise<void> {
    for (const m of mounts) {
      if (m.config === undefined) continue;
      const row = await this.configs.find(target.project, m.config);
      if (!row) continue;
      await this.writePin(target.serviceId, target.release, m.path, row.id, m.version ?? row.version);
    }
  }

  private async writePin(
    serviceId: string,
    release: number,
    path: string,
    configId: string,
    version: number,
  ) {
    await this.ctx.db
      .insertInto('config_pins')
      .values({ service_id: serviceId, release, path, config_id: configId, version })
      .onConflict((oc) =>
        oc.columns(['service_id', 'release', 'path']).doUpdateSet({ config_id: configId, version }),
      )
      .execute();
  }

  /** The version a release's mount runs: its pin, else (no pin yet) what pin() would record. */
  private async pinned(target: MountTarget, m: Mount): Promise<{ row: ConfigRow; version: number }> {
    const row = await this.configs.find(target.project, m.config!);
    if (!row)
      throw new InvalidError(
        `config '${m.config}' mounted at ${m.path} no longer exists in project '${target.project}'.`,
      );
    const pin = await this.ctx.db
      .selectFrom('config_pins')
      .select(['config_id', 'version'])
      .where('service_id', '=', target.serviceId)
      .where('release', '=', target.release)
      .where('path', '=', m.path)
      .executeTakeFirst();
    if (pin && pin.config_id === row.id) return { row, version: pin.version };
    const version = m.version ?? row.version;
    await this.writePin(target.serviceId, target.release, m.path, row.id, version);
    return { row, version };
  }

  async resolve(target: MountTarget, mounts: Mount[], engine: ContainerEngine): Promise<VolumeMount[]> {
    const out: VolumeMount[] = [];
    for (const m of mounts) {
      if (m.config === undefined) continue;
      const { row, version } = await this.pinned(target, m);
      const live = m.refresh === 'signal';
      const name = live
        ? liveVolumeName(target.serviceId, target.release, m.path)
        : versionVolumeName(row.id, version);
      const labels: Record<string, string> = {
        [labelKeys.instance]: this.ctx.config.instanceId,
        [labelKeys.project]: target.project,
        [labelKeys.cluster]: target.cluster,
        [configLabels.volume]: 'true',
        [configLabels.config]: row.id,
        ...(live
          ? {
              [configLabels.live]: `${target.serviceId}/${target.release}`,
              [labelKeys.service]: target.serviceId,
            }
          : { [configLabels.version]: String(version) }),
      };
      await this.ensure(engine, name, labels, row, version);
      out.push({ name, destination: m.path, readOnly: true });
    }
    return out;
  }

  /**
   * The config mounts of a release on a workload cluster (Kubernetes): the files of each pinned
   * version, which the engine turns into one ConfigMap per version. A new version the release
   * follows changes the files, so the pod template's config checksum, so Kubernetes rolls it.
   */
  async workload(target: MountTarget, mounts: Mount[]): Promise<WorkloadMounts> {
    const configs: WorkloadMounts['configs'] = [];
    for (const m of mounts) {
      if (m.config === undefined) continue;
      const { row, version } = await this.pinned(target, m);
      const files = await this.configs.filesOf(row.id, version);
      if (!files)
        throw new InvalidError(
          `version ${version} of config '${row.name}' (mounted at ${m.path}) does not exist.`,
        );
      configs.push({ config: row.name, version, path: m.path, files });
    }
    return { configs, volumes: [] };
  }

  /**
   * Makes `name` on `engine` serve `version` of the config: created when missing, checked once per
   * process (its `..data` link, read through an export), filled when it serves another version.
   */
  private async ensure(
    engine: ContainerEngine,
    name: string,
    labels: Record<string, string>,
    row: ConfigRow,
    version: number,
  ): Promise<void> {
    const key = `${engine.cluster}\n${name}\n${version}`;
    if (this.ready.has(key)) return;
    const lock = `${engine.cluster}\n${name}`;
    for (;;) {
      const running = this.filling.get(lock);
      if (!running) break;
      await running.catch(() => undefined);
      if (this.ready.has(key)) return;
    }
    const work = (async () => {
      if (!engine.createVolume || !engine.importVolume || !engine.inspectVolume)
        throw new InvalidError(
          `cluster ${engine.cluster}'s engine cannot hold config files (no volume support).`,
        );
      const existing = await engine.inspectVolume(name);
      if (existing && engine.exportVolume) {
        const chunks: Buffer[] = [];
        for await (const chunk of (await engine.exportVolume(name)) as AsyncIterable<Buffer>)
          chunks.push(chunk);
        if (servedVersion(Buffer.concat(chunks)) === version) return;
      }
      if (!existing) await engine.createVolume({ name, labels });
      const files = await this.configs.filesOf(row.id, version);
      if (!files) throw new InvalidError(`version ${version} of config '${row.name}' does not exist.`);
      await engine.importVolume(name, Readable.from([configArchive(files, version)]));
    })();
    this.filling.set(lock, work);
    try {
      await work;
      for (const k of this.ready) if (k.startsWith(`${lock}\n`)) this.ready.delete(k);
      this.ready.add(key);
    } finally {
      if (this.filling.get(lock) === work) this.filling.delete(lock);
    }
  }

  /**
   * A new version of a config: every service whose current release mounts it without a version of
   * its own reacts — `rolling-restart` (any such mount) makes a new release, `signal` writes the
   * files into the running containers' volume and signals them, `none` only moves the release's
   * pin (new containers get the new files).
   */
  async refresh(config: ConfigRow, version: number, actor: string): Promise<RefreshOutcome[]> {
    const rows = await this.ctx.db
      .selectFrom('services')
      .innerJoin('releases', (j) =>
        j.onRef('releases.service_id', '=', 'services.id').onRef('releases.number', '=', 'services.release'),
      )
      .select(['services.id', 'services.env', 'services.name', 'services.release', 'releases.spec'])
      .where('services.project', '=', config.project)
      .where('services.deleting', '=', 0)
      .where('releases.spec', 'like', `%"config":"${config.name}"%`)
      .execute();
    const out: RefreshOutcome[] = [];
    for (const svc of rows) {
      const spec = JSON.parse(svc.spec) as { mounts?: Mount[] };
      const following = (spec.mounts ?? []).filter(
        (m) => m.config === config.name && m.version === undefined,
      );
      if (!following.length) continue;
      const reason = `config ${config.name} version ${version}`;
      try {
        if (following.some((m) => (m.refresh ?? 'rolling-restart') === 'rolling-restart')) {
          const renewed = await this.renew(svc.id, reason, actor);
          out.push({
            env: svc.env,
            service: svc.name,
            refresh: 'rolling-restart',
            release: renewed?.release ?? null,
            task: renewed?.task ?? null,
          });
          continue;
        }
        for (const m of following) await this.writePin(svc.id, svc.release, m.path, config.id, version);
        const signals = following.filter((m) => m.refresh === 'signal');
        const signalled = signals.length
          ? await this.signalRefresh({ ...svc, project: config.project }, signals)
          : 0;
        out.push({
          env: svc.env,
          service: svc.name,
          refresh: signals.length ? 'signal' : 'none',
          release: svc.release,
          ...(signals.length ? { signalled } : {}),
        });
        await this.event(
          svc.id,
          signals.length ? 'ConfigRefreshed' : 'ConfigPinned',
          signals.length
            ? `${reason} written into release ${svc.release}'s containers, ${signalled} signalled`
            : `${reason}: new containers of release ${svc.release} get it (refresh none)`,
        );
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        out.push({
          env: svc.env,
          service: svc.name,
          refresh: following[0]!.refresh ?? 'rolling-restart',
          release: null,
          error,
        });
        await this.event(svc.id, 'ConfigRefreshFailed', `${reason}: ${error}`, true);
      }
    }
    return out;
  }

  private async event(serviceId: string, type: string, message: string, warning = false): Promise<void> {
    await new ServicesRepository(this.ctx.db)
      .addEvent(serviceId, type, message, { severity: warning ? 'warning' : 'normal' })
      .catch(() => undefined);
  }

  /** Writes the version into the release's live volumes on each cluster, then signals its running containers. */
  private async signalRefresh(
    svc: { id: string; name: string; env: string; release: number; project: string },
    mounts: Mount[],
  ): Promise<number> {
    const containers = await this.ctx.db
      .selectFrom('containers')
      .select(['name', 'engine_id', 'cluster'])
      .where('service_id', '=', svc.id)
      .where('release', '=', svc.release)
      .where('state', 'in', ['running', 'ready'])
      .execute();
    const clusters = [...new Set(containers.map((c) => c.cluster))];
    let signalled = 0;
    for (const cluster of clusters) {
      const engine = await this.engines.get(cluster);
      const target: MountTarget = {
        project: svc.project,
        env: svc.env,
        serviceId: svc.id,
        service: svc.name,
        cluster,
        release: svc.release,
      };
      await this.resolve(target, mounts, engine);
      const sigs = [...new Set(mounts.map((m) => m.signal ?? 'SIGHUP'))];
      for (const c of containers.filter((x) => x.cluster === cluster)) {
        if (!engine.signalContainer)
          throw new InvalidError(
            `cluster ${cluster}'s engine cannot signal containers; use refresh "rolling-restart".`,
          );
        for (const sig of sigs) await engine.signalContainer(c.engine_id ?? c.name, sig);
        signalled += 1;
      }
    }
    return signalled;
  }

  /**
   * Removes the config volumes no service's current release and no release with a container in
   * the ledger needs (older than a minute, so a container being created still finds its volume);
   * the engine refuses a volume a container uses, and that one is tried again on a later pass.
   */
  async collect(): Promise<number> {
    const needed = new Set<string>();
    const pins = await this.ctx.db
      .selectFrom('config_pins')
      .innerJoin('services', 'services.id', 'config_pins.service_id')
      .select([
        'config_pins.config_id',
        'config_pins.version',
        'config_pins.service_id',
        'config_pins.release',
        'config_pins.path',
      ])
      .whereRef('services.release', '=', 'config_pins.release')
      .where('services.deleting', '=', 0)
      .execute();
    // and every release that still has a container in the ledger (a canary, one being created or
    // drained): its next container must find its volume
    const withContainers = await this.ctx.db
      .selectFrom('config_pins')
      .innerJoin('containers', (j) =>
        j
          .onRef('containers.service_id', '=', 'config_pins.service_id')
          .onRef('containers.release', '=', 'config_pins.release'),
      )
      .select([
        'config_pins.config_id',
        'config_pins.version',
        'config_pins.service_id',
        'config_pins.release',
        'config_pins.path',
      ])
      .where('containers.state', 'not in', ['exited', 'removed'])
      .execute();
    for (const p of [...pins, ...withContainers]) {
      needed.add(versionVolumeName(p.config_id, p.version));
      needed.add(liveVolumeName(p.service_id, p.release, p.path));
    }
    let removed = 0;
    for (const cluster of await this.engines.clusters()) {
      const engine = await this.engines.get(cluster).catch(() => null);
      if (!engine?.listVolumes || !engine.removeVolume) continue;
      const volumes = await engine
        .listVolumes({ [labelKeys.instance]: this.ctx.config.instanceId, [configLabels.volume]: 'true' })
        .catch(() => []);
      for (const v of volumes) {
        // only this instance's config volumes, whatever the engine's label filter did
        if (
          v.labels[labelKeys.instance] !== this.ctx.config.instanceId ||
          v.labels[configLabels.volume] !== 'true'
        )
          continue;
        if (needed.has(v.name) || Date.now() - Date.parse(v.createdAt) < this.minAgeMs) continue;
        if ((await engine.removeVolume(v.name).catch(() => 'in-use')) === 'removed') {
          removed += 1;
          for (const k of this.ready)
            if (k.startsWith(`${engine.cluster}\n${v.name}\n`)) this.ready.delete(k);
        }
      }
    }
    return removed;
  }

  /** The clean-up as a reconciler of the controller host (one pass a minute on the leader). */
  collector(): Reconciler {
    let timer: NodeJS.Timeout | null = null;
    let pass: Promise<unknown> = Promise.resolve();
    return {
      start: () => {
        timer = setInterval(() => {
          pass = this.collect().catch((err: unknown) =>
            this.ctx.log.warn({ err }, 'config volume clean-up failed'),
          );
        }, 60_000);
        timer.unref();
      },
      stop: async () => {
        if (timer) clearInterval(timer);
        timer = null;
        await pass;
      },
    };
  }
}
