/**
 * API deploy of a 3-replica service until all are ready, against the same three containers
 * created directly through the libpod API until each answers HTTP. Prints both and the ratio.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { PodmanEngine } from '@berth/engine-podman';
import { eventually, makeProject, startPlatform, webSpec } from '../packages/server/test/helpers/platform';

const rounds = Number(process.env.BENCH_ROUNDS_DEPLOY ?? 5);

function answers(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const req = http.get(
      { host: address.slice(0, i), port: Number(address.slice(i + 1)), path: '/index.html', agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
  });
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const platform = await startPlatform({ BERTH_RECONCILE_INTERVAL_MS: '1000' });
const base = await makeProject(platform.api, 'bench');
const engine = new PodmanEngine({
  socketPath: process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock',
});
const spec = webSpec('bench', 3);
const apiTimes: number[] = [];
const directTimes: number[] = [];
try {
  for (let r = 0; r < rounds; r += 1) {
    const name = `d${r}`;
    const s = performance.now();
    const res = await platform.api.post(base, { name, spec });
    if (res.status !== 202) throw new Error(JSON.stringify(res.body));
    await eventually(
      async () => (await platform.api.get(`${base}/${name}`)).body.readyReplicas === 3,
      'ready',
      60_000,
      20,
    );
    apiTimes.push(performance.now() - s);
    await platform.api.delete(`${base}/${name}`);

    const tag = randomBytes(3).toString('hex');
    const d = performance.now();
    const ids = await Promise.all(
      [0, 1, 2].map((i) =>
        engine.runContainer({
          name: `bench-direct-${tag}-${i}`,
          image: spec.image,
          command: spec.command,
          env: { VERSION: 'bench' },
          labels: { 'berth.bench': tag },
          ports: [{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: 0 }],
          user: '65534:65534',
        }),
      ),
    );
    const obs = await Promise.all(ids.map((id) => engine.inspectContainer(id)));
    await Promise.all(obs.map((o) => eventually(() => answers(o!.ports['8080']!), 'direct http', 30_000, 5)));
    directTimes.push(performance.now() - d);
    await Promise.all(ids.map((id) => engine.removeContainer(id)));
  }
} finally {
  await platform.close();
}
const a = median(apiTimes);
const b = median(directTimes);
console.log(
  `deploy 3 replicas via Berth API to all-ready: median ${a.toFixed(0)} ms  (${apiTimes.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(
  `same 3 containers via libpod API to HTTP 200: median ${b.toFixed(0)} ms  (${directTimes.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(`ratio Berth / direct: ${(a / b).toFixed(2)}x`);
