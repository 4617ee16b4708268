/*
 * What a probe becomes in the monitoring stack (docs/probes.md): a blackbox module of its own
 * (status codes, body regexes, its timeout) in blackbox.yml beside the stack's base modules, and
 * a file_sd target file in the probe targets dir with the owner's labels and its interval.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProbesTable } from '../../db/schema';
import { promDuration, renderBlackboxConfig } from '../monitoring/stack';

/** Blackbox module timeout when the probe sets no latency threshold. */
export const defaultProbeTimeoutMs = 10_000;

export const probeModuleName = (row: Pick<ProbesTable, 'id'>): string => `berth_probe_${row.id}`;
/** Target files this module owns in the probe targets dir (others there are left alone). */
export const probeTargetFile = (row: Pick<ProbesTable, 'id'>): string => `berth-probe-${row.id}.json`;
export const probeTargetFilePattern = /^berth-probe-[a-z0-9]+\.json$/;

/** "2xx,301" → [200..299, 301]. */
export function statusCodes(expect: string | null): number[] {
  const out: number[] = [];
  for (const part of (expect ?? '2xx').split(',')) {
    if (/^[1-5]xx$/.test(part)) {
      const base = Number(part[0]) * 100;
      for (let c = base; c < base + 100; c++) out.push(c);
    } else out.push(Number(part));
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

const seconds = (ms: number) => `${Math.round(ms) / 1000}s`;

/** The probe's own blackbox module. */
export function renderProbeModule(row: ProbesTable): Record<string, unknown> {
  const timeout = seconds(row.latency_threshold_ms ?? defaultProbeTimeoutMs);
  if (row.kind === 'tcp') return { prober: 'tcp', timeout, tcp: { preferred_ip_protocol: 'ip4' } };
  return {
    prober: 'http',
    timeout,
    http: {
      method: 'GET',
      preferred_ip_protocol: 'ip4',
      follow_redirects: true,
      valid_status_codes: statusCodes(row.expect_status),
      ...(row.body_must_not_match ? { fail_if_body_matches_regexp: [row.body_must_not_match] } : {}),
      ...(row.body_must_match ? { fail_if_body_not_matches_regexp: [row.body_must_match] } : {}),
    },
  };
}

/** blackbox.yml: the stack's base modules and one module per enabled probe (JSON is YAML). */
export function renderBlackboxWithProbes(rows: ProbesTable[]): string {
  // no probe: the stack's own file as npm start writes it
  if (!rows.some((r) => r.enabled)) return renderBlackboxConfig();
  const base = JSON.parse(renderBlackboxConfig().replace(/^#.*\n/, '')) as {
    modules: Record<string, unknown>;
  };
  const modules: Record<string, unknown> = { ...base.modules };
  for (const r of rows) if (r.enabled) modules[probeModuleName(r)] = renderProbeModule(r);
  return `# Written by Berth (docs/monitoring.md, docs/probes.md); changes are overwritten.\n${JSON.stringify({ modules }, null, 2)}\n`;
}

/**
 * The file_sd target of a probe. Prometheus takes `__scrape_interval__` and `__scrape_timeout__`
 * from the target: each probe runs at its own interval in the one `berth-probes` job. The scrape
 * timeout leaves the blackbox module its timeout (plus the exporter's 0.5 s offset) when the
 * interval allows.
 */
export function renderProbeTarget(row: ProbesTable): string {
  const timeoutMs = row.latency_threshold_ms ?? defaultProbeTimeoutMs;
  const scrapeTimeout = Math.min(row.interval_seconds * 1000, timeoutMs + 1000);
  return `${JSON.stringify(
    [
      {
        targets: [row.target],
        labels: {
          module: probeModuleName(row),
          project: row.project,
          env: row.env,
          berth_project: row.project,
          berth_env: row.env,
          berth_probe: row.name,
          berth_probe_kind: row.kind,
          __scrape_interval__: `${row.interval_seconds}s`,
          // Prometheus' form (no fractions: "1.8s" is refused and the target is never scraped)
          __scrape_timeout__: promDuration(scrapeTimeout / 1000),
        },
      },
    ],
    null,
    2,
  )}\n`;
}

/**
 * `prometheus-blackbox-exporter --config.check` on a candidate blackbox.yml (argv, no shell):
 * ok, the exporter's message (e.g. a regex Go refuses), or null when the binary is not here
 * (an external exporter; the schema's RE2 check still ran).
 */
export async function checkBlackboxConfig(
  text: string,
): Promise<{ ok: true } | { ok: false; message: string } | null> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-blackbox-'));
  const file = path.join(dir, 'blackbox.yml');
  try {
    await writeFile(file, text);
    return await new Promise((resolve) => {
      const child = spawn('prometheus-blackbox-exporter', ['--config.check', `--config.file=${file}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', (err: NodeJS.ErrnoException) =>
        resolve(err.code === 'ENOENT' ? null : { ok: false, message: err.message }),
      );
      child.on('close', (code) => {
        if (code === 0) return resolve({ ok: true });
        const m = /err="((?:[^"\\]|\\.)*)"/.exec(out);
        resolve({
          ok: false,
          message: m
            ? m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\')
            : (out.trim().split('\n').pop() ?? ''),
        });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reloads the blackbox exporter and confirms it: `/-/reload` answers 200 once applied (500 with
 * the error otherwise), then its `/config` must name every module expected and none removed.
 */
export async function reloadBlackbox(
  url: string,
  expect: { present: string[]; absent: string[] },
  timeoutMs = 10_000,
): Promise<void> {
  const base = url.replace(/\/+$/, '');
  const res = await fetch(`${base}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  if (res.status !== 200)
    throw new Error(`the blackbox exporter at ${base} refused the reload (${res.status}): ${body.trim()}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cfg = await fetch(`${base}/config`, { signal: AbortSignal.timeout(5000) })
      .then((r) => r.text())
      .catch(() => '');
    const has = (m: string) => cfg.includes(`${m}:`);
    if (expect.present.every(has) && !expect.absent.some(has)) return;
    if (Date.now() > deadline)
      throw new Error(`the blackbox exporter at ${base} did not show the new modules within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
