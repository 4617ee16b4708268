/**
 * The app store's images (docs/apps.md "Images"): built from Debian packages by
 * scripts/app-images.sh (run through execFile with argv, never a shell string), pushed to the
 * embedded registry as `berth-apps/<name>:<tag>` and made public there, so every project's
 * services pull them as they pull codeflow's images. One build runs at a time, as a task
 * (`apps.images.build`); an install whose image is missing joins the running build or starts
 * one, and waits in the state `preparing`.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerEngine } from '@berth/engine-api';
import {
  ConflictError,
  InvalidError,
  embeddedRegistryName,
  type AppImageStatus,
  type AppImagesView,
  type AppInstancePreparation,
  type Task,
} from '@berth/shared';
import type { AppContext } from '../../http/context';
import { nowIso } from '../../util';
import { RegistryClient, embeddedBearer, tokensOfConfig } from '../registry/registry.module';
import { RegistryAccess } from '../registry/registry-access';
import type { TaskRepository } from '../tasks/tasks.repository';
import { templates } from './templates';

const scriptsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../scripts');
/** The script that builds the images; its list of buildable names is `buildableImages`. */
export const appImagesScript = path.join(scriptsDir, 'app-images.sh');
/** The images scripts/app-images.sh knows how to build (its `image` table). */
export const buildableImages = ['redis', 'mariadb', 'zookeeper'] as const;
/** How templates name the catalog's images: the default local prefix, whatever is configured. */
const templatePrefix = 'localhost/berth-apps/';
/** The embedded registry's repository prefix of the catalog's images. */
const registryRepoPrefix = 'berth-apps';
/** The task's target: platform-wide, read by platform admins. */
const taskTarget = '_apps/images';

/** A catalog image: `redis` at tag `7`, run by the apps in `apps`. */
interface CatalogImage {
  name: string;
  tag: string;
  apps: string[];
}

interface Build {
  /** The task row, once written. */
  created: Promise<Task>;
  taskId: string | null;
  names: string[];
  /** Resolves when the build ended; rejects with the reason it failed. */
  done: Promise<void>;
}

/** `localhost/berth-apps/redis:7` → `{name: redis, tag: 7}`; null for any other image. */
export function catalogImageOf(image: string): { name: string; tag: string } | null {
  if (!image.startsWith(templatePrefix)) return null;
  const m = /^([a-z0-9][a-z0-9._-]*):([A-Za-z0-9._-]+)$/.exec(image.slice(templatePrefix.length));
  return m ? { name: m[1]!, tag: m[2]! } : null;
}

export class AppImages {
  private running: Build | null = null;
  /** Image name → digest in the embedded registry, from the last look (refresh). */
  private readonly inRegistry = new Map<string, string>();
  private readonly pushedAt = new Map<string, string>();
  /** Instances waiting for a build (or whose build failed), by instance id. */
  private readonly preparations = new Map<string, AppInstancePreparation>();

  constructor(
    private readonly ctx: AppContext,
    private readonly tasks: TaskRepository,
    private readonly engine: ContainerEngine,
  ) {}

  // ---- names ---------------------------------------------------------------------------------

  /** Every catalog image built here, once, with the apps that run it. */
  catalog(): CatalogImage[] {
    const byName = new Map<string, CatalogImage>();
    for (const t of templates)
      for (const v of t.versions) {
        const img = catalogImageOf(v.image);
        if (!img) continue;
        const entry = byName.get(img.name) ?? { ...img, apps: [] };
        if (!entry.apps.includes(t.name)) entry.apps.push(t.name);
        byName.set(img.name, entry);
      }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  localImage(img: { name: string; tag: string }): string {
    return `${this.ctx.config.appImages.prefix}/${img.name}:${img.tag}`;
  }

  registryImage(img: { name: string; tag: string }): string | null {
    const registry = this.ctx.config.registryListen;
    return registry ? `${registry}/${registryRepoPrefix}/${img.name}:${img.tag}` : null;
  }

  /**
   * The image a template's service runs: the registry's copy when it is there (as of the last
   * refresh), else the local store's. Other images are left alone.
   */
  resolve(image: string): string {
    const img = catalogImageOf(image);
    if (!img) return image;
    return this.inRegistry.has(img.name) ? this.registryImage(img)! : this.localImage(img);
  }

  /** Whether `image` is a catalog image in the embedded registry (admission: public there). */
  registryRepository(image: string): string | null {
    const registry = this.ctx.config.registryListen;
    if (!registry || !image.startsWith(`${registry}/${registryRepoPrefix}/`)) return null;
    return image.slice(registry.length + 1).replace(/:[^/]*$/, '');
  }

  // ---- where they are ------------------------------------------------------------------------

  private client(): RegistryClient | null {
    const registry = this.ctx.config.registryListen;
    if (!registry) return null;
    return new RegistryClient({ url: `http://${registry}`, bearer: embeddedBearer(this.ctx.config) });
  }

  /** Looks each catalog image up in the embedded registry (an unreachable registry has none). */
  async refresh(): Promise<void> {
    const client = this.client();
    await Promise.all(
      this.catalog().map(async (img) => {
        const head = client
          ? await client.headManifest(`${registryRepoPrefix}/${img.name}`, img.tag).catch(() => null)
          : null;
        if (head) this.inRegistry.set(img.name, head.digest);
        else this.inRegistry.delete(img.name);
      }),
    );
  }

  async status(): Promise<AppImagesView> {
    await this.refresh();
    const items: AppImageStatus[] = [];
    for (const img of this.catalog()) {
      const local = await this.engine.inspectImage(this.localImage(img)).catch(() => null);
      const digest = this.inRegistry.get(img.name) ?? null;
      items.push({
        name: img.name,
        apps: img.apps,
        localImage: this.localImage(img),
        registryImage: this.registryImage(img),
        state: this.running?.names.includes(img.name)
          ? 'building'
          : digest
            ? 'registry'
            : local
              ? 'local'
              : 'missing',
        digest,
        pushedAt: this.pushedAt.get(img.name) ?? null,
      });
    }
    return { items, buildTask: this.running?.taskId ?? null };
  }

  /**
   * The catalog images among `images` (services' resolved images) that are neither in the
   * registry nor in the local store, and that the script can build: those an install waits for.
   */
  async missing(images: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const img of this.catalog()) {
      const local = this.localImage(img);
      if (!images.includes(local) || !(buildableImages as readonly string[]).includes(img.name)) continue;
      if (!(await this.engine.inspectImage(local).catch(() => null))) out.push(img.name);
    }
    return out;
  }

  // ---- building ------------------------------------------------------------------------------

  /**
   * POST /api/v1/apps/images/build: the images of `apps` (catalog app names; 422 at `apps.N`
   * for one that is not in the catalog or runs no image built here), all of them when absent.
   * 409 naming the task while another build runs.
   */
  async start(apps: string[] | undefined, actor: string): Promise<Task> {
    const catalog = this.catalog();
    const names = new Set<string>();
    const issues: { path: string; message: string }[] = [];
    for (const [i, app] of (apps ?? []).entries()) {
      const imgs = catalog.filter(
        (c) => c.apps.includes(app) && (buildableImages as readonly string[]).includes(c.name),
      );
      if (imgs.length === 0)
        issues.push({
          path: `apps.${i}`,
          message: templates.some((t) => t.name === app)
            ? `${app} runs no image built by Berth (its image comes from the configuration)`
            : `must be one of ${catalog.flatMap((c) => c.apps).join(', ')}`,
        });
      for (const c of imgs) names.add(c.name);
    }
    if (issues.length > 0)
      throw new InvalidError(
        `Cannot build the images of ${issues.map((x) => x.path).join(', ')}: ${issues.map((x) => x.message).join('; ')}.`,
        issues,
        'UNPROCESSABLE',
      );
    if (!apps) for (const c of catalog) names.add(c.name);
    if (this.running)
      throw new ConflictError(
        `An app image build is already running (task ${this.running.taskId}); follow it with GET /api/v1/tasks/${this.running.taskId}, then build again.`,
        { task: this.running.taskId },
      );
    return this.begin(
      [...names].filter((n) => (buildableImages as readonly string[]).includes(n)),
      actor,
    ).created;
  }

  /**
   * An install's wait: joins the running build when it makes every image needed, otherwise
   * waits for it to end and starts one for what is still missing. Resolves with the task once
   * the images are there; rejects with the build's error and task.
   */
  async ensure(names: string[], actor: string, onTask: (task: string) => void): Promise<void> {
    for (;;) {
      const current = this.running;
      if (current) {
        const task = await current.created;
        onTask(task.id);
        const covers = names.every((n) => current.names.includes(n));
        const failed = await current.done.then(
          () => null,
          (err: unknown) => err,
        );
        if (!covers) continue;
        if (failed) throw new BuildFailed(task.id, failed);
        return;
      }
      const still = await this.missing(names.map((n) => this.localImage(this.imageOf(n))));
      if (still.length === 0) return;
      const build = this.begin(still, actor);
      const task = await build.created;
      onTask(task.id);
      const failed = await build.done.then(
        () => null,
        (err: unknown) => err,
      );
      if (failed) throw new BuildFailed(task.id, failed);
      return;
    }
  }

  private imageOf(name: string): CatalogImage {
    return this.catalog().find((c) => c.name === name) ?? { name, tag: '', apps: [] };
  }

  /** Claims the single build slot at once (before the task row exists), then runs the build. */
  private begin(names: string[], actor: string): Build {
    const created = this.tasks.create({
      kind: 'apps.images.build',
      target: taskTarget,
      serviceId: null,
      createdBy: actor,
      total: names.length * 2,
      message: `building ${names.join(', ')}`,
    });
    const build: Build = {
      created,
      taskId: null,
      names,
      done: created
        .then((task) => {
          build.taskId = task.id;
          return this.run(task.id, names);
        })
        .finally(() => {
          if (this.running === build) this.running = null;
        }),
    };
    // a failure is reported by the task and to those who wait; nobody waiting is no crash
    build.done.catch(() => undefined);
    this.running = build;
    return build;
  }

  private async run(id: string, names: string[]): Promise<void> {
    const total = names.length * 2;
    try {
      await this.tasks.progress(id, 0, total, `building ${names.join(', ')}`);
      await this.script(id, names);
      let done = names.length;
      for (const name of names) {
        await this.tasks.progress(id, done, total, `pushing ${name}`);
        await this.push(id, this.imageOf(name));
        done += 1;
      }
      await this.tasks.progress(id, total, total, 'done');
      await this.tasks.finish(id, 'succeeded', `built ${names.join(', ')}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.ctx.log.error({ err }, 'apps: building the app images failed');
      await this.tasks
        .finish(id, 'failed', 'the app image build failed', message.slice(0, 2000))
        .catch(() => undefined);
      throw err;
    }
  }

  /** Runs scripts/app-images.sh --rebuild NAME… with argv; every output line goes to the task log. */
  private script(id: string, names: string[]): Promise<void> {
    const { prefix, base, dir } = this.ctx.config.appImages;
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_APP_IMAGES_PREFIX: prefix };
    if (base) env.BERTH_APP_IMAGES_BASE = base;
    if (dir) env.BERTH_APP_IMAGES_DIR = dir;
    const child = spawn('bash', [appImagesScript, '--rebuild', ...names], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const logs: Promise<void>[] = [];
    for (const stream of [child.stdout, child.stderr])
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 5) tail.shift();
        logs.push(this.tasks.log(id, line.slice(0, 2000)).catch(() => undefined));
      });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        void Promise.all(logs).then(() =>
          code === 0
            ? resolve()
            : reject(new Error(`scripts/app-images.sh exited ${code}: ${tail.slice(-2).join(' ')}`)),
        );
      });
    });
  }

  /**
   * Pushes a built image to the embedded registry with a credential for that repository alone
   * (as codeflow pushes), and makes the repository public there so every project may pull it.
   */
  private async push(id: string, img: CatalogImage): Promise<void> {
    const destination = this.registryImage(img);
    if (!destination || !this.engine.pushImage) {
      await this.tasks.log(id, `${img.name}: no embedded registry; the image stays in the local store`);
      return;
    }
    const repository = `${registryRepoPrefix}/${img.name}`;
    const auth = tokensOfConfig(this.ctx.config)?.credential(
      'app-images',
      [{ type: 'repository', name: repository, actions: ['pull', 'push'] }],
      10 * 60,
    );
    await this.tasks.log(id, `pushing ${this.localImage(img)} to ${destination}`);
    await this.engine.pushImage(this.localImage(img), destination, {
      tlsVerify: !/^(127\.|localhost[:]|\[::1\])/.test(destination),
      auth,
    });
    const head = await this.client()?.headManifest(repository, img.tag);
    if (head) this.inRegistry.set(img.name, head.digest);
    this.pushedAt.set(img.name, nowIso());
    const access = new RegistryAccess(this.ctx);
    if (!(await access.isPublic(embeddedRegistryName, repository)))
      await access.addPublic(embeddedRegistryName, repository, 'app-store').catch((err: unknown) => {
        if (!(err instanceof ConflictError)) throw err;
      });
    await this.tasks.log(
      id,
      `pushed ${destination}${head ? ` (${head.digest})` : ''}; public in the registry`,
    );
  }

  // ---- instances waiting -----------------------------------------------------------------------

  /** An instance waiting for its images: `preparing`, or `failed` when the build failed. */
  preparing(
    instanceId: string,
  ): { state: 'preparing' | 'failed'; view: { preparing: AppInstancePreparation } } | undefined {
    const prep = this.preparations.get(instanceId);
    if (!prep) return undefined;
    return { state: prep.error ? 'failed' : 'preparing', view: { preparing: { ...prep } } };
  }

  /**
   * Installs whose images are missing: waits for the build (`preparing`), then `make` creates
   * the instance's objects; a failed build leaves the instance `failed` with its message.
   * Resolves once the build's task is known (the create answer names it).
   */
  prepare(instanceId: string, names: string[], actor: string, make: () => Promise<void>): Promise<void> {
    const prep: AppInstancePreparation = { task: '', error: null };
    this.preparations.set(instanceId, prep);
    return new Promise((known) => {
      void this.ensure(names, actor, (task) => {
        prep.task = task;
        known();
      })
        .then(async () => {
          await this.refresh();
          await make();
          this.preparations.delete(instanceId);
        })
        .catch((err: unknown) => {
          prep.error = err instanceof Error ? err.message : String(err);
          this.ctx.log.warn({ err, instance: instanceId }, 'apps: preparing an instance failed');
        })
        .finally(known);
    });
  }

  /** Forgets an instance's preparation (it was deleted). */
  forget(instanceId: string): void {
    this.preparations.delete(instanceId);
  }
}

/** A build an install waited for failed: the message names the task. */
export class BuildFailed extends Error {
  constructor(task: string, cause: unknown) {
    super(
      `The image build failed (task ${task}, GET /api/v1/tasks/${task}/log): ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'BuildFailed';
  }
}
