/**
 * App instances (docs/apps.md): a template installed into a project environment. The instance
 * makes ORDINARY objects through their modules' services — volumes through the volumes module,
 * services through the services module (so quotas, placement, image admission and the workload
 * rules apply as to any service) — and records here which objects are its own.
 */
import { randomBytes } from 'node:crypto';
import {
  BerthError,
  ConflictError,
  InvalidError,
  NotFoundError,
  resolveAppParams,
  serviceSpecSchema,
  type App,
  type AppConnection,
  type AppInstance,
  type AppInstanceCreate,
  type AppInstanceCreated,
  type AppInstanceDeleted,
  type AppInstanceDetail,
  type AppInstanceMember,
  type AppInstanceState,
  type AppInstanceUpgrade,
  type AppParamValue,
  type AppSummary,
} from '@berth/shared';
import type { AppContext, Actor } from '../../http/context';
import type { SecretBox } from '../../crypto/secret-box';
import { newId, nowIso, parseJson } from '../../util';
import { isUniqueViolation } from '../identity/store-errors';
import { localStoreRegistry, RegistryAccess } from '../registry/registry-access';
import type { ServicesModuleDeps } from '../services/services.module';
import type { ServiceRow } from '../services/services.repository';
import { requireEnvironment } from '../services/services.service';
import type { VolumesService } from '../volumes/volumes.service';
import type { AppsRepository, AppInstanceRow } from './apps.repository';
import type { AppConfigs } from './apps-configs';
import type { AppImages } from './apps-images';
import { setMariadbPasswords } from './apps-mariadb';
import { LeaderRuns } from './leader-runs';
import { appSummary, appView, findTemplate, findVersion, templates } from './templates';
import type { AppTemplate, InstanceObjects, TemplateVersion } from './templates/template';

/** A generated password: 32 URL-safe characters (192 bits), safe in a URI and on a command line. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** The permission that lets a caller read an instance's password (see `passwordReadable`). */
const secretPermission = 'services:exec' as const;

export interface AppsServiceDeps {
  services: ServicesModuleDeps;
  volumes: VolumesService;
  secrets: SecretBox;
  /** The configs templates create (apps-configs.ts). */
  configs: AppConfigs;
  /** The catalog's images: registry or local copy, built on first use (apps-images.ts). */
  images?: AppImages;
}

export class AppsService {
  constructor(
    private readonly ctx: AppContext,
    private readonly repo: AppsRepository,
    private readonly deps: AppsServiceDeps,
  ) {}

  // ---- catalog -------------------------------------------------------------------------------

  listApps(): AppSummary[] {
    return templates.map(appSummary);
  }

  getApp(name: string): App {
    const app = appView(this.template(name, 'NOT_FOUND'));
    // an image from the platform's configuration (Kafka): the catalog shows the one configured
    for (const v of app.versions) if (v.imageSetting) v.image = this.configuredImage(v) ?? '';
    return app;
  }

  /** The image a version with `imageSetting` takes from the configuration, or null when unset. */
  private configuredImage(v: { imageSetting?: string }): string | null {
    if (v.imageSetting === 'BERTH_APPS_KAFKA_IMAGE') return this.ctx.config.appsKafkaImage ?? null;
    return null;
  }

  /** 422 for a version whose image the platform must name and has not (saying how to). */
  private requireImage(t: AppTemplate, v: TemplateVersion): string | undefined {
    if (!v.imageSetting) return undefined;
    const image = this.configuredImage(v);
    if (image) return image;
    throw new BerthError(
      'UNPROCESSABLE',
      `${t.title} has no Debian package: its image comes from the platform's configuration, and none is set. A platform admin sets ${v.imageSetting} (e.g. a mirror of apache/kafka:3.7.0 in the platform's registry) in the server's environment and restarts it (docs/apps.md, "${t.title}").`,
      { fields: [{ path: 'app', message: `${v.imageSetting} is not set` }] },
    );
  }

  private template(name: string, code: 'NOT_FOUND' | 'UNPROCESSABLE'): AppTemplate {
    const t = findTemplate(name);
    if (t) return t;
    const names = templates.map((x) => x.name).join(', ');
    if (code === 'NOT_FOUND')
      throw new NotFoundError('NOT_FOUND', `App '${name}' is not in the catalog; it has: ${names}.`);
    throw new InvalidError(
      `App '${name}' is not in the catalog; use one of: ${names} (GET /api/v1/apps).`,
      [{ path: 'app', message: `must be one of ${names}` }],
      'UNPROCESSABLE',
    );
  }

  private version(t: AppTemplate, version: string): TemplateVersion {
    const v = findVersion(t, version);
    if (v) return v;
    const versions = t.versions.map((x) => x.version).join(', ');
    throw new InvalidError(
      `App '${t.name}' has no version '${version}'; it has: ${versions}.`,
      [{ path: 'version', message: `must be one of ${versions}` }],
      'UNPROCESSABLE',
    );
  }

  // ---- instances -----------------------------------------------------------------------------

  private async checkPlace(project: string, env: string): Promise<void> {
    const p = await this.ctx.db
      .selectFrom('projects')
      .select('name')
      .where('name', '=', project)
      .executeTakeFirst();
    if (!p) throw new NotFoundError('PROJECT_NOT_FOUND', `Project '${project}' does not exist.`);
    await requireEnvironment(this.ctx.db, env);
  }

  private async resolve(project: string, env: string, name: string): Promise<AppInstanceRow> {
    await this.checkPlace(project, env);
    const row = await this.repo.find(project, env, name);
    if (!row)
      throw new NotFoundError(
        'NOT_FOUND',
        `App instance '${name}' does not exist in project '${project}' (env '${env}'); GET /api/v1/projects/${project}/envs/${env}/app-instances lists them.`,
      );
    return row;
  }

  async list(project: string, env: string): Promise<AppInstance[]> {
    await this.checkPlace(project, env);
    const rows = await this.repo.list(project, env);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async get(
    project: string,
    env: string,
    name: string,
    actor: Actor,
    reveal: boolean,
  ): Promise<AppInstanceDetail> {
    const row = await this.resolve(project, env, name);
    return this.detail(row, actor, reveal);
  }

  /**
   * Installs a template: params checked (422 at `params.X`), names checked against the env's
   * services and volumes (409 naming the object), then the volumes and services made through
   * their modules. The password is generated, stored sealed, and returned in this answer only.
   */
  async create(
    project: string,
    env: string,
    req: AppInstanceCreate,
    actor: Actor,
  ): Promise<AppInstanceCreated> {
    await this.checkPlace(project, env);
    const t = this.template(req.app, 'UNPROCESSABLE');
    const v = this.version(t, req.version ?? t.latest);
    const { values, issues } = resolveAppParams(v.parameters, req.params ?? {});
    if (issues.length > 0)
      throw new InvalidError(
        `The parameters of ${t.name} ${v.version} are not valid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
        issues,
        'UNPROCESSABLE',
      );
    const image = this.requireImage(t, v);
    const secrets = {
      ...Object.fromEntries(v.creates.secrets.map((s) => [s, generatePassword()])),
      // values generated once and kept with the secrets (Kafka's cluster id)
      ...Object.fromEntries(Object.entries(v.generated ?? {}).map(([k, make]) => [k, make()])),
    };
    const objects = v.objects({ name: req.name, params: values, secrets, ...(image ? { image } : {}) });
    await this.deps.images?.refresh();
    const specs = this.parseSpecs(objects);
    await this.checkNames(project, env, req.name, objects);
    await this.deps.configs.checkNames(project, env, objects);
    // images not built yet: the instance waits for their build (`preparing`, apps-images.ts)
    const missing = (await this.deps.images?.missing(specs.map((s) => s.image))) ?? [];
    if (missing.length === 0) await this.admitImages(v, specs, actor);

    const now = nowIso();
    const row: AppInstanceRow = {
      id: newId(),
      project,
      env,
      name: req.name,
      app: t.name,
      version: v.version,
      params: JSON.stringify(values),
      services: JSON.stringify(objects.services.map((s) => s.name)),
      volumes: JSON.stringify(objects.volumes.map((x) => x.name)),
      configs: JSON.stringify((objects.configs ?? []).map((c) => c.name)),
      secrets_sealed: this.deps.secrets.seal(JSON.stringify(secrets)),
      password_set_at: now,
      deleting: 0,
      keep_volumes: 0,
      upgrade: null,
      created_at: now,
      created_by: actor.name,
      updated_at: now,
    };
    try {
      await this.repo.insert(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw instanceExists(project, env, req.name);
      throw err;
    }
    if (missing.length > 0)
      await this.deps.images!.prepare(row.id, missing, actor.name, async () => {
        const now = await this.repo.findById(row.id);
        if (!now || now.deleting) return; // deleted while it waited
        const built = this.parseSpecs(objects);
        await this.admitImages(v, built, actor);
        await this.makeObjects(row, objects, built, actor);
      });
    else await this.makeObjects(row, objects, specs, actor);
    const detail = await this.detail(row, actor, false);
    return { ...detail, password: secrets.password ?? '' };
  }

  /** Every spec the template made, as the services module will read it (a template bug is a 500 here). */
  parseSpecs(objects: InstanceObjects) {
    return objects.services.map((s) => {
      const spec = serviceSpecSchema.parse(s.spec);
      // the catalog's image from the embedded registry when it is there (apps-images.ts)
      return this.deps.images ? { ...spec, image: this.deps.images.resolve(spec.image) } : spec;
    });
  }

  /** 409 naming the first object of the env that already has a name the instance would take. */
  private async checkNames(
    project: string,
    env: string,
    name: string,
    objects: InstanceObjects,
  ): Promise<void> {
    if (await this.repo.find(project, env, name)) throw instanceExists(project, env, name);
    for (const s of objects.services)
      if (await this.deps.services.repo.findByPath(project, env, s.name))
        throw new ConflictError(
          `Service '${s.name}' already exists in project '${project}' (env '${env}'); the instance would create a service of that name. Choose another instance name.`,
          { fields: [{ path: 'name', message: `service "${s.name}" exists` }] },
          'ALREADY_EXISTS',
        );
    for (const vol of objects.volumes)
      if (await this.deps.volumes.row(project, env, vol.name))
        throw new ConflictError(
          `Volume '${vol.name}' already exists in project '${project}' (env '${env}'); the instance would create a volume of that name. Choose another instance name, or delete the volume.`,
          { fields: [{ path: 'name', message: `volume "${vol.name}" exists` }] },
          'ALREADY_EXISTS',
        );
  }

  /**
   * The catalog's images are the platform's (built by scripts/app-images.sh into the local store):
   * each must exist before anything is made (422 saying how to build it), and its repository is
   * made public in the local store so every project may run it (the services module admits
   * images by the registry rules; docs/registry.md).
   */
  private async admitImages(v: TemplateVersion, specs: { image: string }[], actor: Actor): Promise<void> {
    const access = new RegistryAccess(this.ctx);
    for (const image of new Set(specs.map((s) => s.image))) {
      // a configured image of a registry (Kafka's mirror) is pulled and admitted as any service's
      if (v.imageSetting && !image.startsWith('localhost/')) continue;
      // the catalog's image in the embedded registry: public there since its push (apps-images.ts)
      if (this.deps.images?.registryRepository(image)) continue;
      if (!(await this.deps.services.engine.inspectImage(image)))
        throw new BerthError(
          'UNPROCESSABLE',
          `Image '${image}' of ${v.image === image ? 'this app version' : 'the app'} is not in the local image store; a platform admin builds it with "scripts/app-images.sh" (docs/apps.md).`,
          { fields: [{ path: 'version', message: `image ${image} is not built` }] },
        );
      const repository = image.replace(/^localhost\//, '').replace(/[:@].*$/, '');
      if (image.startsWith('localhost/') && !(await access.isPublic(localStoreRegistry, repository)))
        await access
          .addPublic(localStoreRegistry, repository, `app-store (${actor.name})`)
          .catch((err: unknown) => {
            // a concurrent install made it public first
            if (!(err instanceof ConflictError)) throw err;
          });
    }
  }

  /**
   * Volumes first (services mount them), then services. When something fails, what was made so
   * far is removed again (services by deletion, whose volumes the finisher removes after them).
   */
  private async makeObjects(
    row: AppInstanceRow,
    objects: InstanceObjects,
    specs: ReturnType<AppsService['parseSpecs']>,
    actor: Actor,
  ): Promise<void> {
    const made = { volumes: [] as string[], services: [] as string[], configs: [] as string[] };
    try {
      for (const vol of objects.volumes) {
        await this.deps.volumes.create(
          row.project,
          row.env,
          { name: vol.name, class: vol.class, sizeMiB: vol.sizeMiB },
          actor.name,
        );
        made.volumes.push(vol.name);
        await this.stopIfDeleted(row, made, actor);
      }
      // configs before the services that mount them (admission checks they exist)
      await this.deps.configs.create(row.project, row.name, objects, actor.name, made.configs);
      for (const [i, s] of objects.services.entries()) {
        await this.deps.services.service.create(
          row.project,
          row.env,
          { name: s.name, spec: specs[i]!, reason: `app instance ${row.name} (${row.app} ${row.version})` },
          actor,
        );
        made.services.push(s.name);
        await this.stopIfDeleted(row, made, actor);
      }
    } catch (err) {
      if (err instanceof DeletedWhileInstalling) throw err;
      await this.undo(row, made, actor).catch((e: unknown) =>
        this.ctx.log.warn({ err: e, instance: row.name }, 'apps: undoing a failed install left objects'),
      );
      throw withParamPaths(err);
    }
  }

  /**
   * A DELETE of the instance while its objects are being made: the delete removed what existed
   * when it ran, so what this install made since would be left behind (a service nobody owns, and
   * a finisher waiting for it). Checked after each object: the install stops, removes the services
   * it made (the finisher then removes the volumes, unless the delete kept them), or, when the
   * finisher already removed the row, the volumes and configs it made too.
   */
  private async stopIfDeleted(
    row: AppInstanceRow,
    made: { volumes: string[]; services: string[]; configs: string[] },
    actor: Actor,
  ): Promise<void> {
    const now = await this.repo.findById(row.id);
    if (now && !now.deleting) return;
    for (const s of made.services) await this.removeService(row, s, actor);
    if (now) this.finishLater(row.id);
    else {
      for (const v of made.volumes)
        await this.deps.volumes.remove(row.project, row.env, v).catch((err: unknown) => {
          if (!(err instanceof NotFoundError)) throw err;
        });
      await this.deps.configs.remove(row.project, made.configs, []);
    }
    throw new DeletedWhileInstalling(row.name);
  }

  private async undo(
    row: AppInstanceRow,
    made: { volumes: string[]; services: string[]; configs: string[] },
    actor: Actor,
  ) {
    if (made.services.length === 0) {
      for (const v of made.volumes) await this.deps.volumes.remove(row.project, row.env, v);
      await this.deps.configs.remove(row.project, made.configs, []);
      await this.repo.remove(row.id);
      return;
    }
    await this.repo.markDeleting(row.id, false);
    for (const s of made.services) await this.removeService(row, s, actor);
    this.finishLater(row.id);
  }

  /**
   * A new password: the member services roll to a release with it (for templates that support
   * it); the new password is in this answer.
   */
  async rotatePassword(
    project: string,
    env: string,
    name: string,
    actor: Actor,
  ): Promise<AppInstanceCreated> {
    const row = await this.resolve(project, env, name);
    if (row.deleting) throw beingDeleted(row);
    if (parseJson<AppInstanceUpgrade | null>(row.upgrade ?? '', null)?.state === 'running')
      throw new ConflictError(`App instance '${row.name}' is being upgraded; rotate when it is running.`);
    const t = this.template(row.app, 'NOT_FOUND');
    const v = this.version(t, row.version);
    if (!v.passwordRotation)
      throw new BerthError(
        'UNPROCESSABLE',
        `${t.title} ${v.version} instances cannot rotate their password through Berth yet (the server keeps it in its data); change it in the server and keep it in your own secret store.`,
      );
    const old = this.openSecrets(row);
    const password = generatePassword();
    const secrets: Record<string, string> = { ...old, password };
    // MariaDB's root password rotates with the user's
    const rootPassword = row.app === 'mariadb' ? generatePassword() : null;
    if (rootPassword) secrets.rootPassword = rootPassword;
    const objects = v.objects({ name: row.name, params: this.params(row), secrets });
    const specs = this.parseSpecs(objects);
    // an instance made before its template had configs: the new specs mount them
    const configs = await this.deps.configs.ensure(project, row.name, objects, actor.name);
    if (configs.length) await this.repo.setConfigs(row.id, JSON.stringify(configs));
    if (rootPassword) {
      // MariaDB keeps its passwords in its data: set them in the server first, keep them at once
      // (the env of the next release only matters to a first start)
      await setMariadbPasswords(
        this.deps.services,
        { project, env, service: objects.services[0]!.name },
        { currentRoot: old.rootPassword ?? '', user: String(this.params(row).user), password, rootPassword },
      );
      await this.repo.setSecrets(row.id, this.deps.secrets.seal(JSON.stringify(secrets)), nowIso());
    }
    for (const [i, s] of objects.services.entries())
      await this.deps.services.service.update(
        { project, env, service: s.name },
        { spec: specs[i]!, reason: `app instance ${row.name}: password rotated` },
        actor,
      );
    const at = nowIso();
    await this.repo.setSecrets(row.id, this.deps.secrets.seal(JSON.stringify(secrets)), at);
    const detail = await this.detail({ ...row, password_set_at: at, secrets_sealed: '' }, actor, false);
    return { ...detail, password };
  }

  /**
   * Deletes the services now (they drain as any deleted service does); the volumes go when the
   * services are gone, unless kept. 202: GET answers state "deleting" until then, then 404.
   */
  async remove(
    project: string,
    env: string,
    name: string,
    keepVolumes: boolean,
    actor: Actor,
  ): Promise<AppInstanceDeleted> {
    const row = await this.resolve(project, env, name);
    const services = parseJson<string[]>(row.services, []);
    const volumes = parseJson<string[]>(row.volumes, []);
    await this.repo.markDeleting(row.id, keepVolumes);
    this.deps.images?.forget(row.id);
    for (const s of services) await this.removeService(row, s, actor);
    this.finishLater(row.id);
    return {
      name,
      servicesDeleted: services,
      volumesDeleted: keepVolumes ? [] : volumes,
      volumesKept: keepVolumes ? volumes : [],
      configsDeleted: parseJson<string[]>(row.configs, []),
    };
  }

  private async removeService(row: AppInstanceRow, service: string, actor: Actor): Promise<void> {
    try {
      await this.deps.services.service.remove({ project: row.project, env: row.env, service }, actor);
    } catch (err) {
      // already gone (deleted by hand, or a second DELETE of the instance)
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  // ---- the finisher: volumes after services, under the leader lease --------------------------

  /**
   * Finishes deletions while this process leads (apps.module.ts's reconciler): those it accepts
   * at once, and every 10 s any `deleting` instance (accepted by another replica of the server, or
   * interrupted by a restart).
   */
  private readonly finisher = new LeaderRuns(
    'finishing a deletion',
    () => this.repo.deleting(),
    (id) => this.finish(id),
    (fields, message) => this.ctx.log.warn(fields, message),
  );

  start(): void {
    this.finisher.start();
  }

  stop(): void {
    this.finisher.stop();
  }

  /** Waits in the background until the instance's services are gone, then removes its volumes and row. */
  private finishLater(id: string): void {
    this.finisher.kick(id);
  }

  private async finish(id: string): Promise<void> {
    // a deleted service's row goes once its containers are removed (drain + stop grace); after
    // ten minutes of waiting the sweep tries again
    for (let attempt = 0; this.finisher.leading && attempt < 600; attempt += 1) {
      const row = await this.repo.findById(id);
      if (!row) return;
      if (await this.finishOnce(row)) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** True when done: no service left, volumes removed (unless kept), the row deleted. */
  private async finishOnce(row: AppInstanceRow): Promise<boolean> {
    for (const s of parseJson<string[]>(row.services, []))
      if (await this.deps.services.repo.findByPath(row.project, row.env, s)) return false;
    if (!row.keep_volumes)
      for (const v of parseJson<string[]>(row.volumes, [])) {
        if (!(await this.deps.volumes.row(row.project, row.env, v))) continue;
        try {
          await this.deps.volumes.remove(row.project, row.env, v);
        } catch (err) {
          // still mounted by a container on its way out: the next round
          if (err instanceof ConflictError) return false;
          throw err;
        }
      }
    // configs always go with the instance (they hold settings, not data)
    const services = parseJson<string[]>(row.services, []);
    if (!(await this.deps.configs.remove(row.project, parseJson<string[]>(row.configs, []), services)))
      return false;
    await this.repo.remove(row.id);
    return true;
  }

  // ---- views ---------------------------------------------------------------------------------

  private params(row: AppInstanceRow): Record<string, AppParamValue> {
    return parseJson<Record<string, AppParamValue>>(row.params, {});
  }

  private openSecrets(row: AppInstanceRow): Record<string, string> {
    return JSON.parse(this.deps.secrets.open(row.secrets_sealed)) as Record<string, string>;
  }

  private async members(row: AppInstanceRow): Promise<{ members: AppInstanceMember[]; rows: ServiceRow[] }> {
    const members: AppInstanceMember[] = [];
    const rows: ServiceRow[] = [];
    for (const name of parseJson<string[]>(row.services, [])) {
      const s = await this.deps.services.repo.findByPath(row.project, row.env, name);
      if (s) rows.push(s);
      members.push(
        s && !s.deleting
          ? { service: name, ready: s.ready_replicas, desired: s.stopped ? 0 : s.replicas, status: s.status }
          : { service: name, ready: 0, desired: 0, status: 'missing' },
      );
    }
    return { members, rows };
  }

  private async view(row: AppInstanceRow): Promise<AppInstance> {
    const { members, rows } = await this.members(row);
    return {
      name: row.name,
      project: row.project,
      env: row.env,
      app: row.app,
      version: row.version,
      params: this.params(row),
      state:
        (!row.deleting && this.deps.images?.preparing(row.id)?.state) || instanceState(row, members, rows),
      ...(this.deps.images?.preparing(row.id)?.view ?? {}),
      members,
      volumes: parseJson<string[]>(row.volumes, []),
      configs: parseJson<string[]>(row.configs, []),
      createdAt: row.created_at,
      createdBy: row.created_by,
      passwordSetAt: row.password_set_at,
      upgrade: parseJson<AppInstanceUpgrade | null>(row.upgrade ?? '', null),
    };
  }

  private async detail(row: AppInstanceRow, actor: Actor, reveal: boolean): Promise<AppInstanceDetail> {
    const view = await this.view(row);
    return { ...view, connection: await this.connection(row, actor, reveal) };
  }

  /**
   * Connection info. On the local Podman cluster a service's container ports are published on
   * 127.0.0.1 at a port the engine picks (docs/architecture.md): the ledger's `endpoints` of the
   * member's ready container say which. Inside the platform the member answers to its service
   * name (`internalHost`): on Podman every replica holds it as an alias on its environment's
   * network (docs/networks.md), on Kubernetes it is the name of the service's Service.
   */
  private async connection(row: AppInstanceRow, actor: Actor, reveal: boolean): Promise<AppConnection> {
    const t = findTemplate(row.app);
    const v = t && findVersion(t, row.version);
    const params = this.params(row);
    const fill = (s: string) =>
      s
        .replace(/\{name\}/g, row.name)
        .replace(/\{param:([A-Za-z0-9_]+)\}/g, (_m, p: string) => String(params[p] ?? ''));
    const c = v?.connection ?? { service: '{name}', containerPort: 0, user: '', scheme: 'tcp', path: '' };
    // clients of an ensemble take every member (ZooKeeper's connect string)
    const all = c.allMembers ? parseJson<string[]>(row.services, []) : [];
    const service = all[0] ?? fill(c.service);
    const published = await this.publishedAddress(row, service, c.containerPort);
    const members = await Promise.all(
      all.map(async (m) => {
        const a = await this.publishedAddress(row, m, c.containerPort);
        return { service: m, host: a?.host ?? null, port: a?.port ?? null };
      }),
    );
    const user = fill(c.user);
    const userPart = user ? `${encodeURIComponent(user)}@` : '';
    const hosts =
      all.length > 0
        ? members.every((m) => m.port !== null)
          ? members.map((m) => `${hostInUri(m.host!)}:${m.port}`).join(',')
          : null
        : published && `${hostInUri(published.host)}:${published.port}`;
    const readable = await this.ctx.auth.authorize(actor, secretPermission, {
      kind: 'project',
      project: row.project,
    });
    const out: AppConnection = {
      host: published?.host ?? null,
      port: published?.port ?? null,
      // the project env's other services and cron runs resolve it; other projects do not
      internalHost: service,
      internalPort: c.containerPort,
      user,
      uri: hosts ? `${c.scheme}://${userPart}${hosts}${fill(c.path)}` : null,
      passwordReadable: readable,
      ...(c.allMembers
        ? { members, connectString: all.map((m) => `${m}:${c.containerPort}`).join(',') }
        : {}),
    };
    // a read-only member (Redis replicas): one replica's published address, the name of them all
    const readService = c.readService ? fill(c.readService) : null;
    if (readService && parseJson<string[]>(row.services, []).includes(readService)) {
      const read = await this.publishedAddress(row, readService, c.containerPort);
      out.readHost = read?.host ?? null;
      out.readPort = read?.port ?? null;
      out.readInternalHost = readService;
    }
    if (reveal && readable && row.secrets_sealed) out.password = this.openSecrets(row).password ?? '';
    return out;
  }

  /** The host address of the member's ready container's published port, or null (also for upgrades). */
  async publishedAddress(
    row: AppInstanceRow,
    service: string,
    containerPort: number,
  ): Promise<{ host: string; port: number } | null> {
    const s = await this.deps.services.repo.findByPath(row.project, row.env, service);
    if (!s || s.deleting) return null;
    const containers = await this.deps.services.repo.activeContainers(s.id);
    const ready = containers.filter((x) => x.ready === 1 && x.release === s.release);
    for (const x of [...ready, ...containers]) {
      const address = parseJson<Record<string, string>>(x.endpoints, {})[String(containerPort)];
      const m = address ? /^(.*):(\d+)$/.exec(address) : null;
      if (m) return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    }
    return null;
  }
}

/** The install of an instance stopped because the instance was deleted meanwhile (409). */
class DeletedWhileInstalling extends ConflictError {
  constructor(name: string) {
    super(
      `App instance '${name}' was deleted while it was being installed; what the install had made is removed.`,
    );
  }
}

function hostInUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The instance's state from its members' services. */
export function instanceState(
  row: Pick<AppInstanceRow, 'deleting'> & { upgrade?: string | null },
  members: AppInstanceMember[],
  rows: Pick<ServiceRow, 'release' | 'stable_release' | 'status'>[],
): AppInstanceState {
  if (row.deleting) return 'deleting';
  // an upgrade that stopped at a member stays failed until the next upgrade (apps-upgrade.ts)
  const upgrade = parseJson<AppInstanceUpgrade | null>(row.upgrade ?? '', null);
  if (upgrade?.state === 'running') return 'upgrading';
  if (upgrade?.state === 'failed') return 'failed';
  if (members.some((m) => m.status === 'failed' || m.status === 'missing')) return 'failed';
  if (members.every((m) => m.ready >= m.desired && m.status === 'healthy')) return 'running';
  // never been ready yet: still being made
  if (rows.some((r) => r.stable_release === null && r.status === 'progressing')) return 'creating';
  return 'degraded';
}

function instanceExists(project: string, env: string, name: string): ConflictError {
  return new ConflictError(
    `App instance '${name}' already exists in project '${project}' (env '${env}').`,
    { fields: [{ path: 'name', message: 'is taken' }] },
    'ALREADY_EXISTS',
  );
}

function beingDeleted(row: AppInstanceRow): ConflictError {
  return new ConflictError(`App instance '${row.name}' is being deleted.`, undefined, 'CONFLICT');
}

/**
 * The services module answers at `spec.…` and the volumes module at `sizeMiB`/`class`: the
 * fields the caller set are the instance's parameters, so quota and class errors point at them.
 */
function withParamPaths(err: unknown): unknown {
  if (!(err instanceof BerthError)) return err;
  const fields = (err.details?.fields as { path: string; message: string }[] | undefined) ?? [];
  const map: Record<string, string> = {
    class: 'params.volumeClass',
    sizeMiB: 'params.storageMiB',
    cluster: 'params.volumeClass',
  };
  if (!fields.some((f) => map[f.path])) return err;
  return new BerthError(err.code, err.message, {
    ...err.details,
    fields: fields.map((f) => ({ ...f, path: map[f.path] ?? f.path })),
  });
}
