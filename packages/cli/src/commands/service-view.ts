import type { Probe, Release, Service } from '@berth/shared';
import { formatAge, formatTime, renderFields, type Column } from '../output';

/** Columns of `services list`. */
export const serviceColumns: Column<Service>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'STATUS', value: (s) => s.status },
  { header: 'READY', value: (s) => `${s.readyReplicas}/${s.replicas}` },
  { header: 'RELEASE', value: (s) => s.release, align: 'right' },
  { header: 'IMAGE', value: (s) => s.spec.image },
  { header: 'UPDATED', value: (s) => formatAge(s.updatedAt) },
];

/** Columns of `releases`. */
export const releaseColumns: Column<Release>[] = [
  { header: 'RELEASE', value: (r) => r.number, align: 'right' },
  { header: 'STATE', value: (r) => r.state },
  { header: 'IMAGE', value: (r) => r.spec.image },
  { header: 'CREATED', value: (r) => formatTime(r.createdAt) },
  { header: 'BY', value: (r) => r.createdBy },
  { header: 'REASON', value: (r) => r.reason },
];

/** A health check in one phrase: `http /healthz :8080 every 2s`. */
export function probeText(probe: Probe | undefined): string | undefined {
  if (!probe) return undefined;
  const target =
    probe.type === 'exec'
      ? JSON.stringify(probe.command ?? [])
      : `${probe.type === 'http' ? `${probe.path ?? '/'} ` : ''}${probe.port ? `:${probe.port}` : '(first port)'}`;
  return `${probe.type} ${target} every ${probe.periodSeconds}s, ${probe.failureThreshold} failures`;
}

/** The fields `services get` shows. */
export function renderService(s: Service): string {
  const { spec } = s;
  const env = spec.env.map((e) =>
    e.secret ? `${e.name}=(secret${e.isSet === false ? ', not set' : ''})` : `${e.name}=${e.value ?? ''}`,
  );
  const resources = [
    spec.resources.cpu !== undefined ? `cpu ${spec.resources.cpu}` : '',
    spec.resources.memoryMiB !== undefined ? `memory ${spec.resources.memoryMiB}MiB` : '',
  ].filter(Boolean);
  return renderFields([
    ['name', s.displayName && s.displayName !== s.name ? `${s.name} (${s.displayName})` : s.name],
    ['project', s.project],
    ['env', s.env],
    ['status', `${s.stopped ? 'stopped' : s.status} (${s.readyReplicas}/${s.replicas} ready)`],
    ['message', s.message],
    [
      'release',
      `${s.release}${s.stableRelease !== null && s.stableRelease !== s.release ? ` (stable: ${s.stableRelease})` : ''}`,
    ],
    ['image', spec.image],
    [
      'ports',
      spec.ports.map((p) => (p.name ? `${p.name}:${p.containerPort}` : String(p.containerPort))).join(', '),
    ],
    ['command', spec.command ? JSON.stringify(spec.command) : undefined],
    ['args', spec.args ? JSON.stringify(spec.args) : undefined],
    ['env vars', env.join(', ')],
    ['resources', resources.join(', ')],
    ['readiness', probeText(spec.readiness)],
    ['liveness', probeText(spec.liveness)],
    [
      'rollout',
      spec.rollout
        ? `max surge ${spec.rollout.maxSurge}, max unavailable ${spec.rollout.maxUnavailable}`
        : undefined,
    ],
    ['updated', `${formatTime(s.updatedAt)} by ${s.updatedBy}`],
    ['version', s.version],
  ]);
}
