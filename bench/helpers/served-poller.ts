/**
 * A poller in its own process (gateway-api.bench.ts): watches gateway nodes until each serves
 * `host` answered by `body`, so its requests do not share the event loop of the Berth it measures.
 * argv: host body listen... ; prints "ready" once polling, then one line "<listen> <wall ms>" per
 * node at its first match, and exits when every node matched (or after 120 s, exit code 1).
 */
import { viaGateway } from '../../packages/server/test/helpers/gateway-load';

const [host, body, ...listens] = process.argv.slice(2);
if (!host || !body || listens.length === 0) {
  console.error('usage: served-poller HOST BODY LISTEN...');
  process.exit(2);
}
const wall = () => performance.timeOrigin + performance.now();
/** Requests at once per node and round: the container is one of 3, balanced round robin per worker. */
const probes = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function watch(listen: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const hits = await Promise.all(
      Array.from({ length: probes }, () =>
        viaGateway(listen, host!).then(
          (r) => (r.status === 200 && r.body === body ? wall() : null),
          () => null,
        ),
      ),
    );
    const at = hits.filter((x): x is number => x !== null);
    if (at.length) {
      console.log(`${listen} ${Math.min(...at)}`);
      return;
    }
    await sleep(10);
  }
  throw new Error(`${host} not served by ${body} at ${listen} within 120 s`);
}

console.log('ready');
Promise.all(listens.map(watch)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(String(err));
    process.exit(1);
  },
);
