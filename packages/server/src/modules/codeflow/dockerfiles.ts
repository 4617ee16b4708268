/**
 * The generated Dockerfiles of a pipeline (pure functions). User values never appear in a shell
 * line: scripts are files in the build context run as `RUN ["/bin/sh", "/berth/pre.sh"]`, and the
 * start command is one element of a JSON-array CMD (JSON.stringify escapes it).
 */
import { createHash } from 'node:crypto';
import { defaultStartCommand, type PipelineTemplate } from '@berth/shared';

/** The build user: every build script and every built image runs as this uid, never root. */
export const buildUid = 1000;

/** Dependency manifests hashed into the pre-processing layer and copied into it, per template. */
export const manifestFiles: Record<PipelineTemplate, readonly string[]> = {
  node: ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock'],
  python: ['requirements.txt', 'pyproject.toml', 'setup.py', 'setup.cfg', 'Pipfile', 'Pipfile.lock'],
  'java-maven': ['pom.xml'],
  go: ['go.mod', 'go.sum'],
  static: [],
  shell: [],
  dockerfile: [],
};

/** The builder image each template builds and runs in (Debian ones are built on first use). */
export const templateBaseImage: Record<Exclude<PipelineTemplate, 'dockerfile'>, string> = {
  node: 'localhost/berth-node-build:20',
  static: 'localhost/berth-busybox:1',
  shell: 'localhost/berth-busybox:1',
  python: 'localhost/berth-builder-python:bookworm',
  'java-maven': 'localhost/berth-builder-maven:bookworm',
  go: 'localhost/berth-builder-go:bookworm',
};

/** Where dependency caches live inside the build container, as environment variables. */
export const cacheEnv: Record<PipelineTemplate, Record<string, string>> = {
  node: { npm_config_cache: '/cache/npm' },
  python: { PIP_CACHE_DIR: '/cache/pip' },
  'java-maven': { MAVEN_OPTS: '-Dmaven.repo.local=/cache/m2' },
  go: { GOMODCACHE: '/cache/go/mod', GOCACHE: '/cache/go/build' },
  static: {},
  shell: {},
  dockerfile: {},
};

/** The template's runtime environment (also set in the pre layer so pre scripts see it). */
function runtimeEnv(template: PipelineTemplate): Record<string, string> {
  if (template === 'node') return { NODE_PATH: '/app/node_modules' };
  if (template === 'go') return { GOPATH: '/tmp/go', GOFLAGS: '-modcacherw' };
  return {};
}

function envLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `ENV ${k}=${JSON.stringify(v)}`);
}

/** Inputs of the pre-processing layer. */
export interface PreLayerInput {
  template: Exclude<PipelineTemplate, 'dockerfile'>;
  baseImage: string;
  preScript: string;
  /** Manifest file name → content, as found at the repository root. */
  manifests: Record<string, Buffer>;
}

/** The pre layer's content hash: it changes only when one of its inputs changes. */
export function preLayerHash(input: PreLayerInput): string {
  const h = createHash('sha256');
  // `confined-app`: layers built before RUN steps were confined, or before the build user owned
  // /app, are never reused.
  h.update(
    `confined-app\0template\0${input.template}\0base\0${input.baseImage}\0script\0${input.preScript}\0`,
  );
  for (const name of Object.keys(input.manifests).sort()) {
    h.update(`file\0${name}\0`);
    h.update(input.manifests[name]!);
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The pre-processing layer: the builder image, the dependency manifests in /app and the pre
 * script run once as the build user. Its context holds `manifests/` and `berth/pre.sh`. RUN steps
 * have no capabilities (confined builds), so ownership is set by COPY, never by RUN chown.
 */
export function preDockerfile(template: Exclude<PipelineTemplate, 'dockerfile'>, baseImage: string): string {
  return [
    `FROM ${baseImage}`,
    'USER 0',
    // The context's manifests/app/ lands on /app: copying the directory itself (not its content)
    // makes COPY --chown own /app, which the builder image already has as root's; the build user
    // then creates files there (npm writes package-lock.json).
    `COPY --chown=${buildUid}:${buildUid} manifests/ /`,
    'COPY berth/ /berth/',
    `USER ${buildUid}`,
    'WORKDIR /app',
    'ENV HOME=/tmp',
    ...envLines(runtimeEnv(template)),
    'RUN ["/bin/sh", "/berth/pre.sh"]',
    '',
  ].join('\n');
}

/** Image assembly: the pre image plus the artifact (context `artifact/`), run as the build user. */
export function imageDockerfile(opts: {
  template: Exclude<PipelineTemplate, 'dockerfile'>;
  preImage: string;
  startCommand: string;
  port: number;
}): string {
  const start = opts.startCommand.trim() || defaultStartCommand[opts.template];
  return [
    `FROM ${opts.preImage}`,
    `COPY --chown=${buildUid}:${buildUid} artifact/ /app/`,
    `USER ${buildUid}`,
    'WORKDIR /app',
    'ENV HOME=/tmp',
    `ENV PORT=${opts.port}`,
    `EXPOSE ${opts.port}`,
    `CMD ${JSON.stringify(['/bin/sh', '-c', start])}`,
    '',
  ].join('\n');
}

/**
 * Builder images for the Debian-based templates, built from the Debian minbase image
 * (runtime-notes §4) when a pipeline of that template first builds.
 */
export const debianBuilderPackages: Record<'python' | 'java-maven' | 'go', string[]> = {
  python: ['python3', 'python3-pip', 'python3-venv'],
  'java-maven': ['maven', 'default-jdk-headless'],
  go: ['golang-go', 'ca-certificates', 'git'],
};

export const debianBaseImage = 'localhost/berth-debian:bookworm-minbase';

/** The Dockerfile of a Debian builder image (no user value in it: the package list is fixed). */
export function debianBuilderDockerfile(template: 'python' | 'java-maven' | 'go'): string {
  const pkgs = debianBuilderPackages[template].join(' ');
  return [
    `FROM ${debianBaseImage}`,
    `RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${pkgs} && apt-get clean && rm -rf /var/lib/apt/lists/*`,
    `RUN useradd -u ${buildUid} -m app || true`,
    '',
  ].join('\n');
}

/** The node builder: the runtime image plus the host's npm (the runtime image has only node). */
export function nodeBuilderDockerfile(runtimeImage: string): string {
  return [
    `FROM ${runtimeImage}`,
    'COPY npm/ /usr/lib/node_modules/npm/',
    'COPY npm.sh /usr/bin/npm',
    'COPY npx.sh /usr/bin/npx',
    '',
  ].join('\n');
}
