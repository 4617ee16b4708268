import {
  ConflictError,
  NotFoundError,
  UnavailableError,
  type DeleteTagResult,
  type ImageRepository,
  type ImageTag,
  type ImageTagDetail,
  type Page,
} from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import { encodeCursor } from '../../http/pagination';
import { servicesUsingRepository, toServiceRef, type ServiceImage } from './image-usage';
import {
  RegistryHttpError,
  RegistryUnreachableError,
  manifestSize,
  type RegistryClient,
} from './registry-client';
import { registryNotFound, type RegistriesService } from './registries.service';
import type { RegistryAccess } from './registry-access';
import type { RegistryRow } from './registries.repository';

/** The project a repository belongs to by convention: its first path segment (`<project>/<service>`). */
export function projectOfRepository(repo: string): string {
  return repo.split('/')[0] ?? repo;
}

/** A service using a repository, with the manifest digest it runs (null: its tag is gone). */
type UsedImage = ServiceImage & { resolvedDigest: string | null };

/** Catalog pages read at most per listing, so a filter that matches little cannot scan forever. */
const maxCatalogPages = 50;

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Browsing, describing and deleting images of a registry, with the services that run them. */
export class ImagesService {
  constructor(
    private readonly ctx: AppContext,
    private readonly registries: RegistriesService,
    private readonly access: RegistryAccess,
  ) {}

  async repositories(
    registry: string,
    actor: Actor,
    opts: { limit: number; after?: string; q?: string },
  ): Promise<Page<ImageRepository>> {
    const allowed = await this.access.visibleRegistries(actor);
    if (allowed !== null && !allowed.has(registry)) throw registryNotFound(registry);
    const { row, client } = await this.registries.clientFor(registry);
    const visible = await this.ctx.auth.visibleProjects(actor);
    // Non-admins see their projects' repositories and the public ones.
    const open = new Set(visible === null ? [] : await this.access.publicRepositories(registry));
    const found: string[] = [];
    let last = opts.after;
    let more = true;
    for (let page = 0; page < maxCatalogPages && found.length <= opts.limit && more; page += 1) {
      const batch = await guard(row, () => client.catalog({ n: 100, last }));
      for (const name of batch.repositories) {
        if (visible !== null && !visible.includes(projectOfRepository(name)) && !open.has(name)) continue;
        if (opts.q && !name.includes(opts.q)) continue;
        found.push(name);
      }
      more = batch.next !== null;
      last = batch.next ?? last;
    }
    const items = found.slice(0, opts.limit);
    if (found.length <= opts.limit && more && last) {
      // The scan budget ran out before the page filled: continue after the last name read.
      return { items: await this.withProjects(items), nextCursor: encodeCursor(last) };
    }
    return {
      items: await this.withProjects(items),
      nextCursor: found.length > opts.limit ? encodeCursor(items[items.length - 1]!) : null,
    };
  }

  async tags(
    registry: string,
    repo: string,
    actor: Actor,
    opts: { limit: number; after?: string },
  ): Promise<Page<ImageTag>> {
    const { row, client } = await this.registries.clientFor(registry);
    const all = await this.tagNames(row, client, repo);
    const rest = opts.after === undefined ? all : all.filter((t) => t > opts.after!);
    const page = rest.slice(0, opts.limit);
    const usage = await this.usage(row, client, repo, actor);
    const items = (await mapLimit(page, 6, (tag) => this.describe(row, client, repo, tag, usage))).filter(
      (t): t is ImageTag => t !== null,
    );
    return { items, nextCursor: rest.length > opts.limit ? encodeCursor(page[page.length - 1]!) : null };
  }

  async tag(registry: string, repo: string, tag: string, actor: Actor): Promise<ImageTagDetail> {
    const { row, client } = await this.registries.clientFor(registry);
    const all = await this.tagNames(row, client, repo);
    const described = await this.describe(row, client, repo, tag, await this.usage(row, client, repo, actor));
    if (!described) throw tagNotFound(registry, repo, tag);
    const sharing = await this.tagsWithDigest(row, client, repo, all, described.digest);
    return { ...described, registry, repository: repo, sharingTags: sharing.filter((t) => t !== tag) };
  }

  /**
   * Deletes the manifest a tag points at, by digest: every tag sharing that digest goes too.
   * Refuses (409) while a running service uses it, unless `force`.
   */
  async deleteTag(
    registry: string,
    repo: string,
    tag: string,
    actor: Actor,
    force: boolean,
  ): Promise<DeleteTagResult> {
    const { row, client } = await this.registries.clientFor(registry);
    const all = await this.tagNames(row, client, repo);
    const head = all.includes(tag) ? await guard(row, () => client.headManifest(repo, tag)) : null;
    if (!head) throw tagNotFound(registry, repo, tag);
    const sharing = await this.tagsWithDigest(row, client, repo, all, head.digest);
    const running = (
      await this.resolve(row, client, repo, await servicesUsingRepository(this.ctx.db, row.host, repo, null))
    ).filter((s) => s.running && s.resolvedDigest === head.digest);
    if (running.length > 0 && !force) {
      const visible = await this.ctx.auth.visibleProjects(actor);
      const shown = running.filter((s) => visible === null || visible.includes(s.project));
      const names = shown.map((s) => `${s.project}/${s.env}/${s.service}`);
      const hidden = running.length - shown.length;
      throw new ConflictError(
        `Image ${repo}:${tag} (${head.digest.slice(0, 19)}) is used by running service${running.length > 1 ? 's' : ''} ` +
          `${[...names, ...(hidden ? [`${hidden} in projects you cannot see`] : [])].join(', ')}; ` +
          'roll them to another image first, or delete with force=true.',
        { digest: head.digest, tags: sharing, usedBy: shown.map(toServiceRef), hiddenUsers: hidden },
      );
    }
    try {
      await client.deleteManifest(repo, head.digest);
    } catch (err) {
      if (err instanceof RegistryHttpError && (err.status === 405 || err.code === 'UNSUPPORTED'))
        throw new ConflictError(
          `Registry '${registry}' does not allow deletes (storage.delete.enabled is off in its configuration).`,
        );
      throw registryError(row, err);
    }
    return { digest: head.digest, deletedTags: sharing };
  }

  private async tagNames(row: RegistryRow, client: RegistryClient, repo: string): Promise<string[]> {
    try {
      return (await client.tags(repo)).sort();
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404)
        throw new NotFoundError(
          'NOT_FOUND',
          `Repository '${repo}' does not exist in registry '${row.name}'; \`berth images list --registry ${row.name}\` shows its repositories.`,
          { kind: 'repository', registry: row.name, repository: repo },
        );
      throw registryError(row, err);
    }
  }

  private async tagsWithDigest(
    row: RegistryRow,
    client: RegistryClient,
    repo: string,
    tags: string[],
    digest: string,
  ): Promise<string[]> {
    const heads = await mapLimit(tags, 8, (t) => guard(row, () => client.headManifest(repo, t)));
    return tags.filter((_, i) => heads[i]?.digest === digest);
  }

  private async usage(
    row: RegistryRow,
    client: RegistryClient,
    repo: string,
    actor: Actor,
  ): Promise<UsedImage[]> {
    const visible = await this.ctx.auth.visibleProjects(actor);
    return this.resolve(
      row,
      client,
      repo,
      await servicesUsingRepository(this.ctx.db, row.host, repo, visible),
    );
  }

  /** The manifest digest each service runs: pinned by digest, recorded on its release, or its tag's now. */
  private async resolve(
    row: RegistryRow,
    client: RegistryClient,
    repo: string,
    usage: ServiceImage[],
  ): Promise<UsedImage[]> {
    const tags = [...new Set(usage.filter((s) => !s.digest && !s.releaseDigest && s.tag).map((s) => s.tag!))];
    const heads = await mapLimit(tags, 8, (t) => guard(row, () => client.headManifest(repo, t)));
    const byTag = new Map(tags.map((t, i) => [t, heads[i]?.digest ?? null]));
    return usage.map((s) => ({
      ...s,
      resolvedDigest: s.digest ?? s.releaseDigest ?? byTag.get(s.tag ?? '') ?? null,
    }));
  }

  /** Digest, size, created time and platform of one tag; null when the tag vanished meanwhile. */
  private async describe(
    row: RegistryRow,
    client: RegistryClient,
    repo: string,
    tag: string,
    usage: UsedImage[],
  ): Promise<ImageTag | null> {
    const top = await guard(row, () => client.manifest(repo, tag));
    if (!top) return null;
    let image = top;
    let platform = top.manifests?.[0]?.platform;
    if (top.manifests) {
      const pick =
        top.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ??
        top.manifests[0];
      platform = pick?.platform;
      image = (pick && (await guard(row, () => client.manifest(repo, pick.digest)))) ?? top;
    }
    const config = image.config
      ? await guard(row, () => client.imageConfig(repo, image.config!.digest))
      : null;
    return {
      tag,
      digest: top.digest,
      mediaType: top.mediaType,
      sizeBytes: manifestSize(image),
      createdAt: config?.created ?? null,
      architecture: config?.architecture ?? platform?.architecture ?? null,
      os: config?.os ?? platform?.os ?? null,
      usedBy: usage.filter((s) => s.resolvedDigest === top.digest).map(toServiceRef),
    };
  }

  /** Repository names with their project, when the first segment names an existing project. */
  private async withProjects(names: string[]): Promise<ImageRepository[]> {
    const candidates = [...new Set(names.map(projectOfRepository))];
    const rows = candidates.length
      ? await this.ctx.db.selectFrom('projects').select('name').where('name', 'in', candidates).execute()
      : [];
    const projects = new Set(rows.map((r) => r.name));
    return names.map((name) => {
      const project = projectOfRepository(name);
      return { name, project: projects.has(project) ? project : null };
    });
  }
}

function tagNotFound(registry: string, repo: string, tag: string): NotFoundError {
  return new NotFoundError(
    'NOT_FOUND',
    `Tag '${tag}' does not exist in repository '${repo}' of registry '${registry}'; \`berth images tags ${repo}\` lists its tags.`,
    { kind: 'tag', registry, repository: repo, tag },
  );
}

/** Maps a client failure to a domain error: the registry is a dependency, so 503 with its message. */
export function registryError(row: RegistryRow, err: unknown): Error {
  if (err instanceof RegistryUnreachableError)
    return new UnavailableError(`Registry '${row.name}' (${row.url}) is unreachable: ${err.message}`, {
      registry: row.name,
    });
  if (err instanceof RegistryHttpError) {
    const hint =
      err.status === 401 || err.status === 403
        ? ' Check its username and password or token (berth registries update).'
        : '';
    return new UnavailableError(`Registry '${row.name}' answered: ${err.message}.${hint}`, {
      registry: row.name,
      status: err.status,
      code: err.code,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function guard<T>(row: RegistryRow, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw registryError(row, err);
  }
}
