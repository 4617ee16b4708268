/**
 * Cron jobs on a Kubernetes cluster (issue 14, docs/kubernetes.md, docs/cronjobs.md), through
 * Berth's API against the test API server (docs/kubernetes-testing.md): a job of an environment
 * whose first cluster is Kubernetes runs each attempt as a bare pod in the environment's
 * namespace; the run ends succeeded or failed from the pod's exit code, its output is kept after
 * the pod is deleted; what such a run cannot have (a user name, a volume of another cluster) is
 * refused at admission. (What a run applies before its pod — the namespace, its mounts'
 * ConfigMaps and claims — is tested at the engine, engine-kubernetes/test/volume-data.test.ts.)
 */
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJobView, CronRunView } from '@berth/shared';
import { namespaceName } from '@berth/engine-kubernetes';
import { startFakeApiServer, type FakeApiServer } from '@berth/engine-kubernetes/testing';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;

const podAddress = (pod: { metadata: { annotations?: Record<string, string> } }, port: number) => {
  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
  return host ? `127.0.0.1:${host}` : null;
};

describe('cron jobs on a Kubernetes cluster (test API server)', () => {
  let fake: FakeApiServer;
  let p: TestPlatform;
  const base = '/api/v1/projects/kcron/envs/test/cronjobs';
  const ns = namespaceName('kcron', 'test');
  /** Every pod the cron scheduler created, as the API server first saw it. */
  const started: { name: string; args: string[] }[] = [];

  const pods = () =>
    new Promise<{ metadata: { name: string; labels?: Record<string, string> } }[]>((resolve, reject) => {
      const req = https.request(
        `${fake.url}/api/v1/namespaces/${ns}/pods?labelSelector=berth.cron-run`,
        { headers: { Authorization: `Bearer ${fake.token}` }, rejectUnauthorized: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve((JSON.parse(text) as { items?: [] }).items ?? []));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const create = async (name: string, spec: Obj) => {
    const r = await p.api.post<CronJobView>(base, {
      name,
      spec: { image: testImage, schedule: '0 0 1 1 *', user: '1000', ...spec },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const runNow = async (name: string) => {
    const r = await p.api.post<CronRunView>(`${base}/${name}/run`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body;
  };
  const finished = (name: string, id: string) =>
    eventually(async () => {
      const r = await p.api.get<{ items: CronRunView[] }>(`${base}/${name}/runs`);
      const run = r.body.items.find((x) => x.id === id);
      return run && ['succeeded', 'failed'].includes(run.state) ? run : null;
    }, `run ${id} of ${name} finished`);

  before(async () => {
    // the pods' "process": the job's shell line says how it ends
    fake = await startFakeApiServer({
      bookmarkIntervalMs: 200,
      podProgram: (pod) => {
        if (!pod.labels['berth.cron-run']) return null;
        started.push({ name: pod.name, args: pod.args });
        const line = pod.args.join(' ');
        const code = /exit (\d+)/.exec(line)?.[1];
        return { output: `ran ${pod.name}\nbye\n`, exitCode: code ? Number(code) : 0 };
      },
    });
    p = await startPlatform({ BERTH_CLUSTER_CHECK_SECONDS: '1' }, { build: { kubernetes: { podAddress } } });
    const c = await p.api.post('/api/v1/clusters', {
      name: 'k1',
      kind: 'kubernetes',
      endpoint: fake.url,
      credentials: { kubeconfig: fake.kubeconfig },
      exposure: 'pod-ip',
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    // k1 first: the environment's cron runs go to its first cluster
    const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['k1', 'local'] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    await makeProject(p.api, 'kcron');
    const cls = await p.api.put('/api/v1/volume-classes/standard', { kind: 'local' });
    assert.ok([200, 201].includes(cls.status), JSON.stringify(cls.body));
  });
  after(async () => {
    await p?.close();
    await fake?.close();
  });

  it('refuses a user name and a volume of another cluster for runs on Kubernetes, naming the field', async () => {
    const named = await p.api.post<{ error: { details: { fields: { path: string }[] } } }>(base, {
      name: 'named',
      spec: { image: testImage, schedule: '@daily', user: 'nobody' },
    });
    assert.equal(named.status, 400, JSON.stringify(named.body));
    assert.equal(named.body.error.details.fields[0]?.path, 'spec.user');
    // a local volume on Podman cluster `local`: its data is not what a pod on k1 would mount
    const v = await p.api.post(`/api/v1/projects/kcron/envs/test/volumes`, {
      name: 'elsewhere',
      class: 'standard',
      sizeMiB: 8,
      cluster: 'local',
    });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    const other = await p.api.post<{ error: { message: string; details: { fields: { path: string }[] } } }>(
      base,
      {
        name: 'other',
        spec: {
          image: testImage,
          schedule: '@daily',
          user: '1000',
          mounts: [{ volume: 'elsewhere', path: '/x' }],
        },
      },
    );
    assert.equal(other.status, 400, JSON.stringify(other.body));
    assert.equal(other.body.error.details.fields[0]?.path, 'spec.placement');
    assert.match(other.body.error.message, /can run on cluster 'local' only/);
  });

  it('runs succeed and fail from the pod’s exit code, with their output kept after the pod is deleted', async () => {
    // a service of the environment on k1: from now on its applies keep the namespace
    const svc = await p.api.post<{ task: { id: string } }>('/api/v1/projects/kcron/envs/test/services', {
      name: 'web',
      spec: {
        image: testImage,
        ports: [{ containerPort: 8080 }],
        replicas: 1,
        user: '1000',
        placement: { clusters: [{ name: 'k1', weight: 1 }], division: 'weighted' },
      },
    });
    assert.equal(svc.status, 202, JSON.stringify(svc.body));
    assert.equal((await waitTask(p.api, svc.body.task.id)).state, 'succeeded');

    await create('report', { command: ['sh', '-c'], args: ['echo report'] });
    await create('broken', {
      command: ['sh', '-c'],
      args: ['echo broken; exit 3'],
      retries: 1,
      backoffSeconds: 1,
    });
    const [ok, bad] = await Promise.all([runNow('report'), runNow('broken')]);
    const okRun = await finished('report', ok.id);
    assert.equal(okRun.state, 'succeeded', JSON.stringify(okRun));
    assert.equal(okRun.attempts[0]?.cluster, 'k1');
    assert.equal(okRun.attempts[0]?.exitCode, 0);
    assert.equal(okRun.attempts[0]?.exitReason, 'Completed');
    const badRun = await finished('broken', bad.id);
    assert.equal(badRun.state, 'failed', JSON.stringify(badRun));
    assert.deepEqual(
      badRun.attempts.map((a) => [a.number, a.exitCode, a.exitReason]),
      [
        [1, 3, 'Error (exit 3)'],
        [2, 3, 'Error (exit 3)'],
      ],
      'one retry, each attempt its own pod',
    );
    const podName = okRun.attempts[0].container;
    assert.ok(
      started.some((s) => s.name === podName && s.args.join(' ') === 'echo report'),
      'the attempt ran as a pod',
    );
    const logs = await p.api.get<{ lines: { text: string }[]; live: boolean }>(
      `${base}/report/runs/${ok.id}/logs`,
    );
    assert.equal(logs.status, 200, JSON.stringify(logs.body));
    assert.equal(logs.body.live, false);
    assert.deepEqual(
      logs.body.lines.map((l) => l.text),
      [`ran ${podName}`, 'bye'],
    );
    // every attempt's pod is deleted once its output is kept
    await eventually(async () => (await pods()).length === 0, 'no cron pods left on k1');
  });
});
