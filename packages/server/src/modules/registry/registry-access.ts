/**
 * Who may use which images (docs/registry.md "Authentication and access"):
 * - the embedded registry's repositories belong to the project named by their first path
 *   component: pull needs `services:read` on it, push `services:write`;
 * - registries a platform admin assigned to a team or project serve that team's or project's
 *   services;
 * - repositories a platform admin marked public may be pulled and run by everyone logged in;
 * - platform admins may use everything.
 * Podman's local image store (`localhost/…`) counts as the registry `local-store`; codeflow's
 * pre-processing layers (`localhost/berth-pre/…`) are never usable by a service.
 */
import {
  BerthError,
  ConflictError,
  NotFoundError,
  embeddedRegistryName,
  type RegistryAssignment,
} from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import { isUniqueViolation } from '../identity/store-errors';
import { nowIso } from '../../util';
import { parseImageRef, sameHost } from './image-ref';
import { RegistriesRepository, type RegistryRow } from './registries.repository';
import type { AccessEntry } from './registry-tokens';

/** Podman's local image store as a registry name (assignments and public repositories). */
export const localStoreRegistry = 'local-store';

type Ctx = Pick<AppContext, 'db' | 'config' | 'auth'>;

/** The project a repository of the embedded registry belongs to: its first path component. */
export function projectOfRepo(repo: string): string {
  return repo.split('/')[0] ?? repo;
}

/** The registry, assignments and public-repository rules, and the decisions built on them. */
export class RegistryAccess {
  private readonly registries: RegistriesRepository;
  constructor(private readonly ctx: Ctx) {
    this.registries = new RegistriesRepository(ctx.db);
  }

  isAdmin(actor: Actor): Promise<boolean> {
    if (actor.via === 'system') return Promise.resolve(false);
    return this.ctx.auth.authorize(actor, 'platform:admin', { kind: 'platform' });
  }

  async assignments(registry: string): Promise<RegistryAssignment[]> {
    const rows = await this.ctx.db
      .selectFrom('registry_assignments')
      .select(['owner_kind', 'owner_name'])
      .where('registry', '=', registry)
      .orderBy('owner_kind')
      .orderBy('owner_name')
      .execute();
    return rows.map((r) => ({ kind: r.owner_kind, name: r.owner_name }));
  }

  /** Every team or project an assignment names must exist (422 at the field otherwise). */
  async checkAssignments(registry: string, list: RegistryAssignment[]): Promise<void> {
    const fields: Array<{ path: string; message: string }> = [];
    for (const [i, a] of list.entries()) {
      const table = a.kind === 'team' ? 'teams' : 'projects';
      const found = await this.ctx.db
        .selectFrom(table)
        .select('name')
        .where('name', '=', a.name)
        .executeTakeFirst();
      if (!found)
        fields.push({ path: `assignedTo.${i}.name`, message: `${a.kind} '${a.name}' does not exist` });
    }
    if (fields.length > 0)
      throw new BerthError(
        'UNPROCESSABLE',
        `Registry '${registry}' can only be assigned to existing teams and projects: ${fields.map((f) => f.message).join('; ')}.`,
        { fields },
      );
  }

  /** Replaces a registry's assignments (checked with checkAssignments first). */
  async setAssignments(registry: string, list: RegistryAssignment[], actor: string): Promise<void> {
    const unique = [...new Map(list.map((a) => [`${a.kind}/${a.name}`, a])).values()];
    await this.ctx.db.deleteFrom('registry_assignments').where('registry', '=', registry).execute();
    const now = nowIso();
    if (unique.length > 0)
      await this.ctx.db
        .insertInto('registry_assignments')
        .values(
          unique.map((a) => ({
            registry,
            owner_kind: a.kind,
            owner_name: a.name,
            created_at: now,
            created_by: actor,
          })),
        )
        .execute();
  }

  async publicRepositories(registry: string): Promise<string[]> {
    const rows = await this.ctx.db
      .selectFrom('registry_public_repositories')
      .select('repository')
      .where('registry', '=', registry)
      .orderBy('repository')
      .execute();
    return rows.map((r) => r.repository);
  }

  async addPublic(registry: string, repository: string, actor: string): Promise<void> {
    if (registry === localStoreRegistry && repository.startsWith('berth-pre/'))
      throw new BerthError(
        'UNPROCESSABLE',
        "Codeflow's pre-processing layers (localhost/berth-pre/…) are build intermediates and can never be public.",
        { fields: [{ path: 'repository', message: 'berth-pre/… cannot be public' }] },
      );
    try {
      await this.ctx.db
        .insertInto('registry_public_repositories')
        .values({ registry, repository, created_at: nowIso(), created_by: actor })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(
          `Repository '${repository}' of registry '${registry}' is already public.`,
          undefined,
          'ALREADY_EXISTS',
        );
      throw err;
    }
  }

  async removePublic(registry: string, repository: string): Promise<void> {
    const res = await this.ctx.db
      .deleteFrom('registry_public_repositories')
      .where('registry', '=', registry)
      .where('repository', '=', repository)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0)
      throw new NotFoundError(
        'NOT_FOUND',
        `Repository '${repository}' of registry '${registry}' is not public; \`berth images public list\` shows the public ones.`,
      );
  }

  async isPublic(registry: string, repository: string): Promise<boolean> {
    const row = await this.ctx.db
      .selectFrom('registry_public_repositories')
      .select('repository')
      .where('registry', '=', registry)
      .where('repository', '=', repository)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Whether `registry` is assigned to `project` or to the project's team. */
  async assignedToProject(registry: string, project: string): Promise<boolean> {
    const team = await this.teamOf(project);
    const rows = await this.ctx.db
      .selectFrom('registry_assignments')
      .select(['owner_kind', 'owner_name'])
      .where('registry', '=', registry)
      .execute();
    return rows.some(
      (r) =>
        (r.owner_kind === 'project' && r.owner_name === project) ||
        (r.owner_kind === 'team' && team !== null && r.owner_name === team),
    );
  }

  /**
   * Names of the registries an actor may see: the embedded one, those assigned to a team or
   * project they can read, and those with public repositories. Null: all (platform admins).
   */
  async visibleRegistries(actor: Actor): Promise<Set<string> | null> {
    if (await this.isAdmin(actor)) return null;
    const projects = (await this.ctx.auth.visibleProjects(actor)) ?? [];
    const out = new Set<string>([embeddedRegistryName]);
    if (projects.length > 0) {
      const teams = await this.ctx.db
        .selectFrom('projects')
        .select('team')
        .where('name', 'in', projects)
        .execute();
      const rows = await this.ctx.db
        .selectFrom('registry_assignments')
        .select(['registry', 'owner_kind', 'owner_name'])
        .execute();
      const teamNames = new Set(teams.map((t) => t.team));
      for (const r of rows)
        if (
          (r.owner_kind === 'project' && projects.includes(r.owner_name)) ||
          (r.owner_kind === 'team' && teamNames.has(r.owner_name))
        )
          out.add(r.registry);
    }
    const pub = await this.ctx.db.selectFrom('registry_public_repositories').select('registry').execute();
    for (const r of pub) out.add(r.registry);
    return out;
  }

  /**
   * What a registry token may grant an authenticated user, scope by scope: never more than asked
   * for, and never beyond the user's projects (plus public repositories for pull).
   */
  async grant(actor: Actor, requested: AccessEntry[]): Promise<AccessEntry[]> {
    const admin = await this.isAdmin(actor);
    const out: AccessEntry[] = [];
    for (const want of requested) {
      const actions = [...new Set(want.actions)];
      if (admin) {
        if (actions.length > 0) out.push({ type: want.type, name: want.name, actions });
        continue;
      }
      if (want.type !== 'repository') continue;
      const scope = { kind: 'project' as const, project: projectOfRepo(want.name) };
      const granted: string[] = [];
      for (const action of actions) {
        if (action === 'pull') {
          if (
            (await this.ctx.auth.authorize(actor, 'services:read', scope)) ||
            (await this.isPublic(embeddedRegistryName, want.name))
          )
            granted.push('pull');
        } else if (action === 'push') {
          if (await this.ctx.auth.authorize(actor, 'services:write', scope)) granted.push('push');
        }
        // delete and '*' stay with platform admins (Berth deletes through its own API).
      }
      if (granted.length > 0) out.push({ type: want.type, name: want.name, actions: granted });
    }
    return out;
  }

  /**
   * Admission of a service's image in `project` (create, update, promote): throws 403
   * IMAGE_NOT_ALLOWED at `spec.image` with the rule and the way out.
   */
  async admit(actor: Actor, project: string, image: string): Promise<void> {
    const ref = parseImageRef(image);
    if (ref && ref.host === 'localhost' && ref.repository.startsWith('berth-pre/'))
      throw refused(
        image,
        "localhost/berth-pre/… images are codeflow's pre-processing layers and can never run as a service. " +
          'Deploy the image the build pushed instead.',
      );
    if (await this.isAdmin(actor)) return;
    if (!ref) throw refused(image, `'${image}' is not an image reference Berth can check.`);
    const embedded = this.ctx.config.registryListen;
    if (embedded && sameHost(ref.host, embedded)) {
      if (projectOfRepo(ref.repository) === project) return;
      if (await this.isPublic(embeddedRegistryName, ref.repository)) return;
      if (await this.assignedToProject(embeddedRegistryName, project)) return;
      throw refused(
        image,
        `Repository '${ref.repository}' of the embedded registry belongs to project '${projectOfRepo(ref.repository)}', ` +
          `not '${project}', and is not public. Push the image to ${embedded}/${project}/… instead, ` +
          'or ask a platform admin to mark the repository public (`berth images public add`).',
      );
    }
    const name =
      ref.host === 'localhost' ? localStoreRegistry : ((await this.registryOfHost(ref.host))?.name ?? null);
    if (name && (await this.isPublic(name, ref.repository))) return;
    if (name && (await this.assignedToProject(name, project))) return;
    const where =
      name === null
        ? `registry ${ref.host} is not configured in Berth`
        : `registry '${name}' is not assigned to project '${project}' or its team and ${ref.repository} is not public there`;
    throw refused(
      image,
      `Image '${image}' is not allowed for project '${project}': ${where}. ` +
        `Push it to ${embedded ?? '<embedded registry>'}/${project}/… and use that, ` +
        `or ask a platform admin to ${name ? `assign registry '${name}' to your team (\`berth registries assign ${name} --team <team>\`)` : `add ${ref.host} as a registry and assign it to your team`}` +
        ' or mark the repository public.',
    );
  }

  private async registryOfHost(host: string): Promise<RegistryRow | null> {
    return this.registries.findByHost(host);
  }

  private async teamOf(project: string): Promise<string | null> {
    const row = await this.ctx.db
      .selectFrom('projects')
      .select('team')
      .where('name', '=', project)
      .executeTakeFirst();
    return row?.team ?? null;
  }
}

function refused(image: string, message: string): BerthError {
  return new BerthError('IMAGE_NOT_ALLOWED', message, {
    image,
    fields: [{ path: 'spec.image', message }],
  });
}
