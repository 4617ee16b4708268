/**
 * TCP entry points are versioned like routes: an entry point change makes a gateway
 * configuration version whose diff shows the stream.conf change, and rolling the gateway back to
 * a version restores the env's entry points as they were then (migration 0021) — the entry point
 * the API shows and the stream.conf the gateway serves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { testDialects } from './helpers/db';
import { freePort, rawHttpGet } from './helpers/net';

type Obj = Record<string, unknown>;
interface Version {
  number: number;
  kind: string;
  state: string;
  reason: string;
  author: string;
  diff?: string;
  endpoints?: string;
}
interface EntryPoint {
  serviceName: string;
  servicePort: number;
  timeoutSeconds: number | null;
  version: number;
}

for (const dialect of testDialects())
  describe(`TCP entry points: versions and rollback (${dialect})`, () => {
    let p: GatewayPlatform;
    let base: string;

    before(async () => {
      p = await startGatewayPlatform({}, dialect);
      base = await makeProject(p.api, 'tcpver');
      for (const [name, page] of [
        ['alpha', 'a1'],
        ['beta', 'b1'],
      ] as const) {
        const r = await p.api.post<{ task: Obj }>(base, { name, spec: webSpec(page, 1) });
        assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
      }
    });
    after(async () => {
      await p?.close();
    });

    it('a change is a version with the stream.conf diff; a rollback restores the entry point and its stream.conf', async () => {
      const port = await freePort();
      const host = p.listen.slice(0, p.listen.lastIndexOf(':'));
      const epUrl = `/api/v1/projects/tcpver/envs/test/entry-points`;
      const versions = async () =>
        (await p.api.get<{ items: Version[] }>('/api/v1/gateways/local/versions?kind=config&limit=50')).body
          .items;
      const version = async (n: number) =>
        (await p.api.get<Version>(`/api/v1/gateways/local/versions/${n}`)).body;
      /** The applied config version made for `reason`; its stream.conf must say `line`. */
      const versionWith = async (reason: string, line: string) => {
        const v = (await versions()).find((x) => x.state === 'applied' && x.reason === reason);
        assert.ok(v, `an applied version '${reason}'`);
        const full = await version(v.number);
        assert.ok(full.endpoints?.includes(line), `version ${v.number} serves ${line}`);
        return full;
      };
      const served = () =>
        readFileSync(path.join(p.dataDir, 'gateway', 'local', 'conf', 'stream.conf'), 'utf8');

      assert.equal(
        (await p.api.post('/api/v1/envs/test/entry-ports', { project: 'tcpver', protocol: 'tcp', port }))
          .status,
        201,
      );
      const c = await p.api.post<EntryPoint>(epUrl, {
        protocol: 'tcp',
        port,
        serviceName: 'alpha',
        servicePort: 8080,
        timeoutSeconds: 100,
      });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      const first = await versionWith(`create entry point tcp/${port}`, 'proxy_timeout 100s;');
      assert.equal(first.author, 'admin');
      assert.match(first.diff ?? '', new RegExp(`\\+ +listen ${host.replace(/\./g, '\\.')}:${port};`));
      await eventually(async () => (await rawHttpGet(host, port).catch(() => '')) === 'a1', 'alpha over TCP');

      // the change: another service and another idle timeout
      const u = await p.api.put<EntryPoint>(`${epUrl}/tcp/${port}`, {
        version: c.body.version,
        serviceName: 'beta',
        timeoutSeconds: 200,
      });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      const second = await versionWith(`update entry point tcp/${port}`, 'proxy_timeout 200s;');
      assert.ok(second.number > first.number);
      assert.match(second.diff ?? '', /- +proxy_timeout 100s;/);
      assert.match(second.diff ?? '', /\+ +proxy_timeout 200s;/);
      await eventually(async () => (await rawHttpGet(host, port).catch(() => '')) === 'b1', 'beta over TCP');

      // roll back to the first version: the entry point is alpha with 100 s again
      const rb = await p.api.post<{ gatewayVersion: Version }>(
        `/api/v1/gateways/local/versions/${first.number}/rollback`,
        {},
      );
      assert.equal(rb.status, 200, JSON.stringify(rb.body));
      assert.match(rb.body.gatewayVersion.reason, /rollback to version/);
      const now = await p.api.get<EntryPoint>(`${epUrl}/tcp/${port}`);
      assert.equal(now.status, 200, JSON.stringify(now.body));
      assert.equal(now.body.serviceName, 'alpha');
      assert.equal(now.body.timeoutSeconds, 100);
      assert.ok(now.body.version > u.body.version, 'the entry point version moved on');
      assert.match(served(), /proxy_timeout 100s;/);
      const rolled = await version(rb.body.gatewayVersion.number);
      assert.match(rolled.diff ?? '', /\+ +proxy_timeout 100s;/);
      assert.equal(await rawHttpGet(host, port), 'a1', 'alpha answers again');

      // rolling back to a version from before the entry point existed removes it
      const before = (await versions()).find((v) => v.state === 'applied' && v.number < first.number);
      assert.ok(before, 'a config version older than the entry point');
      const rb2 = await p.api.post(`/api/v1/gateways/local/versions/${before.number}/rollback`, {});
      assert.equal(rb2.status, 200, JSON.stringify(rb2.body));
      assert.equal((await p.api.get(`${epUrl}/tcp/${port}`)).status, 404);
      await eventually(
        async () =>
          await rawHttpGet(host, port)
            .then(() => false)
            .catch(() => true),
        'the port is closed',
      );

      // the port released since: a rollback to the version that used it is refused, nothing changes
      assert.equal((await p.api.delete(`/api/v1/envs/test/entry-ports/tcp/${port}`)).status, 204);
      const count = (await versions()).length;
      const refused = await p.api.post<{ error: { message: string } }>(
        `/api/v1/gateways/local/versions/${first.number}/rollback`,
        {},
      );
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.match(
        JSON.stringify(refused.body),
        new RegExp(`tcp/${port} of project 'tcpver'.*no longer assigned`),
      );
      assert.equal((await p.api.get(`${epUrl}/tcp/${port}`)).status, 404);
      assert.equal((await versions()).length, count, 'no version was recorded');
    });
  });
