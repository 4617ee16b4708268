import { readFile } from 'node:fs/promises';
import {
  clusterExposures,
  clusterKinds,
  clusterNameSchema,
  defaultPublishAddress,
  createClusterRequestSchema,
  patchClusterRequestSchema,
  patchEnvRequestSchema,
  type Cluster,
  type ClusterCredentials,
  type ClusterRegistryCheck,
  type Environment,
} from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { formatAge, formatBytes, type Column } from '../output';

const base = '/api/v1/clusters';
const one = (name: string) => `${base}/${encodeURIComponent(name)}`;

const endpointOption: OptionSpec = {
  name: 'endpoint',
  kind: 'string',
  value: 'URL',
  description:
    "podman: unix:///run/podman/podman.sock or ssh://user@host[:port]/run/podman/podman.sock; kubernetes: https://host:6443 (the kubeconfig's API server) or in-cluster",
};
const kindOption: OptionSpec = {
  name: 'kind',
  kind: 'string',
  value: clusterKinds.join('|'),
  description: 'what the cluster is: a Podman engine (default) or a Kubernetes API server',
};
const kubernetesOptions: OptionSpec[] = [
  {
    name: 'kubeconfig',
    kind: 'string',
    value: 'FILE',
    description:
      "kubernetes: a kubeconfig whose current context is Berth's user (token or client certificate inline; sealed, never shown again)",
  },
  {
    name: 'exposure',
    kind: 'string',
    value: clusterExposures.join('|'),
    description:
      'kubernetes: how gateways reach pods — pod-ip when gateway nodes are in the cluster network, node-port otherwise (default)',
  },
  {
    name: 'gateway-cidr',
    kind: 'list',
    value: 'CIDR',
    description:
      "kubernetes: an address range of Berth's gateway nodes that its namespaces let in (repeatable)",
  },
];
/** Registration only: a cluster keeps its namespace prefix. */
const namespacePrefixOption: OptionSpec = {
  name: 'namespace-prefix',
  kind: 'string',
  value: 'PREFIX',
  description:
    'kubernetes: namespaces are PREFIX-<project>-<env>-<hash> (default: no prefix); needed for a second cluster on the same API server; cannot be changed later',
};
const credentialOptions: OptionSpec[] = [
  { name: 'ssh-key', kind: 'string', value: 'FILE', description: 'the ssh private key (ssh:// endpoints)' },
  {
    name: 'known-hosts',
    kind: 'string',
    value: 'FILE',
    description: "known_hosts lines with the host's key (ssh:// endpoints)",
  },
];
const addressOptions: OptionSpec[] = [
  {
    name: 'publish-address',
    kind: 'string',
    value: 'IP',
    description:
      "the host's IPv4 address container ports are published on, where gateways reach them (default 127.0.0.1; never 0.0.0.0)",
  },
  {
    name: 'registry',
    kind: 'string',
    value: 'HOST[:PORT]',
    description: "where this cluster reaches Berth's registry when its own address does not work from there",
  },
];
const labelOption: OptionSpec = {
  name: 'label',
  kind: 'list',
  value: 'K=V',
  description: 'a label (repeatable); on update, K- removes one',
};

function capacityText(c: Cluster): string {
  if (!c.capacity) return '-';
  const u = c.capacity.used;
  return `${u.cpus}/${c.capacity.cpus} cpu, ${formatBytes(u.memoryBytes)}/${formatBytes(c.capacity.memoryBytes)}`;
}

function flags(c: Cluster): string {
  const f = [c.cordoned ? 'cordoned' : '', c.draining ? 'draining' : ''].filter(Boolean);
  return f.length > 0 ? f.join(',') : '-';
}

const columns: Column<Cluster>[] = [
  { header: 'NAME', value: (c) => c.name },
  { header: 'STATE', value: (c) => c.state },
  { header: 'FLAGS', value: flags },
  { header: 'LATENCY', value: (c) => (c.latencyMs === null ? '-' : `${c.latencyMs}ms`) },
  { header: 'USED/CAPACITY', value: capacityText },
  { header: 'CONTAINERS', value: (c) => (c.capacity ? String(c.capacity.used.containers) : '-') },
  {
    header: 'LABELS',
    value: (c) =>
      Object.entries(c.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-',
  },
  { header: 'CHECKED', value: (c) => (c.lastCheckedAt ? formatAge(c.lastCheckedAt) : 'never') },
];

function details(ctx: CommandContext, c: Cluster): void {
  ctx.out.line(`name:         ${c.name}${c.builtIn ? ' (built-in)' : ''}`);
  ctx.out.line(`kind:         ${c.kind}${c.engineVersion ? ` (${c.engineVersion})` : ''}`);
  if (c.endpoint !== null)
    ctx.out.line(`endpoint:     ${c.endpoint}${c.hasCredentials ? ' (credentials set)' : ''}`);
  if (c.kind === 'kubernetes') {
    ctx.out.line(
      `exposure:     ${c.exposure ?? '-'}${c.exposure === 'pod-ip' ? ' (gateways reach pod IPs)' : ' (gateways reach NodePorts)'}`,
    );
    ctx.out.line(`gateway CIDRs: ${(c.gatewayCidrs ?? []).join(', ') || '-'}`);
    ctx.out.line(
      `namespaces:   ${c.namespacePrefix ? `${c.namespacePrefix}-<project>-<env>-…` : '<project>-<env>-… (no prefix)'}`,
    );
  } else ctx.out.line(`publish:      ${c.publishAddress ?? defaultPublishAddress}`);
  ctx.out.line(`registry:     ${c.registry ?? "- (the registry's own address)"}`);
  ctx.out.line(`state:        ${c.state}${c.message ? ` — ${c.message}` : ''}`);
  ctx.out.line(`registry check: ${registryCheckText(c.registryCheck ?? null)}`);
  ctx.out.line(`latency:      ${c.latencyMs === null ? '-' : `${c.latencyMs} ms`}`);
  ctx.out.line(`checked:      ${c.lastCheckedAt ?? 'never'}`);
  ctx.out.line(`cordoned:     ${c.cordoned ? 'yes (no new replicas)' : 'no'}`);
  ctx.out.line(`draining:     ${c.draining ? 'yes (replicas are to move away)' : 'no'}`);
  if (c.capacity) {
    const cap = c.capacity;
    ctx.out.line(
      `capacity:     ${cap.cpus} cpu, ${formatBytes(cap.memoryBytes)} memory, ${formatBytes(cap.allocatableMemoryBytes)} allocatable`,
    );
    ctx.out.line(
      `used (Berth): ${cap.used.cpus} cpu, ${formatBytes(cap.used.memoryBytes)} memory, ${cap.used.containers} container(s)`,
    );
  } else ctx.out.line('capacity:     unknown (not checked yet)');
  const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
  ctx.out.line(`labels:       ${labels.join(', ') || '-'}`);
  if (c.placed) {
    ctx.out.line(
      `placed:       ${c.placed.map((p) => `${p.project}/${p.env}/${p.service} ×${p.containers}`).join(', ') || '-'}`,
    );
  }
}

/** "ok (localhost:5000, 2026-…)", "FAILED (…) — what failed and the fix", "not checked …". */
function registryCheckText(check: ClusterRegistryCheck | null): string {
  if (!check) return '- (not checked: the embedded registry is off, or no check ran yet)';
  const where = `${check.registry}, ${check.checkedAt}`;
  if (check.ok === true) return `ok (${where})`;
  if (check.ok === false) return `FAILED (${where}) — ${check.message}`;
  return `not checked (${where}) — ${check.message}`;
}

function show(ctx: CommandContext, c: Cluster, sentence?: string): number {
  // accepted but probably wrong (a loopback publish address on another host): on stderr
  for (const w of c.warnings ?? []) ctx.out.warn(w);
  if (ctx.out.json) ctx.out.printJson(c);
  else if (sentence) ctx.out.line(sentence);
  else details(ctx, c);
  return 0;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
  }
}

/** --ssh-key FILE / --known-hosts FILE / --kubeconfig FILE, or undefined when none is given. */
async function credentials(ctx: CommandContext): Promise<ClusterCredentials | undefined> {
  const key = ctx.args.string('ssh-key');
  const known = ctx.args.string('known-hosts');
  const kubeconfig = ctx.args.string('kubeconfig');
  if (key === undefined && known === undefined && kubeconfig === undefined) return undefined;
  return {
    ...(key === undefined ? {} : { privateKey: await readText(key, 'ssh key') }),
    ...(known === undefined ? {} : { knownHosts: await readText(known, 'known hosts') }),
    ...(kubeconfig === undefined ? {} : { kubeconfig: await readText(kubeconfig, 'kubeconfig') }),
  };
}

/** --label k=v (and, with `removals`, k- to remove). */
function labels(ctx: CommandContext, removals: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const l of ctx.args.list('label')) {
    const eq = l.indexOf('=');
    if (eq > 0) out[l.slice(0, eq)] = l.slice(eq + 1);
    else if (removals && l.endsWith('-') && l.length > 1) out[l.slice(0, -1)] = null;
    else throw ctx.usageError(`--label ${l}: write KEY=VALUE${removals ? ' (or KEY- to remove it)' : ''}`);
  }
  return out;
}

function nameArg(ctx: CommandContext): string {
  return validate(clusterNameSchema, ctx.arg(0), 'cluster name');
}

function flagCommand(
  action: 'cordon' | 'uncordon' | 'drain' | 'undrain',
  summary: string,
  done: string,
): CommandDef {
  return {
    name: `clusters ${action}`,
    usage: 'NAME',
    summary,
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const name = nameArg(ctx);
      const c = await (await ctx.client()).post<Cluster>(`${one(name)}/${action}`);
      return show(ctx, c, `cluster ${c.name} ${done}`);
    },
  };
}

/** `clusters add` (also `clusters create`): registers a podman or kubernetes cluster. */
const addCommand: CommandDef = {
  name: 'clusters add',
  usage:
    'NAME --endpoint URL [--kind podman|kubernetes] [--ssh-key FILE --known-hosts FILE] [--kubeconfig FILE] [--exposure pod-ip|node-port] [--gateway-cidr CIDR]… [--namespace-prefix PREFIX] [--publish-address IP] [--registry HOST[:PORT]] [--label K=V]…',
  summary:
    'register a cluster (platform admins): a Podman engine or a Kubernetes API server; its first health check starts at once',
  positionals: { min: 1, max: 1 },
  options: [
    endpointOption,
    kindOption,
    ...credentialOptions,
    ...kubernetesOptions,
    namespacePrefixOption,
    ...addressOptions,
    labelOption,
  ],
  async run(ctx) {
    const endpoint = ctx.args.string('endpoint');
    if (!endpoint) throw ctx.usageError('--endpoint URL is needed');
    const cidrs = ctx.args.list('gateway-cidr');
    const body = validate(
      createClusterRequestSchema,
      {
        name: ctx.arg(0),
        kind: ctx.args.string('kind') ?? 'podman',
        endpoint,
        credentials: await credentials(ctx),
        labels: labels(ctx, false),
        publishAddress: ctx.args.string('publish-address'),
        registry: ctx.args.string('registry'),
        exposure: ctx.args.string('exposure'),
        gatewayCidrs: cidrs.length > 0 ? cidrs : undefined,
        namespacePrefix: ctx.args.string('namespace-prefix'),
      },
      'cluster',
    );
    const c = await (await ctx.client()).post<Cluster>(base, body);
    return show(ctx, c, `cluster ${c.name} added; check its state with: berth clusters get ${c.name}`);
  },
};

/** clusters …: the registry of clusters (platform admins change it; everybody reads it). */
export const clusterCommands: CommandDef[] = [
  {
    name: 'clusters list',
    usage: '[--label K=V]…',
    summary: 'list clusters: state, latency, capacity and what Berth uses of it',
    positionals: { min: 0, max: 0 },
    options: [{ ...labelOption, description: 'only clusters with this label (repeatable; all must match)' }],
    async run(ctx) {
      const page = await (
        await ctx.client()
      ).get<{ items: Cluster[]; nextCursor: string | null }>(base, { label: ctx.args.list('label') });
      if (ctx.out.json) ctx.out.printJson(page);
      else ctx.out.table(page.items, columns, 'no clusters');
      return 0;
    },
  },
  {
    name: 'clusters get',
    usage: 'NAME',
    summary: 'show a cluster: health, capacity, flags and the services placed on it',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      return show(ctx, await (await ctx.client()).get<Cluster>(one(nameArg(ctx))));
    },
  },
  addCommand,
  {
    ...addCommand,
    name: 'clusters create',
    summary: 'the same as `clusters add`: register a cluster (platform admins)',
  },
  {
    name: 'clusters update',
    usage:
      'NAME [--endpoint URL] [--ssh-key FILE] [--known-hosts FILE] [--kubeconfig FILE] [--no-credentials] [--exposure pod-ip|node-port] [--gateway-cidr CIDR]… [--no-gateway-cidrs] [--publish-address IP] [--registry HOST[:PORT] | --no-registry] [--label K=V|K-]…',
    summary: "change a cluster's endpoint, credentials, exposure, addresses or labels (platform admins)",
    positionals: { min: 1, max: 1 },
    options: [
      endpointOption,
      ...credentialOptions,
      { name: 'no-credentials', kind: 'boolean', description: 'remove the stored credentials' },
      ...kubernetesOptions,
      { name: 'no-gateway-cidrs', kind: 'boolean', description: 'kubernetes: forget the gateway CIDRs' },
      ...addressOptions,
      {
        name: 'no-registry',
        kind: 'boolean',
        description: "pull from the registry's own address again (forget --registry)",
      },
      labelOption,
    ],
    async run(ctx) {
      const name = nameArg(ctx);
      const creds = await credentials(ctx);
      const patch: Record<string, unknown> = {};
      const endpoint = ctx.args.string('endpoint');
      if (endpoint !== undefined) patch.endpoint = endpoint;
      if (ctx.args.bool('no-credentials')) {
        if (creds)
          throw ctx.usageError(
            '--no-credentials cannot be combined with --ssh-key/--known-hosts/--kubeconfig',
          );
        patch.credentials = null;
      } else if (creds) patch.credentials = creds;
      const publishAddress = ctx.args.string('publish-address');
      if (publishAddress !== undefined) patch.publishAddress = publishAddress;
      const registry = ctx.args.string('registry');
      if (ctx.args.bool('no-registry')) {
        if (registry !== undefined) throw ctx.usageError('--no-registry cannot be combined with --registry');
        patch.registry = null;
      } else if (registry !== undefined) patch.registry = registry;
      const exposure = ctx.args.string('exposure');
      if (exposure !== undefined) patch.exposure = exposure;
      const cidrs = ctx.args.list('gateway-cidr');
      if (ctx.args.bool('no-gateway-cidrs')) {
        if (cidrs.length > 0)
          throw ctx.usageError('--no-gateway-cidrs cannot be combined with --gateway-cidr');
        patch.gatewayCidrs = null;
      } else if (cidrs.length > 0) patch.gatewayCidrs = cidrs;
      const l = labels(ctx, true);
      if (Object.keys(l).length > 0) patch.labels = l;
      if (Object.keys(patch).length === 0)
        throw ctx.usageError(
          'nothing to change: give --endpoint, --ssh-key, --known-hosts, --kubeconfig, --no-credentials, --exposure, --gateway-cidr, --no-gateway-cidrs, --publish-address, --registry, --no-registry or --label',
        );
      const body = validate(patchClusterRequestSchema, patch, 'cluster');
      const c = (await (await ctx.client()).request<Cluster>('PATCH', one(name), { body })).body;
      return show(ctx, c, `cluster ${c.name} updated`);
    },
  },
  {
    name: 'clusters remove',
    usage: 'NAME',
    summary: 'remove a cluster (refused while an environment names it or containers run on it)',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const name = nameArg(ctx);
      await (await ctx.client()).delete(one(name));
      if (!ctx.out.json) ctx.out.line(`cluster ${name} removed`);
      else ctx.out.printJson({ removed: name });
      return 0;
    },
  },
  flagCommand('cordon', 'cordon a cluster: no new replicas are placed on it', 'cordoned: no new replicas'),
  flagCommand('uncordon', 'uncordon a cluster: new replicas may be placed on it', 'uncordoned'),
  flagCommand(
    'drain',
    'drain a cluster: its replicas are to move to other clusters (the fleet controller moves them)',
    'is draining',
  ),
  flagCommand('undrain', 'stop draining a cluster', 'is no longer draining'),
  {
    name: 'clusters check',
    usage: 'NAME',
    summary: 'run a health check of a cluster now and show the result',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const c = await (await ctx.client()).post<Cluster>(`${one(nameArg(ctx))}/check`);
      show(ctx, c);
      return c.state === 'ready' ? 0 : 1;
    },
  },
  {
    name: 'envs list',
    usage: '',
    summary: 'list environments with their clusters and failover grace',
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const page = await (await ctx.client()).get<{ items: Environment[] }>('/api/v1/envs');
      if (ctx.out.json) ctx.out.printJson(page);
      else
        ctx.out.table(
          page.items,
          [
            { header: 'NAME', value: (e) => e.name },
            { header: 'CLUSTERS', value: (e) => (e.clusters ?? ['local']).join(',') },
            { header: 'FAILOVER GRACE', value: (e) => `${e.failover?.graceSeconds ?? 60}s` },
          ],
          'no environments',
        );
      return 0;
    },
  },
  {
    name: 'envs set-clusters',
    usage: 'ENV CLUSTER[,CLUSTER…] [--grace SECONDS]',
    summary: "name the clusters an environment's services may run on (platform admins)",
    positionals: { min: 2, max: 2 },
    options: [
      { name: 'grace', kind: 'string', value: 'SECONDS', description: 'failover grace period (10-86400)' },
    ],
    async run(ctx) {
      const env = ctx.arg(0);
      const clusters = ctx
        .arg(1)
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      const grace = ctx.args.string('grace');
      const body = validate(
        patchEnvRequestSchema,
        {
          clusters,
          ...(grace === undefined
            ? {}
            : { failover: { graceSeconds: parseInteger(grace, '--grace', 10, 86400) } }),
        },
        'environment',
      );
      const e = (
        await (
          await ctx.client()
        ).request<Environment>('PATCH', `/api/v1/envs/${encodeURIComponent(env)}`, { body })
      ).body;
      if (ctx.out.json) ctx.out.printJson(e);
      else
        ctx.out.line(
          `environment ${e.name} runs on ${e.clusters.join(', ')} (failover grace ${e.failover.graceSeconds}s)`,
        );
      return 0;
    },
  },
];
