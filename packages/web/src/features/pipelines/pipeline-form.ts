import type {
  CreatePipelineRequestInput,
  Pipeline,
  PipelineTemplate,
  RepoCredentialsInput,
  UpdatePipelineRequestInput,
} from '@berth/shared';
import './strings';

/** The pipeline form's values: the request, flattened so each input is one form field. */
export interface PipelineFormValues {
  name: string;
  targetEnv: string;
  targetService: string;
  repoUrl: string;
  repoRef: string;
  credKind: 'none' | 'token' | 'deploy-key';
  /** Editing a pipeline whose credentials are set: true replaces them, false keeps them. */
  replaceCredentials: boolean;
  credUsername: string;
  credToken: string;
  credKey: string;
  template: PipelineTemplate;
  preScript: string;
  buildScript: string;
  artifactPath: string;
  startCommand: string;
  port: number;
  dockerfile: string;
  timeoutSeconds: number;
}

export type TemplateDefaults = Pick<
  PipelineFormValues,
  'preScript' | 'buildScript' | 'artifactPath' | 'startCommand' | 'port' | 'dockerfile'
>;

const customDockerfile = `FROM localhost/berth-node:20
WORKDIR /app
COPY . .
USER 1000
EXPOSE 8080
CMD ["node", "server.js"]
`;

const none: TemplateDefaults = {
  preScript: '',
  buildScript: '',
  artifactPath: '.',
  startCommand: '',
  port: 8080,
  dockerfile: '',
};

/**
 * What a template starts with: the scripts most projects of that language need. The
 * pre-processing script installs dependencies (it is baked into a cached layer, rebuilt only
 * when it or the dependency manifests change); the build script compiles.
 */
export const templateDefaults: Record<PipelineTemplate, TemplateDefaults> = {
  static: { ...none, buildScript: '', artifactPath: '.' },
  node: {
    ...none,
    preScript: [
      'if [ -f package-lock.json ]; then',
      '  npm ci --omit=dev --no-audit --no-fund',
      'else',
      '  npm install --omit=dev --no-audit --no-fund',
      'fi',
    ].join('\n'),
    buildScript: 'npm run build --if-present',
  },
  python: {
    ...none,
    preScript:
      'if [ -f requirements.txt ]; then pip install --user --break-system-packages -r requirements.txt; fi',
    buildScript: 'python3 -m compileall -q .',
  },
  'java-maven': {
    ...none,
    preScript: 'mvn -B -q dependency:go-offline',
    buildScript: 'mvn -B -q -DskipTests package\nmkdir -p dist && cp target/*.jar dist/app.jar',
    artifactPath: 'dist',
  },
  go: {
    ...none,
    preScript: 'go mod download',
    buildScript: 'CGO_ENABLED=0 go build -o dist/app .',
    artifactPath: 'dist',
  },
  shell: { ...none, buildScript: 'echo "nothing to build: serving the repository as files"' },
  dockerfile: { ...none, dockerfile: customDockerfile },
};

/** Which fields a template uses (a custom Dockerfile replaces scripts, artifact and start command). */
export function templateUses(template: PipelineTemplate): {
  scripts: boolean;
  startCommand: boolean;
  dockerfile: boolean;
} {
  if (template === 'dockerfile') return { scripts: false, startCommand: false, dockerfile: true };
  return { scripts: true, startCommand: true, dockerfile: false };
}

/**
 * The values after the user picks another template: fields still holding the old template's
 * defaults (or empty) take the new template's; anything the user typed is kept.
 */
export function switchTemplate(
  values: TemplateDefaults,
  from: PipelineTemplate,
  to: PipelineTemplate,
): TemplateDefaults {
  const old = templateDefaults[from];
  const next = templateDefaults[to];
  const pick = <K extends keyof TemplateDefaults>(k: K): TemplateDefaults[K] =>
    values[k] === old[k] || values[k] === '' ? next[k] : values[k];
  return {
    preScript: pick('preScript'),
    buildScript: pick('buildScript'),
    artifactPath: pick('artifactPath'),
    startCommand: pick('startCommand'),
    port: pick('port'),
    dockerfile: pick('dockerfile'),
  };
}

export function toFormValues(p: Pipeline | null, env: string): PipelineFormValues {
  if (!p)
    return {
      name: '',
      targetEnv: env,
      targetService: '',
      repoUrl: '',
      repoRef: 'main',
      credKind: 'none',
      replaceCredentials: true,
      credUsername: '',
      credToken: '',
      credKey: '',
      template: 'node',
      timeoutSeconds: 900,
      ...templateDefaults.node,
    };
  return {
    name: p.name,
    targetEnv: p.target.env,
    targetService: p.target.service,
    repoUrl: p.repo.url,
    repoRef: p.repo.ref,
    credKind: p.repo.credentials.kind,
    replaceCredentials: !p.repo.credentials.isSet,
    credUsername: '',
    credToken: '',
    credKey: '',
    template: p.template,
    preScript: p.preScript,
    buildScript: p.buildScript,
    artifactPath: p.artifactPath,
    startCommand: p.startCommand,
    port: p.port,
    dockerfile: p.dockerfile,
    timeoutSeconds: p.timeoutSeconds,
  };
}

/** The credentials to send, or undefined to keep the stored ones (editing, not replacing). */
function credentials(v: PipelineFormValues, existing: Pipeline | null): RepoCredentialsInput | undefined {
  const stored = existing?.repo.credentials;
  if (stored?.isSet && !v.replaceCredentials && v.credKind === stored.kind) return undefined;
  if (v.credKind === 'token')
    return {
      kind: 'token',
      token: v.credToken,
      ...(v.credUsername.trim() ? { username: v.credUsername.trim() } : {}),
    };
  if (v.credKind === 'deploy-key') return { kind: 'deploy-key', privateKey: v.credKey };
  return { kind: 'none' };
}

function spec(v: PipelineFormValues, existing: Pipeline | null) {
  const creds = credentials(v, existing);
  return {
    target: { env: v.targetEnv, service: v.targetService.trim() },
    repo: { url: v.repoUrl.trim(), ref: v.repoRef.trim(), ...(creds ? { credentials: creds } : {}) },
    template: v.template,
    preScript: v.preScript,
    buildScript: v.buildScript,
    artifactPath: v.artifactPath.trim() || '.',
    startCommand: v.startCommand,
    port: Number(v.port),
    dockerfile: v.dockerfile,
    timeoutSeconds: Number(v.timeoutSeconds),
  };
}

export function toCreateRequest(v: PipelineFormValues): CreatePipelineRequestInput {
  return { name: v.name.trim(), ...spec(v, null) };
}

export function toUpdateRequest(v: PipelineFormValues, existing: Pipeline): UpdatePipelineRequestInput {
  return { ...spec(v, existing), version: existing.version };
}

const directFields: Record<string, keyof PipelineFormValues> = {
  name: 'name',
  'target.env': 'targetEnv',
  'target.service': 'targetService',
  'repo.url': 'repoUrl',
  'repo.ref': 'repoRef',
  'repo.credentials.kind': 'credKind',
  'repo.credentials.username': 'credUsername',
  'repo.credentials.token': 'credToken',
  'repo.credentials.privateKey': 'credKey',
  template: 'template',
  preScript: 'preScript',
  buildScript: 'buildScript',
  artifactPath: 'artifactPath',
  startCommand: 'startCommand',
  port: 'port',
  dockerfile: 'dockerfile',
  timeoutSeconds: 'timeoutSeconds',
};

/** The form field an API error path ("repo.url", "body.target.service") names, or null. */
export function pipelineFieldFor(path: string): keyof PipelineFormValues | null {
  const p = path.replace(/^body\./, '');
  if (p in directFields) return directFields[p]!;
  if (p === 'target') return 'targetService';
  if (p === 'repo') return 'repoUrl';
  if (p.startsWith('repo.credentials')) return 'credKind';
  return null;
}
