import { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  assignPortsSchema,
  assignmentPorts,
  createEntryPointSchema,
  entryPointProtocolSchema,
  firstUnprivilegedPort,
  nameSchema,
  updateEntryPointSchema,
  type EntryPointProtocol,
} from '@berth/shared';
import type { Db } from '../../db/database';
import type { RouteRegistry } from '../../http/route';
import type { GatewayServices } from './gateways.service';
import type { EntryPointChange } from './entry-points';
import { nowIso } from '../../util';
import { envParams, projectScope } from '../services/service-params';
import {
  toEntryPointView,
  toPortView,
  type EntryPointRow,
  type EntryPointsRepository,
} from './entry-points.repository';

/*
 * TCP and UDP entry points (docs/gateway.md): platform admins assign ports of an env to projects;
 * a project maps an assigned port to a port of one of its services. Tenancy is a wall: a project
 * sees only its own ports and entry points, and a port or service of another project answers as
 * if it did not exist (the owner is named to platform admins only).
 */

const adminBase = '/api/v1/envs/:env/entry-ports';
const projectBase = '/api/v1/projects/:project/envs/:env';
const platform = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };
const adminEnvParams = z.object({ env: nameSchema }).strict();
const portField = z.coerce.number().int().min(1).max(65535);
const adminPortParams = adminEnvParams
  .extend({ protocol: entryPointProtocolSchema, port: portField })
  .strict();
const entryParams = envParams.extend({ protocol: entryPointProtocolSchema, port: portField }).strict();
const deleteQuery = z.object({ version: z.coerce.number().int().min(1).optional() }).strict();

const defaults = { maxFails: 1, failTimeoutSeconds: 10 };

/** The port of an IPV4:PORT listener, or null. */
function listenerPort(listen: string | null): number | null {
  const m = listen ? /:(\d{1,5})$/.exec(listen) : null;
  return m ? Number(m[1]) : null;
}

export function registerEntryPointRoutes(
  registry: RouteRegistry,
  db: Db,
  repo: EntryPointsRepository,
  services: GatewayServices,
  /**
   * An env's entry points change: inside its gateway's apply queue the change is stored, then
   * rendered into a configuration version by the author (validated, recorded, installed); when
   * Nginx refuses it the change is undone there and the error thrown. Stored and applied in one
   * turn of the queue, so no system apply in between can take the change into its own version.
   */
  onChange: (env: string, author: string, reason: string, change: EntryPointChange) => Promise<unknown> = (
    _env,
    _author,
    _reason,
    change,
  ) => change.store(),
): void {
  const apply = onChange;
  const envExists = async (env: string) => {
    const row = await db.selectFrom('environments').select('name').where('name', '=', env).executeTakeFirst();
    if (!row) throw new NotFoundError('NOT_FOUND', `Environment '${env}' does not exist.`);
  };

  /** The ports the env's gateways listen on themselves (HTTP and TLS listeners). */
  const gatewayPorts = async (env: string) => {
    const rows = await db
      .selectFrom('gateways')
      .select(['name', 'listen', 'tls_listen'])
      .where('env', '=', env)
      .execute();
    const out = new Map<number, string>();
    for (const g of rows)
      for (const l of [g.listen, g.tls_listen]) {
        const p = listenerPort(l);
        if (p !== null) out.set(p, g.name);
      }
    return out;
  };

  // ---- platform admin: port assignments ----

  registry.add({
    id: 'entryPorts.list',
    method: 'GET',
    url: adminBase,
    summary: 'List the ports of an environment assigned to projects for TCP/UDP entry points',
    tags: ['entry-points'],
    access: platform,
    params: adminEnvParams,
    async handler({ params }) {
      const [ports, points] = await Promise.all([
        repo.portsOfEnv(params.env),
        repo.entryPointsOfEnv(params.env),
      ]);
      const used = new Set(points.map((e) => `${e.protocol}/${e.port}`));
      return { items: ports.map((r) => toPortView(r, used.has(`${r.protocol}/${r.port}`))) };
    },
  });

  registry.add({
    id: 'entryPorts.assign',
    method: 'POST',
    url: adminBase,
    summary: 'Assign a port or a range of ports (at most 1000) of an environment to a project',
    tags: ['entry-points'],
    access: platform,
    params: adminEnvParams,
    body: assignPortsSchema,
    target: {
      kind: 'entry-port',
      name: (p, b) => `${p.env}/${b.protocol}/${b.port ?? `${b.from}-${b.to}`}->${b.project}`,
    },
    response: { status: 201, description: 'The ports assigned' },
    async handler({ params, body, actor }) {
      await envExists(params.env);
      const project = await db
        .selectFrom('projects')
        .select('name')
        .where('name', '=', body.project)
        .executeTakeFirst();
      if (!project)
        throw new InvalidError(`Project '${body.project}' does not exist.`, [
          { path: 'project', message: `project '${body.project}' does not exist` },
        ]);
      const ports = assignmentPorts(body);
      const field = body.port !== undefined ? 'port' : 'from';
      const low = ports.find((p) => p < firstUnprivilegedPort);
      if (low !== undefined && !body.allowPrivileged)
        throw new InvalidError(
          `Port ${low} is below ${firstUnprivilegedPort}; such ports usually belong to the host's own services (SSH, DNS, mail). Send "allowPrivileged": true to assign it anyway.`,
          [
            {
              path: field,
              message: `port ${low} is below ${firstUnprivilegedPort}; set allowPrivileged to assign it`,
            },
          ],
        );
      const gw = await gatewayPorts(params.env);
      const clash = ports.find((p) => gw.has(p));
      if (clash !== undefined)
        throw new ConflictError(
          `Port ${clash} is a listener of gateway '${gw.get(clash)}' in environment '${params.env}'; pick another port.`,
          { fields: [{ path: field, message: `port ${clash} is the gateway's own listener` }] },
          'ALREADY_EXISTS',
        );
      const now = nowIso();
      const taken = await repo.assign(
        ports.map((port) => ({
          env: params.env,
          protocol: body.protocol,
          port,
          project: body.project,
          created_by: actor.name,
          created_at: now,
        })),
      );
      if (taken.length > 0) {
        const t = taken[0]!;
        throw new ConflictError(
          `Port ${t.port}/${t.protocol} of environment '${params.env}' is already assigned to project '${t.project}'` +
            `${taken.length > 1 ? ` (and ${taken.length - 1} more ports of the request are taken)` : ''}; release it first or pick other ports.`,
          { taken: taken.map((r) => ({ port: r.port, project: r.project })) },
          'ALREADY_EXISTS',
        );
      }
      return {
        status: 201,
        body: {
          items: ports.map((port) =>
            toPortView(
              {
                env: params.env,
                protocol: body.protocol,
                port,
                project: body.project,
                created_by: actor.name,
                created_at: now,
              },
              false,
            ),
          ),
        },
      };
    },
  });

  registry.add({
    id: 'entryPorts.release',
    method: 'DELETE',
    url: `${adminBase}/:protocol/:port`,
    summary: 'Release a port assignment (refused while an entry point uses the port)',
    tags: ['entry-points'],
    access: platform,
    params: adminPortParams,
    target: { kind: 'entry-port' },
    async handler({ params }) {
      const row = await repo.port(params.env, params.protocol, params.port);
      if (!row)
        throw new NotFoundError(
          'NOT_FOUND',
          `Port ${params.port}/${params.protocol} of environment '${params.env}' is not assigned.`,
        );
      const used = await repo.entryPoint(params.env, params.protocol, params.port);
      if (used)
        throw new ConflictError(
          `Port ${params.port}/${params.protocol} is used by an entry point of project '${used.project}' (to service '${used.service_name}'); the project deletes the entry point first.`,
          { project: used.project },
          'CONFLICT',
        );
      await repo.release(params.env, params.protocol, params.port);
      return { status: 204 };
    },
  });

  // ---- project: its ports and entry points ----

  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };

  /** The port, if it is the project's; otherwise the same answer whether it is another's or nobody's. */
  const ownPort = async (project: string, env: string, protocol: EntryPointProtocol, port: number) => {
    const row = await repo.port(env, protocol, port);
    if (!row || row.project !== project)
      throw new ForbiddenError(
        `Port ${port}/${protocol} of environment '${env}' is not assigned to project '${project}'; ask a platform admin to assign it (GET ${projectBase.replace(':project', project).replace(':env', env)}/entry-ports lists yours).`,
        { fields: [{ path: 'port', message: `port ${port}/${protocol} is not assigned to this project` }] },
      );
  };

  /** Checks the service is the project's and `servicePort` one of its container ports. */
  const checkService = async (project: string, env: string, name: string, port: number) => {
    const found = await services.findByPath(project, env, name);
    const svc = found && found.deleting === 0 ? found : undefined;
    if (!svc)
      throw new InvalidError(
        `Service '${name}' does not exist in project '${project}', environment '${env}'.`,
        [{ path: 'serviceName', message: `no service '${name}' in this project and environment` }],
      );
    const rel = await services.getRelease(svc.id, svc.release);
    const ports = rel ? ((JSON.parse(rel.spec) as { ports?: { containerPort: number }[] }).ports ?? []) : [];
    if (!ports.some((p) => p.containerPort === port))
      throw new InvalidError(
        `Service '${name}' does not declare container port ${port}${ports.length ? ` (it declares ${ports.map((p) => p.containerPort).join(', ')})` : ' (it declares no ports)'}.`,
        [{ path: 'servicePort', message: `service '${name}' has no container port ${port}` }],
      );
  };

  const own = async (p: { project: string; env: string; protocol: EntryPointProtocol; port: number }) => {
    const row = await repo.entryPoint(p.env, p.protocol, p.port);
    if (!row || row.project !== p.project)
      throw new NotFoundError(
        'NOT_FOUND',
        `Project '${p.project}' has no entry point on port ${p.port}/${p.protocol} in environment '${p.env}'.`,
      );
    return row;
  };

  const conflict = (current: number | undefined) =>
    new ConflictError(
      'The entry point changed since you read it; read it again and retry with its current version.',
      { currentVersion: current },
      'VERSION_CONFLICT',
    );

  registry.add({
    id: 'entryPorts.ofProject',
    method: 'GET',
    url: `${projectBase}/entry-ports`,
    summary: 'List the ports of an environment assigned to the project',
    tags: ['entry-points'],
    access: read,
    params: envParams,
    async handler({ params }) {
      const [ports, points] = await Promise.all([
        repo.portsOfEnv(params.env, params.project),
        repo.entryPointsOfEnv(params.env, params.project),
      ]);
      const used = new Set(points.map((e) => `${e.protocol}/${e.port}`));
      return { items: ports.map((r) => toPortView(r, used.has(`${r.protocol}/${r.port}`))) };
    },
  });

  registry.add({
    id: 'entryPoints.list',
    method: 'GET',
    url: `${projectBase}/entry-points`,
    summary: 'List the TCP/UDP entry points of a project in one environment',
    tags: ['entry-points'],
    access: read,
    params: envParams,
    async handler({ params }) {
      return { items: (await repo.entryPointsOfEnv(params.env, params.project)).map(toEntryPointView) };
    },
  });

  registry.add({
    id: 'entryPoints.get',
    method: 'GET',
    url: `${projectBase}/entry-points/:protocol/:port`,
    summary: 'Show an entry point',
    tags: ['entry-points'],
    access: read,
    params: entryParams,
    handler: async ({ params }) => toEntryPointView(await own(params)),
  });

  registry.add({
    id: 'entryPoints.create',
    method: 'POST',
    url: `${projectBase}/entry-points`,
    summary: "Map one of the project's assigned ports to a port of one of its services",
    tags: ['entry-points'],
    access: write,
    params: envParams,
    body: createEntryPointSchema,
    target: { kind: 'entry-point', name: (p, b) => `${p.project}/${p.env}/${b.protocol}/${b.port}` },
    response: { status: 201, description: 'The entry point' },
    async handler({ params, body, actor }) {
      await ownPort(params.project, params.env, body.protocol, body.port);
      await checkService(params.project, params.env, body.serviceName, body.servicePort);
      if (await repo.entryPoint(params.env, body.protocol, body.port))
        throw new ConflictError(
          `Port ${body.port}/${body.protocol} already has an entry point; update it instead.`,
          undefined,
          'ALREADY_EXISTS',
        );
      const now = nowIso();
      const row: EntryPointRow = {
        env: params.env,
        protocol: body.protocol,
        port: body.port,
        project: params.project,
        service_name: body.serviceName,
        service_port: body.servicePort,
        max_fails: body.maxFails ?? defaults.maxFails,
        fail_timeout_seconds: body.failTimeoutSeconds ?? defaults.failTimeoutSeconds,
        connect_timeout_seconds: body.connectTimeoutSeconds ?? null,
        timeout_seconds: body.timeoutSeconds ?? null,
        udp_responses: body.udpResponses ?? null,
        version: 1,
        created_by: actor.name,
        created_at: now,
        updated_at: now,
      };
      await apply(params.env, actor.name, `create entry point ${row.protocol}/${row.port}`, {
        store: async () => {
          try {
            await repo.insert(row);
          } catch (err) {
            if (await repo.entryPoint(params.env, body.protocol, body.port))
              throw new ConflictError(
                `Port ${body.port}/${body.protocol} already has an entry point.`,
                undefined,
                'ALREADY_EXISTS',
              );
            throw err;
          }
        },
        undo: () => repo.remove(row.env, row.protocol, row.port, row.version),
      });
      return { status: 201, body: toEntryPointView(row) };
    },
  });

  registry.add({
    id: 'entryPoints.update',
    method: 'PUT',
    url: `${projectBase}/entry-points/:protocol/:port`,
    summary: 'Change the service, port or health settings of an entry point (send its current version)',
    tags: ['entry-points'],
    access: write,
    params: entryParams,
    body: updateEntryPointSchema,
    target: { kind: 'entry-point' },
    async handler({ params, body, actor }) {
      const cur = await own(params);
      if (body.version !== cur.version) throw conflict(cur.version);
      const udp = cur.protocol === 'udp';
      const fields = [];
      if (udp && body.connectTimeoutSeconds != null)
        fields.push({ path: 'connectTimeoutSeconds', message: 'applies to TCP entry points only' });
      if (!udp && body.udpResponses != null)
        fields.push({ path: 'udpResponses', message: 'applies to UDP entry points only' });
      if (fields.length) throw new InvalidError('The request has invalid fields.', fields);
      const next: EntryPointRow = {
        ...cur,
        service_name: body.serviceName ?? cur.service_name,
        service_port: body.servicePort ?? cur.service_port,
        max_fails: body.maxFails ?? cur.max_fails,
        fail_timeout_seconds: body.failTimeoutSeconds ?? cur.fail_timeout_seconds,
        connect_timeout_seconds:
          body.connectTimeoutSeconds !== undefined ? body.connectTimeoutSeconds : cur.connect_timeout_seconds,
        timeout_seconds: body.timeoutSeconds !== undefined ? body.timeoutSeconds : cur.timeout_seconds,
        udp_responses: body.udpResponses !== undefined ? body.udpResponses : cur.udp_responses,
        version: cur.version + 1,
        updated_at: nowIso(),
      };
      if (next.service_name !== cur.service_name || next.service_port !== cur.service_port)
        await checkService(params.project, params.env, next.service_name, next.service_port);
      await apply(params.env, actor.name, `update entry point ${cur.protocol}/${cur.port}`, {
        store: async () => {
          if (!(await repo.update(next, cur.version)))
            throw conflict((await repo.entryPoint(params.env, params.protocol, params.port))?.version);
        },
        undo: () => repo.update(cur, next.version),
      });
      return toEntryPointView(next);
    },
  });

  registry.add({
    id: 'entryPoints.delete',
    method: 'DELETE',
    url: `${projectBase}/entry-points/:protocol/:port`,
    summary: 'Delete an entry point (the port stays assigned to the project)',
    tags: ['entry-points'],
    access: write,
    params: entryParams,
    query: deleteQuery,
    target: { kind: 'entry-point' },
    async handler({ params, query, actor }) {
      const cur = await own(params);
      if (query.version !== undefined && query.version !== cur.version) throw conflict(cur.version);
      await apply(params.env, actor.name, `delete entry point ${cur.protocol}/${cur.port}`, {
        store: async () => {
          if (!(await repo.remove(params.env, params.protocol, params.port, query.version ?? cur.version)))
            throw conflict((await repo.entryPoint(params.env, params.protocol, params.port))?.version);
        },
        undo: () => repo.insert(cur),
      });
      return { status: 204 };
    },
  });
}
