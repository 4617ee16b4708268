/**
 * `berth services autoscale`, `autoscale-set` and `autoscale-off` against a real Berth on a real
 * Prometheus: the metric is a PromQL `vector(N)`, so the decision is exact; it is waited for, never
 * slept on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AutoscaleDecision, AutoscaleState } from '@berth/shared';
import { cliRunner } from './test-support';
import {
  adminPassword,
  eventually,
  startPlatform,
  type TestPlatform,
} from '../../server/test/helpers/platform';
import { startMonitoring, type TestMonitoring } from '../../server/test/helpers/monitoring';

type Shown = AutoscaleState & { decisions: AutoscaleDecision[] };

describe('berth services autoscale', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-autoscale-'));
  let mon: TestMonitoring;
  let p: TestPlatform;
  let env: Record<string, string> = {};
  const { berth, json } = cliRunner(() => env);

  before(async () => {
    mon = await startMonitoring({ dir: path.join(dir, 'mon') });
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' }, { monitoring: mon.module });
    env = { BERTH_CLI_CONFIG: path.join(dir, 'config.json'), HOME: dir };
    const login = await berth(
      ['login', p.url, '--username', 'admin', '--password-stdin'],
      `${adminPassword}\n`,
    );
    assert.equal(login.code, 0, login.err);
    assert.equal((await berth(['teams', 'create', 'shop'])).code, 0);
    assert.equal((await berth(['projects', 'create', 'web', '--team', 'shop'])).code, 0);
    const created = await berth([
      ...['services', 'create', 'api', '-p', 'web'],
      ...['--image', 'localhost/berth-busybox:1', '--replicas', '1', '--command=sleep', '--args=3600'],
    ]);
    assert.equal(created.code, 0, created.err);
  });
  after(async () => {
    await p?.close();
    await mon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a service without autoscaling as off, with no decisions', async () => {
    const shown = await berth(['services', 'autoscale', 'api', '-p', 'web']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^autoscaling: off$/m);
    assert.match(shown.out, /^replicas: 1 now, - desired$/m);
    assert.match(shown.out + shown.err, /no decisions yet/);
  });

  it('refuses bad settings before sending them, naming the field; nothing changes', async () => {
    const minOverMax = await berth([
      ...['services', 'autoscale-set', 'api', '-p', 'web'],
      ...['--min', '5', '--max', '2', '--metric', 'cpu', '--target', '70'],
    ]);
    assert.notEqual(minOverMax.code, 0);
    assert.match(
      minOverMax.err,
      /invalid autoscale\n\s+min: must be at most max \(2\); lower min or raise max/,
    );
    const percent = await berth([
      ...['services', 'autoscale-set', 'api', '-p', 'web'],
      ...['--min', '1', '--max', '2', '--metric', 'cpu', '--target', '5000'],
    ]);
    assert.notEqual(percent.code, 0);
    assert.match(percent.err, /invalid autoscale\n\s+target: is a percent of the CPU limit: use 1–1000/);
    const noTarget = await berth([
      'services',
      'autoscale-set',
      'api',
      '-p',
      'web',
      '--min',
      '1',
      '--max',
      '2',
    ]);
    assert.notEqual(noTarget.code, 0);
    assert.match(noTarget.err, /--metric is required/);
    const state = await json<Shown>(['services', 'autoscale', 'api', '-p', 'web']);
    assert.equal(state.autoscale, null);
  });

  it('sets autoscaling on a PromQL total, which scales 1 → ceil(250 / 100) = 3; the show lists the decision', async () => {
    const set = await berth([
      ...['services', 'autoscale-set', 'api', '-p', 'web', '--min', '1', '--max', '4'],
      ...['--promql', 'vector(250)', '--target', '100', '--interval', '5', '--scale-down-window', '20'],
    ]);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /^autoscaling: 1–4 replicas on promql vector\(250\) at 100, every 5 s$/m);
    assert.match(set.out, /^scale-down window: 20 s; scale-up window: 0 s$/m);

    const scaled = await eventually(
      async () => {
        const s = await json<Shown>(['services', 'autoscale', 'api', '-p', 'web']);
        return s.decisions.some((d) => d.outcome === 'scaled') ? s : null;
      },
      'a scale-up decision',
      30_000,
    );
    const up = scaled.decisions.find((d) => d.outcome === 'scaled')!;
    assert.equal(up.currentReplicas, 1);
    assert.equal(up.desiredReplicas, 3);
    assert.equal(scaled.desiredReplicas, 3);

    const shown = await berth(['services', 'autoscale', 'api', '-p', 'web', '--limit', '50']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^replicas: 3 now, 3 desired$/m);
    assert.match(shown.out, /^AT\s+OUTCOME\s+REPLICAS\s+METRIC\s+REASON/m);
    assert.match(shown.out, /\sscaled\s+1→3\s+250\s/);
    assert.doesNotMatch(shown.out, /HELD/);
  });

  it('says why it holds when the metric answers nothing', async () => {
    const since = new Date().toISOString();
    const set = await berth([
      ...['services', 'autoscale-set', 'api', '-p', 'web', '--min', '1', '--max', '4'],
      ...['--promql', 'absent(vector(1))', '--target', '100', '--interval', '5'],
    ]);
    assert.equal(set.code, 0, set.err);
    await eventually(
      async () => {
        const s = await json<Shown>(['services', 'autoscale', 'api', '-p', 'web']);
        return s.held !== null && s.decisions.some((d) => d.at > since && d.outcome === 'held');
      },
      'a held decision',
      30_000,
    );
    const shown = await berth(['services', 'autoscale', 'api', '-p', 'web']);
    assert.match(shown.out, /^HELD: .+/m);
    assert.match(shown.out, /^replicas: 3 now/m);
  });

  it('turns autoscaling off; the replicas stay as they are', async () => {
    const off = await berth(['services', 'autoscale-off', 'api', '-p', 'web']);
    assert.equal(off.code, 0, off.err);
    assert.match(off.out, /autoscaling of api is off/);
    const shown = await berth(['services', 'autoscale', 'api', '-p', 'web']);
    assert.match(shown.out, /^autoscaling: off$/m);
    assert.match(shown.out, /^replicas: 3 now/m);
    const svc = await json<{ replicas: number }>(['services', 'get', 'api', '-p', 'web']);
    assert.equal(svc.replicas, 3);
  });
});
