import type {
  Container,
  ContainerState,
  Release,
  ReleaseSpec,
  Service,
  ServiceEvent,
  ServiceStatus,
} from '@berth/shared';
import { parseJson } from '../../util';
import type { ContainerRow, ReleaseRow, ServiceRow } from './services.repository';
import type { Selectable } from 'kysely';
import type { EventsTable } from '../../db/schema';

/** A release spec as stored: secret env values are sealed strings. */
export function storedSpec(release: Pick<ReleaseRow, 'spec'>): ReleaseSpec {
  return parseJson<ReleaseSpec>(release.spec, {} as ReleaseSpec);
}

/** Secrets are write-only: the API shows `value: null, isSet: true`. */
export function publicSpec(spec: ReleaseSpec): ReleaseSpec {
  return {
    ...spec,
    env: spec.env.map((e) =>
      e.secret ? { name: e.name, value: null, secret: true, isSet: Boolean(e.value) } : e,
    ),
  };
}

export function toService(row: ServiceRow, release: Pick<ReleaseRow, 'spec'> | undefined): Service {
  const spec = release ? publicSpec(storedSpec(release)) : ({} as ReleaseSpec);
  return {
    name: row.name,
    project: row.project,
    env: row.env,
    displayName: row.display_name,
    replicas: row.replicas,
    stopped: row.stopped === 1,
    release: row.release,
    stableRelease: row.stable_release,
    spec: { ...spec, replicas: row.replicas },
    status: row.status as ServiceStatus,
    readyReplicas: row.ready_replicas,
    message: row.message,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    version: row.version,
  };
}

export function toRelease(row: ReleaseRow, serviceName: string): Release {
  return {
    service: serviceName,
    number: row.number,
    spec: publicSpec(storedSpec(row)),
    imageDigest: row.image_digest,
    reason: row.reason,
    state: row.state as Release['state'],
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export function toContainer(row: ContainerRow, serviceName: string): Container {
  return {
    name: row.name,
    id: row.engine_id,
    service: serviceName,
    release: row.release,
    cluster: row.cluster,
    node: row.node,
    ip: row.ip,
    endpoints: parseJson<Record<string, string>>(row.endpoints, {}),
    image: row.image,
    imageDigest: row.image_digest,
    state: row.state as ContainerState,
    ready: row.ready === 1,
    inRotation: row.in_rotation === 1,
    restarts: row.restarts,
    createdAt: row.created_at,
    startedAt: row.started_at,
    stoppedAt: row.stopped_at,
    exitCode: row.exit_code,
    exitReason: row.exit_reason,
  };
}

export function toEvent(
  row: Selectable<EventsTable>,
  serviceName: string,
  cluster: string | null = null,
): ServiceEvent {
  return {
    id: row.id,
    at: row.at,
    service: serviceName,
    container: row.container,
    cluster,
    type: row.type,
    severity: row.severity as ServiceEvent['severity'],
    message: row.message,
    source: row.source === 'kubernetes' ? 'kubernetes' : 'berth',
    ...(row.object ? { object: row.object } : {}),
    ...(row.count ? { count: row.count } : {}),
  };
}

/** A container receives traffic when it is ready, in rotation and not draining. */
export function isServing(row: ContainerRow): boolean {
  return row.state === 'ready' && row.ready === 1 && row.in_rotation === 1;
}
