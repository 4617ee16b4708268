/**
 * Runs one build: fetch → pre-processing layer → build script in an isolated container →
 * image assembly → push → deploy. Cancel and time-out abort `signal`; every step listens to it.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { BuildConfinement, ContainerEngine, NetworkAttachment } from '@berth/engine-api';
import { BerthError, InvalidError, localClusterName, type PipelineTemplate } from '@berth/shared';
import type { AppContext } from '../../http/context';
import { RegistryClient, embeddedBearer, tokensOfConfig } from '../registry/registry.module';
import { buildNetwork } from '../services/controller/env-networks';
import type { TaskRepository } from '../tasks/tasks.repository';
import { buildDir, freshDir } from './build-context';
import type { StepTracker } from './build-steps';
import { ensureBuilderImage } from './builder-images';
import type { BuildRow, PipelineRow } from './codeflow.repository';
import {
  buildUid,
  cacheEnv,
  imageDockerfile,
  manifestFiles,
  preDockerfile,
  preLayerHash,
} from './dockerfiles';
import type { GitMirror, RepoCredentials } from './git-mirror';
import { runProcess } from './process-runner';
import type { ServiceDeployer } from './service-deployer';

/** Limits of builds; defaults suit one 2-core machine. */
export interface CodeflowSettings {
  /** Builds that run at once; the rest wait in the queue. */
  concurrency: number;
  buildMemoryMiB: number;
  buildCpu: number;
  buildPids: number;
  /** Task logs kept per pipeline (older builds keep their record, not their log). */
  keepLogs: number;
  /** Built images kept in the local store per pipeline (the registry keeps all). */
  keepImages: number;
  /** Bound of the dependency caches; the oldest entries go first. */
  cacheMaxBytes: number;
  /**
   * Host uid/gid that uid 0 of a build's RUN steps maps to, and how many ids follow (reserved
   * as `berth-build` in /etc/subuid and /etc/subgid by scripts/setup-host.sh).
   */
  buildUidBase: number;
  buildUidCount: number;
}

export const defaultCodeflowSettings: CodeflowSettings = {
  concurrency: 1,
  buildMemoryMiB: 1024,
  buildCpu: 1,
  buildPids: 512,
  keepLogs: 20,
  keepImages: 3,
  cacheMaxBytes: 2 * 1024 ** 3,
  buildUidBase: 2_000_000_000,
  buildUidCount: 65536,
};

export interface BuildJob {
  build: BuildRow;
  pipeline: PipelineRow;
  creds: RepoCredentials;
  mirror: GitMirror;
  /** A commit named by a webhook; otherwise the ref's head after the fetch. */
  sha: string | null;
  signal: AbortSignal;
  steps: StepTracker;
  log: (line: string) => Promise<void>;
  /** Set once the pre step has run: the pre-processing image. */
  pre?: string;
}

export interface RunnerDeps {
  ctx: AppContext;
  engine: ContainerEngine;
  tasks: TaskRepository;
  deployer: ServiceDeployer;
  settings: CodeflowSettings;
  /** `$dataDir/codeflow`. */
  root: string;
  saveBuild: (id: string, set: Partial<BuildRow>) => Promise<void>;
}

type BuildTemplate = Exclude<PipelineTemplate, 'dockerfile'>;

/** Label on build containers (not berth.instance: the service controller would reap them). */
export const buildLabel = 'berth.codeflow.build';

export class BuildRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async run(job: BuildJob): Promise<void> {
    const { build, pipeline, steps, log } = job;
    const work = freshDir(path.join(this.deps.root, 'work', build.id));
    try {
      const sha = await steps.run('fetch', () => this.fetch(job));
      const src = path.join(work, 'src');
      await job.mirror.export(sha, src, job.signal);
      const template = pipeline.template as PipelineTemplate;
      if (template === 'dockerfile') {
        await steps.skip('pre', 'custom Dockerfile');
        await steps.skip('build', 'custom Dockerfile');
      } else {
        const pre = await steps.run(
          'pre',
          () => this.preLayer(job, template, src),
          (r) => r.cached,
        );
        if (pipeline.build_script.trim() === '') await steps.skip('build', 'no build script');
        else await steps.run('build', () => this.buildScript(job, template, pre.tag, work, src));
        job.pre = pre.tag;
      }
      const ref = this.imageRef(pipeline, build.number, sha);
      await steps.run('image', () => this.assemble(job, template, src, work, ref));
      const digest = await this.push(job, ref);
      await this.deps.saveBuild(build.id, { image: ref, image_digest: digest });
      await steps.run('deploy', () => this.deps.deployer.deploy(pipeline, ref, build, log, job.signal));
      await this.dropOldImages(pipeline.id);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** fetch: update the mirror, pick the commit, record who made it. */
  private async fetch(job: BuildJob): Promise<string> {
    const { mirror, pipeline, build, log } = job;
    const { fresh } = await mirror.update(pipeline.repo_url, job.creds, (l) => void log(l), job.signal);
    await log(fresh ? 'mirror created (first fetch)' : 'mirror updated with git fetch');
    const sha = job.sha ?? (await mirror.resolve(build.ref));
    if (!sha || !(await mirror.hasCommit(sha)))
      throw new InvalidError(
        `The repository has no branch or tag '${build.ref}'${job.sha ? ` with commit ${job.sha}` : ''}; push it, or build another ref.`,
      );
    const commit = await mirror.commitInfo(sha, build.ref);
    await this.deps.saveBuild(build.id, { commit_json: JSON.stringify(commit) });
    await log(`commit ${commit.sha.slice(0, 12)} by ${commit.author}: ${commit.message}`);
    return commit.sha;
  }

  /** pre: the dependency layer, rebuilt only when its hash changes. */
  private async preLayer(
    job: BuildJob,
    template: BuildTemplate,
    src: string,
  ): Promise<{ tag: string; cached: boolean }> {
    const { engine } = this.deps;
    const scratch = path.join(this.deps.root, 'tmp');
    const base = await ensureBuilderImage(engine, template, scratch, job.log, job.signal);
    const manifests: Record<string, Buffer> = {};
    for (const name of manifestFiles[template]) {
      const file = path.join(src, name);
      if (existsSync(file) && statSync(file).isFile() && !isSymlinkOut(file, src))
        manifests[name] = readFileSync(file);
    }
    const hash = preLayerHash({ template, baseImage: base, preScript: job.pipeline.pre_script, manifests });
    const tag = `localhost/berth-pre/${job.pipeline.project}-${job.pipeline.name}:${hash}`;
    if (await engine.inspectImage(tag)) {
      await job.log(`pre-processing layer unchanged: reusing ${tag}`);
      return { tag, cached: true };
    }
    await job.log(`building pre-processing layer ${tag}`);
    const dir = freshDir(path.join(this.deps.root, 'work', job.build.id, 'pre'));
    // manifests/app/… is copied onto / so that COPY --chown owns /app itself (see preDockerfile).
    const appDir = path.join(dir, 'manifests', 'app');
    mkdirSync(appDir, { recursive: true });
    writeFileSync(path.join(appDir, '.berth-pre'), hash);
    for (const [name, content] of Object.entries(manifests)) writeFileSync(path.join(appDir, name), content);
    mkdirSync(path.join(dir, 'berth'));
    writeFileSync(path.join(dir, 'berth', 'pre.sh'), job.pipeline.pre_script);
    writeFileSync(path.join(dir, 'Dockerfile'), preDockerfile(template, base));
    await buildDir(
      engine,
      dir,
      { tag, confine: this.confinement(), network: this.network(job), signal: job.signal },
      (l) => job.log(l),
    );
    await this.replacePreImage(job.pipeline.id, tag);
    return { tag, cached: false };
  }

  /** Keeps one pre image per pipeline: the previous one goes when a new one is built. */
  private async replacePreImage(pipelineId: string, tag: string): Promise<void> {
    const file = path.join(this.deps.root, 'pre-images', pipelineId);
    mkdirSync(path.dirname(file), { recursive: true });
    const previous = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    writeFileSync(file, tag);
    if (previous && previous !== tag) await this.deps.engine.removeImage?.(previous).catch(() => undefined);
  }

  /**
   * build: the user's script in a container from the pre image, as uid 1000, with only the
   * workspace, the script (read-only) and the language's cache mounted; memory, CPU and process
   * limits; aborting kills it.
   */
  private async buildScript(
    job: BuildJob,
    template: BuildTemplate,
    image: string,
    work: string,
    src: string,
  ) {
    const { engine, settings } = this.deps;
    const scripts = path.join(work, 'scripts');
    mkdirSync(scripts, { recursive: true });
    writeFileSync(path.join(scripts, 'build.sh'), job.pipeline.build_script, { mode: 0o644 });
    const cache = path.join(this.deps.root, 'cache', template);
    mkdirSync(cache, { recursive: true });
    await runProcess('chown', ['-R', `${buildUid}:${buildUid}`, '--', src, cache]);
    const name = `berth-build-${job.build.id}`;
    const id = await engine.runContainer({
      name,
      image,
      command: ['/bin/sh', '/berth-scripts/build.sh'],
      env: {
        ...cacheEnv[template],
        HOME: '/tmp',
        CI: 'true',
        BERTH_BUILD_NUMBER: String(job.build.number),
        BERTH_PIPELINE: job.pipeline.name,
      },
      labels: { [buildLabel]: job.build.id },
      ports: [],
      user: `${buildUid}:${buildUid}`,
      workingDir: '/workspace',
      memoryMiB: settings.buildMemoryMiB,
      cpu: settings.buildCpu,
      pidsLimit: settings.buildPids,
      unprivileged: true,
      network: this.network(job),
      mounts: [
        { source: src, destination: '/workspace' },
        { source: scripts, destination: '/berth-scripts', readOnly: true },
        { source: cache, destination: '/cache' },
      ],
    });
    const kill = () => void engine.removeContainer(id).catch(() => undefined);
    job.signal.addEventListener('abort', kill, { once: true });
    try {
      const follow = (async () => {
        for await (const line of engine.logs(id, { follow: true, signal: job.signal }))
          await job.log(line.text);
      })();
      const code = engine.waitContainer ? await engine.waitContainer(id, job.signal) : null;
      await follow.catch(() => undefined);
      job.signal.throwIfAborted();
      if (code !== 0)
        throw new BerthError('UNPROCESSABLE', `The build script exited with code ${code ?? 'unknown'}.`, {
          exitCode: code,
        });
    } finally {
      job.signal.removeEventListener('abort', kill);
      await engine.removeContainer(id).catch(() => undefined);
    }
  }

  /** image: FROM the pre image + the artifact, or the user's own Dockerfile over the checkout. */
  private async assemble(job: BuildJob, template: PipelineTemplate, src: string, work: string, ref: string) {
    const { engine } = this.deps;
    const labels = {
      'berth.pipeline': `${job.pipeline.project}/${job.pipeline.name}`,
      'berth.build': String(job.build.number),
    };
    if (template === 'dockerfile') {
      const file = '.berth-dockerfile';
      writeFileSync(path.join(src, file), job.pipeline.dockerfile);
      await buildDir(
        engine,
        src,
        {
          tag: ref,
          dockerfile: file,
          labels,
          confine: this.confinement(),
          network: this.network(job),
          signal: job.signal,
        },
        job.log,
      );
      return;
    }
    const dir = freshDir(path.join(work, 'image'));
    const artifact = path.resolve(src, job.pipeline.artifact_path);
    if (!existsSync(artifact) || isSymlinkOut(artifact, src))
      throw new InvalidError(
        `The artifact path '${job.pipeline.artifact_path}' does not exist in the workspace after the build; fix artifactPath or the build script.`,
      );
    const out = path.join(dir, 'artifact');
    if (statSync(artifact).isDirectory()) cpSync(artifact, out, { recursive: true, verbatimSymlinks: true });
    else {
      mkdirSync(out);
      cpSync(artifact, path.join(out, path.basename(artifact)));
    }
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      imageDockerfile({
        template,
        preImage: job.pre!,
        startCommand: job.pipeline.start_command,
        port: job.pipeline.port,
      }),
    );
    await buildDir(
      engine,
      dir,
      {
        tag: ref,
        labels,
        layers: false,
        confine: this.confinement(),
        network: this.network(job),
        signal: job.signal,
      },
      job.log,
    );
  }

  /**
   * The project's build network on the builder (the local cluster): isolated from every env
   * network, where podman's default network let a build reach any project's containers.
   */
  private network(job: BuildJob): NetworkAttachment {
    return buildNetwork(this.deps.ctx.config.instanceId, localClusterName, job.pipeline.project);
  }

  /**
   * Every RUN step of a build of user content (pre layer, custom Dockerfile, image assembly):
   * no capabilities, no-new-privileges, the build limits, and uid 0 mapped to an unprivileged
   * host range (docs/codeflow.md, "Confinement").
   */
  private confinement(): BuildConfinement {
    const { settings } = this.deps;
    const stateDir = path.join(this.deps.root, 'build-runtime');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    return {
      memoryMiB: settings.buildMemoryMiB,
      cpu: settings.buildCpu,
      pids: settings.buildPids,
      uidBase: settings.buildUidBase,
      uidCount: settings.buildUidCount,
      stateDir,
    };
  }

  /** push: to the embedded registry (plain http on loopback); returns the manifest digest. */
  private async push(job: BuildJob, ref: string): Promise<string | null> {
    const registry = this.deps.ctx.config.registryListen;
    if (!registry) {
      await job.steps.skip('push', 'no embedded registry (BERTH_REGISTRY_LISTEN=off); the image stays local');
      return (await this.deps.engine.inspectImage(ref))?.digest ?? null;
    }
    return job.steps.run('push', async () => {
      if (!this.deps.engine.pushImage)
        throw new BerthError('UNPROCESSABLE', 'This engine cannot push images.');
      await job.log(`pushing ${ref}`);
      const loopback = isLoopback(registry);
      const [repo, tag] = splitRef(ref.slice(registry.length + 1));
      // A credential for this push only: ~10 minutes, push (and the pull it implies) on this
      // repository alone. It goes to Podman as X-Registry-Auth and is never logged or stored.
      const auth = tokensOfConfig(this.deps.ctx.config)?.credential(
        `build:${job.pipeline.project}/${job.pipeline.name}`,
        [{ type: 'repository', name: repo, actions: ['pull', 'push'] }],
        10 * 60,
      );
      await this.deps.engine.pushImage(ref, ref, { tlsVerify: !loopback, auth });
      const url = `${loopback ? 'http' : 'https'}://${registry}`;
      const head = await new RegistryClient({
        url,
        bearer: embeddedBearer(this.deps.ctx.config),
      }).headManifest(repo, tag);
      await job.log(`pushed ${ref}${head ? ` (${head.digest})` : ''}`);
      return head?.digest ?? null;
    });
  }

  /**
   * `<registry>/<project>/<service>:<build>-<short sha>`; a pipeline not named after its service
   * prefixes its name, so two pipelines of one service never write the same tag.
   */
  imageRef(p: PipelineRow, number: number, sha: string): string {
    const registry = this.deps.ctx.config.registryListen;
    const tag = `${p.name === p.service ? '' : `${p.name}-`}${number}-${sha.slice(0, 7)}`;
    return registry
      ? `${registry}/${p.project}/${p.service}:${tag}`
      : `localhost/${p.project}/${p.service}:${tag}`;
  }

  /** Local copies of older build images go (the registry keeps them; in-use ones stay). */
  private async dropOldImages(pipelineId: string): Promise<void> {
    const rows = await this.deps.ctx.db
      .withTables<{ builds: BuildRow }>()
      .selectFrom('builds')
      .select('image')
      .where('pipeline_id', '=', pipelineId)
      .where('image', 'is not', null)
      .orderBy('number', 'desc')
      .offset(this.deps.settings.keepImages)
      .limit(50)
      .execute();
    for (const r of rows) if (r.image) await this.deps.engine.removeImage?.(r.image).catch(() => undefined);
  }
}

function splitRef(repoTag: string): [string, string] {
  const i = repoTag.lastIndexOf(':');
  return [repoTag.slice(0, i), repoTag.slice(i + 1)];
}

function isLoopback(hostPort: string): boolean {
  return /^(127\.|localhost[:]|\[::1\])/.test(hostPort);
}

/** True when `file` resolves (through symlinks) outside `root`. */
function isSymlinkOut(file: string, root: string): boolean {
  const real = realpathSync(file);
  const base = realpathSync(root);
  return real !== base && !real.startsWith(base + path.sep);
}
