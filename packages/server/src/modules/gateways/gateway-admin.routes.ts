import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  BerthError,
  ConflictError,
  NotFoundError,
  createGatewayNodeRequestSchema,
  createGatewayRequestSchema,
  gatewayAgentStatusRequestSchema,
  gatewayRolloutRequestSchema,
  gatewaySnippetsRequestSchema,
  nameSchema,
  updateGatewayRequestSchema,
  type GatewaySnippets,
} from '@berth/shared';
import type { Db } from '../../db/database';
import type { RouteRegistry } from '../../http/route';
import { newId, nowIso } from '../../util';
import type { GatewayApplier } from './gateway-applier';
import type { GatewayNodes } from './gateway-nodes';
import type { GatewayRow, GatewaysRepository } from './gateways.repository';
import { toVersion, type GatewaysService } from './gateways.service';

const base = '/api/v1/gateways';
const gatewayParams = z.object({ gateway: nameSchema }).strict();
const nodeParams = gatewayParams.extend({ node: nameSchema }).strict();
const platform = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };

export interface GatewayAdminDeps {
  db: Db;
  repo: GatewaysRepository;
  svc: GatewaysService;
  applier: GatewayApplier;
  nodes: GatewayNodes;
  gatewayDir: string;
  /** Default listener of a new gateway's configuration (agents substitute their own). */
  defaultListen: string;
  defaultSuffix: string;
  /** The gateway Berth runs itself, if any: its listeners come from the config. */
  localGateway: string | null;
  toGateway: (g: GatewayRow) => Promise<object>;
}

/**
 * Gateway administration (create, update, delete, admin snippets), nodes, rollouts and the
 * agent protocol. Writes need platform:admin; the agent authenticates with its node token.
 */
export function registerGatewayAdminRoutes(registry: RouteRegistry, d: GatewayAdminDeps): void {
  const gateway = async (name: string) => {
    const g = await d.repo.findGateway(name);
    if (!g) throw new NotFoundError('NOT_FOUND', `Gateway '${name}' does not exist.`);
    return g;
  };
  const checkVersion = (g: GatewayRow, version: number | undefined) => {
    if (version !== undefined && version !== g.version)
      throw new ConflictError(
        'The gateway changed since you read it; read it again and retry with its current version.',
        { currentVersion: g.version },
        'VERSION_CONFLICT',
      );
  };
  /** Applies the gateway's configuration now, as an admin change recorded as a version. */
  const applyNow = (g: GatewayRow, author: string, reason: string, snippets?: GatewaySnippets) =>
    d.applier.enqueue(g.id, async () => {
      const routes = await d.repo.routesOfEnv(g.env);
      return d.svc.applyWith(
        g,
        routes,
        { author, reason, change: null, routesAfter: routes, force: true },
        snippets,
      );
    });

  registry.add({
    id: 'gateways.create',
    method: 'POST',
    url: base,
    summary: 'Create a gateway (an Nginx cluster) for an environment',
    tags: ['gateways'],
    access: platform,
    body: createGatewayRequestSchema,
    target: { kind: 'gateway', name: (_p, b) => b.name },
    response: { status: 201, description: 'The gateway and its first version' },
    async handler({ body, actor }) {
      if (await d.repo.findGateway(body.name))
        throw new ConflictError(`Gateway '${body.name}' already exists.`, undefined, 'ALREADY_EXISTS');
      const env = await d.db
        .selectFrom('environments')
        .select('name')
        .where('name', '=', body.env)
        .executeTakeFirst();
      if (!env)
        throw new BerthError(
          'UNPROCESSABLE',
          `Environment '${body.env}' does not exist; create it first or pick an existing one.`,
        );
      const other = await d.repo.gatewayForEnv(body.env);
      if (other)
        throw new ConflictError(
          `Environment '${body.env}' already has gateway '${other.name}'; an environment has one gateway (add nodes to it instead).`,
          undefined,
          'ALREADY_EXISTS',
        );
      const now = nowIso();
      const row: GatewayRow = {
        id: newId(),
        name: body.name,
        env: body.env,
        listen: body.listen ?? d.defaultListen,
        tls_listen: body.tlsListen ?? null,
        domain_suffix: body.domainSuffix ?? d.defaultSuffix,
        applied_version: 0,
        last_version: 0,
        created_at: now,
        updated_at: now,
        created_by: actor.name,
        version: 1,
      };
      await d.repo.insertGateway(row);
      await d.nodes.store.saveSettings(row.id, {
        description: body.description ?? '',
        snippets: { http: [], server: [] },
        rolloutMode: body.rolloutMode ?? 'auto',
        releasedVersion: null,
      });
      try {
        await applyNow(row, actor.name, `create gateway ${row.name}`);
      } catch (err) {
        await d.db.deleteFrom('gateways').where('id', '=', row.id).execute();
        throw err;
      }
      return { status: 201, body: await d.toGateway((await d.repo.findGateway(row.name)) ?? row) };
    },
  });

  registry.add({
    id: 'gateways.update',
    method: 'PUT',
    url: `${base}/:gateway`,
    summary: 'Change a gateway (listeners, description, rollout mode); checks its version',
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    body: updateGatewayRequestSchema,
    target: { kind: 'gateway' },
    async handler({ params, body, actor }) {
      const g = await gateway(params.gateway);
      checkVersion(g, body.version);
      const listen = body.listen ?? g.listen;
      const tlsListen = body.tlsListen === undefined ? g.tls_listen : body.tlsListen;
      const listenersChanged = listen !== g.listen || tlsListen !== g.tls_listen;
      if (listenersChanged && g.name === d.localGateway)
        throw new ConflictError(
          `The listeners of gateway '${g.name}' come from BERTH_GATEWAY_LISTEN and BERTH_GATEWAY_TLS_LISTEN; change them there.`,
        );
      const next: GatewayRow = {
        ...g,
        listen,
        tls_listen: tlsListen,
        updated_at: nowIso(),
        version: g.version + 1,
      };
      if (listenersChanged) await applyNow(next, actor.name, `update gateway ${g.name}`);
      const r = await d.db
        .updateTable('gateways')
        .set({ listen, tls_listen: tlsListen, updated_at: next.updated_at, version: next.version })
        .where('id', '=', g.id)
        .where('version', '=', g.version)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1)
        throw new ConflictError(
          'The gateway changed meanwhile; read it again and retry.',
          undefined,
          'VERSION_CONFLICT',
        );
      const s = await d.nodes.store.settings(g.id);
      await d.nodes.store.saveSettings(g.id, {
        ...s,
        description: body.description ?? s.description,
        ...(body.rolloutMode && body.rolloutMode !== s.rolloutMode
          ? {
              rolloutMode: body.rolloutMode,
              releasedVersion: body.rolloutMode === 'staged' ? g.applied_version : null,
            }
          : {}),
      });
      if (body.rolloutMode === 'auto') await d.nodes.store.pin(g.id, null, null);
      d.nodes.notify(g.id);
      return d.toGateway(await gateway(g.name));
    },
  });

  registry.add({
    id: 'gateways.delete',
    method: 'DELETE',
    url: `${base}/:gateway`,
    summary: 'Delete a gateway; refused while routes of its environment exist',
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    target: { kind: 'gateway' },
    async handler({ params }) {
      const g = await gateway(params.gateway);
      if (g.name === d.localGateway)
        throw new ConflictError(
          `Gateway '${g.name}' is run by Berth itself; set BERTH_GATEWAY_LISTEN=off to remove it.`,
        );
      const routes = await d.repo.routesOfEnv(g.env);
      if (routes.length > 0)
        throw new ConflictError(
          `Gateway '${g.name}' still serves ${routes.length} route(s) of environment '${g.env}' (e.g. ${routes[0]?.project}/${routes[0]?.name}); delete them first.`,
          { routes: routes.length },
        );
      await d.db.deleteFrom('gateways').where('id', '=', g.id).execute();
      await rm(path.join(d.gatewayDir, g.name), { recursive: true, force: true });
      await rm(path.join(d.gatewayDir, `${g.name}.scratch`), { recursive: true, force: true });
      d.nodes.gatewayDeleted(g.name);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'gateways.snippets',
    method: 'PUT',
    url: `${base}/:gateway/snippets`,
    summary: 'Set the vetted admin directives of a gateway; validated by Nginx and recorded as a version',
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    body: gatewaySnippetsRequestSchema,
    target: { kind: 'gateway' },
    async handler({ params, body, actor }) {
      const g = await gateway(params.gateway);
      checkVersion(g, body.version);
      const s = await d.nodes.store.settings(g.id);
      const snippets: GatewaySnippets = {
        http: body.http ?? s.snippets.http,
        server: body.server ?? s.snippets.server,
      };
      const v = await d.applier.enqueue(g.id, async () => {
        const routes = await d.repo.routesOfEnv(g.env);
        const fresh = (await d.repo.findGateway(g.name)) ?? g;
        const row = await d.svc.applyWith(
          fresh,
          routes,
          {
            author: actor.name,
            reason: body.reason ?? `set snippets of ${g.name}`,
            change: null,
            routesAfter: routes,
            force: true,
          },
          snippets,
        );
        await d.nodes.store.saveSettings(g.id, { ...(await d.nodes.store.settings(g.id)), snippets });
        return row;
      });
      await d.db
        .updateTable('gateways')
        .set({ version: g.version + 1, updated_at: nowIso() })
        .where('id', '=', g.id)
        .execute();
      return {
        gateway: await d.toGateway(await gateway(g.name)),
        gatewayVersion: v ? toVersion(v, g.name, false) : null,
      };
    },
  });

  registry.add({
    id: 'gateways.nodes',
    method: 'GET',
    url: `${base}/:gateway/nodes`,
    summary: 'Nodes of a gateway with their state (in-sync, behind, failed, offline)',
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    async handler({ params }) {
      return { items: await d.nodes.list(await gateway(params.gateway)), nextCursor: null };
    },
  });

  registry.add({
    id: 'gateways.nodes.create',
    method: 'POST',
    url: `${base}/:gateway/nodes`,
    summary: 'Add a node; answers its agent token once',
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    body: createGatewayNodeRequestSchema,
    target: { kind: 'gateway-node', name: (p, b) => `${p.gateway}/${b.name}` },
    response: { status: 201, description: 'The node and its token (shown once)' },
    async handler({ params, body, actor }) {
      return { status: 201, body: await d.nodes.add(await gateway(params.gateway), body.name, actor.name) };
    },
  });

  registry.add({
    id: 'gateways.nodes.delete',
    method: 'DELETE',
    url: `${base}/:gateway/nodes/:node`,
    summary: 'Remove a node; its token stops working',
    tags: ['gateways'],
    access: platform,
    params: nodeParams,
    target: { kind: 'gateway-node' },
    async handler({ params }) {
      await d.nodes.remove(await gateway(params.gateway), params.node);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'gateways.rollout',
    method: 'POST',
    url: `${base}/:gateway/rollout`,
    summary: 'Roll a version out to some nodes first (they are held at it), or to every node',
    tags: ['gateways'],
    access: platform,
    params: gatewayParams,
    body: gatewayRolloutRequestSchema,
    target: { kind: 'gateway' },
    async handler({ params, body }) {
      return d.nodes.rollout(await gateway(params.gateway), body.version, body.nodes);
    },
  });

  registry.add({
    id: 'gatewayAgent.config',
    method: 'GET',
    url: '/api/v1/gateway-agent/config',
    summary: "Long poll of a node's wanted configuration (node token as Bearer); 204 when nothing changed",
    tags: ['gateway-agent'],
    // The node token is checked by the handler: agents have no user and no permissions.
    access: 'public',
    query: z
      .object({
        after: z.coerce.number().int().min(0).optional(),
        revision: z.coerce.number().int().min(0).optional(),
        /** The config version whose files the node has: unchanged files are not sent again. */
        config: z.coerce.number().int().min(0).optional(),
        /** The endpoint set the node holds: a newer set of the same files comes as a delta from it. */
        base: z.coerce.number().int().min(1).optional(),
        wait: z.coerce.number().int().min(0).max(60).default(30),
      })
      .strict(),
    async handler({ query, req }) {
      const cfg = await d.nodes.poll(
        req.headers.authorization,
        query.after,
        query.revision,
        query.wait,
        query.config,
        query.base,
      );
      return cfg ?? { status: 204 };
    },
  });

  registry.add({
    id: 'gatewayAgent.status',
    method: 'POST',
    url: '/api/v1/gateway-agent/status',
    summary: 'An agent reports the version it runs and whether the last one applied',
    tags: ['gateway-agent'],
    access: 'public',
    body: gatewayAgentStatusRequestSchema,
    target: { kind: 'gateway-node', name: () => 'agent' },
    async handler({ body, req }) {
      return d.nodes.report(req.headers.authorization, body, req.ip, body.waitSeconds);
    },
  });
}
