import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  makeProject,
  startPlatform,
  userWithRole,
  type TestApi,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;

describe('access to services, idempotency, and two instances side by side', () => {
  let p: TestPlatform;
  let other: TestPlatform;
  let baseA: string;
  let baseB: string;
  let viewer: TestApi;
  let dev: TestApi;

  before(async () => {
    [p, other] = await Promise.all([startPlatform(), startPlatform()]);
    baseA = await makeProject(p.api, 'alpha');
    baseB = await makeProject(p.api, 'beta');
    const a = await p.api.post<{ task: Obj }>(baseA, { name: 'web', spec: webSpec('a', 1) });
    const b = await p.api.post<{ task: Obj }>(baseB, { name: 'web', spec: webSpec('b', 1) });
    await Promise.all([waitTask(p.api, a.body.task.id as string), waitTask(p.api, b.body.task.id as string)]);
    viewer = await userWithRole(p, 'vera', 'viewer', 'alpha');
    dev = await userWithRole(p, 'dave', 'developer', 'alpha');
  });
  after(async () => {
    await Promise.all([p?.close(), other?.close()]);
  });

  it('lets a viewer read but not change a service, and audits the denial', async () => {
    assert.equal((await viewer.get(`${baseA}/web`)).status, 200);
    const denied = await viewer.post(`${baseA}/web/scale`, { replicas: 2 });
    assert.equal(denied.status, 403);
    assert.match((denied.body.error as Obj).message as string, /services:write/);
    const svc = await p.api.get(`${baseA}/web`);
    assert.equal(svc.body.replicas, 1, 'nothing changed');
    const audit = await p.api.get<{ items: Obj[] }>('/api/v1/audit?actor=vera&action=services.scale');
    assert.equal(audit.body.items.length, 1);
    assert.equal(audit.body.items[0]!.result, 'denied');
    assert.equal(audit.body.items[0]!.statusCode, 403);
  });

  it('hides project B from a developer of project A', async () => {
    assert.equal((await dev.get(`${baseB}/web`)).status, 404);
    assert.equal((await dev.get(baseB)).status, 404);
    assert.equal((await dev.post(`${baseB}/web/restart`, {})).status, 404);
    const projects = await dev.get<{ items: Obj[] }>('/api/v1/projects');
    assert.deepEqual(
      projects.body.items.map((x) => x.name),
      ['alpha'],
    );
    const denied = await p.api.get<{ items: Obj[] }>('/api/v1/audit?actor=dave&action=services.restart');
    assert.equal(denied.body.items[0]?.result, 'denied');
    const scaled = await dev.post<{ task: Obj }>(`${baseA}/web/scale`, { replicas: 2 });
    assert.equal(scaled.status, 202);
    assert.equal((await waitTask(dev, scaled.body.task.id as string)).state, 'succeeded');
  });

  it('does not let a developer run a service as root', async () => {
    const r = await dev.put(`${baseA}/web`, { spec: { ...webSpec('a', 2), runAsRoot: true } });
    assert.equal(r.status, 403);
    assert.match((r.body.error as Obj).message as string, /services:exec-root/);
  });

  it('replays a POST sent again with the same Idempotency-Key', async () => {
    const body = { name: 'once', spec: webSpec('o', 1) };
    const first = await p.api.call<Obj>('POST', baseA, body, { 'Idempotency-Key': 'create-once-1' });
    const again = await p.api.call<Obj>('POST', baseA, body, { 'Idempotency-Key': 'create-once-1' });
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual((again.body.task as Obj).id, (first.body.task as Obj).id);
    const without = await p.api.post(baseA, body);
    assert.equal(without.status, 409, 'a retry without the key is a conflict');
  });

  it('runs beside a second instance on the same Podman without touching its containers', async () => {
    const base = await makeProject(other.api, 'alpha');
    const r = await other.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('other', 1) });
    assert.equal((await waitTask(other.api, r.body.task.id as string)).state, 'succeeded');
    const mine = await p.engine.listContainers({ 'berth.instance': p.instanceId });
    const theirs = await p.engine.listContainers({ 'berth.instance': other.instanceId });
    assert.ok(mine.length >= 3 && theirs.length === 1);
    const stop = await other.api.post<{ task: Obj }>(`${base}/web/stop`, {});
    await waitTask(other.api, stop.body.task.id as string);
    assert.equal((await p.engine.listContainers({ 'berth.instance': other.instanceId })).length, 0);
    assert.equal(
      (await p.engine.listContainers({ 'berth.instance': p.instanceId })).length,
      mine.length,
      'the first instance kept its containers',
    );
    assert.equal((await p.api.get(`${baseA}/web`)).body.status, 'healthy');
  });
});

describe('the OpenAPI document', () => {
  it('documents every registered route with its permission', async () => {
    const p = await startPlatform();
    try {
      const doc = await p.api.get<{
        openapi: string;
        paths: Record<string, Record<string, Record<string, unknown>>>;
      }>('/api/openapi.json');
      assert.equal(doc.status, 200);
      assert.equal(doc.body.openapi, '3.1.0');
      const documented = Object.entries(doc.body.paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
      );
      const registered = p.server.routes.map(
        (r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`,
      );
      assert.deepEqual(documented.map((d) => d.key).sort(), [...new Set(registered)].sort());
      for (const { key, op } of documented) {
        assert.ok(typeof op['x-permission'] === 'string', `${key} declares its permission`);
        assert.ok(
          typeof op.operationId === 'string' && typeof op.summary === 'string',
          `${key} has an id and summary`,
        );
      }
      const create = doc.body.paths['/api/v1/projects/{project}/envs/{env}/services']!.post!;
      assert.equal(create['x-permission'], 'services:write');
      assert.ok(JSON.stringify(create.requestBody).includes('replicas'), 'request schemas are included');
    } finally {
      await p.close();
    }
  });
});
