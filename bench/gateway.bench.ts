/**
 * Gateway configuration cost at 100, 1,000 and 10,000 routes on real Nginx: render, validate
 * (`nginx -t` in a scratch prefix) and apply (swap + HUP until the new workers serve), beside a
 * naive configuration with one `upstream{}` + one `server{}` per service (runtime-notes §7), and
 * an endpoint-only change at the largest size. Each route's service has 3 endpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../packages/server/test/helpers/net';
import {
  LocalNginxNode,
  defaultRouteOptions,
  renderMainConfig,
  renderUpstreams,
  validateConfig,
  type RenderedConfig,
  type RenderGateway,
  type RenderPool,
} from '../packages/gateway-nginx/src/index';

const nginx = '/usr/sbin/nginx';
const sizes = (process.env.BENCH_ROUTES ?? '100,1000,10000').split(',').map(Number);

function pools(n: number, bump = -1): RenderPool[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `svc_${i}`,
    servers: [0, 1, 2].map((k) => ({
      address: `127.0.0.1:${20000 + ((i * 3 + k + (i === bump ? 7 : 0)) % 40000)}`,
      weight: 1,
    })),
    maxFails: 3,
    failTimeoutSeconds: 10,
  }));
}

function berthGateway(n: number, listen: string): RenderGateway {
  return {
    listen,
    tlsListen: null,
    certDir: '/nonexistent',
    workerProcesses: 2,
    foreground: true,
    // One route in 20 has per-location settings (its own server), the rest share the map.
    routes: Array.from({ length: n }, (_, i) => ({
      host: `app-${i}.bench.test`,
      pool: `svc_${i}`,
      canary: null,
      options:
        i % 20 === 0 ? { ...defaultRouteOptions(), timeouts: { readSeconds: 30 } } : defaultRouteOptions(),
    })),
  };
}

/** The shape runtime-notes §7 measured: one upstream and one server per app. */
function naiveConfig(n: number, listen: string): RenderedConfig {
  const out = ['daemon off;', 'worker_processes 2;', 'pid logs/nginx.pid;', 'error_log logs/error.log warn;'];
  out.push('events { worker_connections 4096; }', 'http {', '  access_log off;');
  out.push('  server_names_hash_max_size 65536;', '  server_names_hash_bucket_size 128;');
  out.push('  client_body_temp_path tmp/client_body;', '  proxy_temp_path tmp/proxy;');
  for (const p of pools(n)) {
    const servers = p.servers.map((s) => `server ${s.address} max_fails=3;`).join(' ');
    out.push(`  upstream ${p.name} { ${servers} keepalive 8; }`);
    out.push(
      `  server { listen ${listen}; server_name app-${p.name.slice(4)}.bench.test; location / { proxy_pass http://${p.name}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }`,
    );
  }
  out.push('}', '');
  return { main: out.join('\n'), upstreams: '' };
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nginx did not start');
}

/** Starts a node with cfg, then measures validate + install + HUP of cfg2. */
async function applyCost(
  dir: string,
  cfg: RenderedConfig,
  next: RenderedConfig,
  port: number,
  onlyUpstreams = false,
) {
  const node = new LocalNginxNode(path.join(dir, 'live'), nginx);
  await node.install(cfg);
  const child: ChildProcess = spawn(nginx, node.argv(), { stdio: 'ignore' });
  try {
    await waitListening(port);
    const [check, validateMs] = await timed(() => validateConfig(nginx, path.join(dir, 'scratch'), next));
    if (!check.ok) throw new Error(check.message);
    const [, applyMs] = await timed(async () => {
      await node.install({ main: onlyUpstreams ? null : next.main, upstreams: next.upstreams });
      if ((await node.reload(60_000)) !== 'reloaded') throw new Error('reload did not happen');
    });
    return { validateMs, applyMs };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

async function main(): Promise<void> {
  console.log(
    'routes | berth render | validate | apply | total    || naive validate | apply | total    || ratio',
  );
  for (const n of sizes) {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-gw-bench-'));
    try {
      const port = await freePort();
      const listen = `127.0.0.1:${port}`;
      const [cfg, renderMs] = await timed(() => ({
        main: renderMainConfig(berthGateway(n, listen)),
        upstreams: renderUpstreams(pools(n)),
      }));
      const berth = await applyCost(path.join(dir, 'b'), cfg, cfg, port);
      const naiveCfg = naiveConfig(n, listen);
      const naive = await applyCost(path.join(dir, 'n'), naiveCfg, naiveCfg, port);
      const bt = renderMs + berth.validateMs + berth.applyMs;
      const nt = naive.validateMs + naive.applyMs;
      console.log(
        `${String(n).padStart(6)} | ${fmt(renderMs)} | ${fmt(berth.validateMs)} | ${fmt(berth.applyMs)} | ${fmt(bt)} || ${fmt(naive.validateMs)} | ${fmt(naive.applyMs)} | ${fmt(nt)} || naive/berth ${(nt / bt).toFixed(1)}x   (${(cfg.main.length + cfg.upstreams.length) >> 10} KB vs ${naiveCfg.main.length >> 10} KB)`,
      );
      if (n === Math.max(...sizes)) {
        const [up, upMs] = await timed(() => renderUpstreams(pools(n, 42)));
        const ep = await applyCost(path.join(dir, 'e'), cfg, { main: cfg.main, upstreams: up }, port, true);
        const et = upMs + ep.validateMs + ep.applyMs;
        console.log(
          `endpoint-only change at ${n}: render ${fmt(upMs)} (endpoints file only) | validate ${fmt(ep.validateMs)} | apply ${fmt(ep.applyMs)} | total ${fmt(et)} || full berth ${fmt(bt)} | naive ${fmt(nt)} (naive/endpoint-only ${(nt / et).toFixed(1)}x)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
