/**
 * A service of `localhost/berth-noshell:1` (scripts/test-images.sh: node and its libraries, no
 * shell, no tools, USER 1000) serving one line on port 8080 — the target of the debug-container
 * tests (server, CLI, browser).
 */
import assert from 'node:assert/strict';
import { eventually, type TestApi } from './platform';

export const noshellImage = 'localhost/berth-noshell:1';
export const noshellGreeting = 'hi from the target';

const server = `require('http').createServer((q,r)=>r.end('${noshellGreeting}\\n')).listen(8080)`;

/** Creates service `name` with one such replica under `base` (a services path) and waits until it is ready; returns the container's name. */
export async function startNoshellServer(api: TestApi, base: string, name = 'app'): Promise<string> {
  const created = await api.post(base, {
    name,
    spec: {
      image: noshellImage,
      command: ['node', '-e', server],
      ports: [{ containerPort: 8080 }],
      readiness: { type: 'tcp', periodSeconds: 1 },
      replicas: 1,
    },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const ready = await eventually(async () => {
    const r = await api.get<{ items: Array<{ name: string; state: string }> }>(`${base}/${name}/containers`);
    return r.body.items.find((c) => c.state === 'ready');
  }, `${name} ready`);
  return ready.name;
}
