import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceSpecInput } from '@berth/shared';
import {
  defaultPlacementOf,
  describePlacement,
  emptyServiceForm,
  fieldFor,
  fromSpec,
  splitLines,
  toCreateRequest,
  toSpec,
} from './service-form';
import { diffSpecs, secretNew, secretSet } from './spec-diff';

const running: ServiceSpecInput & { replicas: number } = {
  image: 'localhost/app:1',
  replicas: 2,
  command: ['sh', '-c', 'exec httpd -f -p 8080'],
  env: [
    { name: 'A', value: '1', secret: false },
    { name: 'TOKEN', value: null, secret: true, isSet: true },
  ],
  ports: [{ containerPort: 8080, protocol: 'tcp' }],
  resources: { memoryMiB: 64 },
  readiness: {
    type: 'http',
    path: '/healthz',
    initialDelaySeconds: 0,
    periodSeconds: 2,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  },
  rollout: {
    maxSurge: 1,
    maxUnavailable: 0,
    progressDeadlineSeconds: 120,
    drainSeconds: 2,
    stopGraceSeconds: 10,
  },
  labels: { tier: 'web' },
  runAsRoot: false,
};

describe('service form', () => {
  it('maps API error paths to form fields', () => {
    assert.deepEqual(fieldFor('name'), ['name']);
    assert.deepEqual(fieldFor('spec.image'), ['image']);
    assert.deepEqual(fieldFor('spec.ports.1.containerPort'), ['ports', 1, 'containerPort']);
    assert.deepEqual(fieldFor('spec.env.2.value'), ['env', 2, 'value']);
    assert.deepEqual(fieldFor('spec.resources.memoryMiB'), ['memoryMiB']);
    assert.deepEqual(fieldFor('spec.readiness.path'), ['readiness', 'path']);
    assert.deepEqual(fieldFor('spec.liveness.command'), ['liveness', 'command']);
    assert.deepEqual(fieldFor('spec.liveness'), ['liveness', 'type']);
    assert.deepEqual(fieldFor('spec.rollout.maxSurge'), ['rollout', 'maxSurge']);
    assert.deepEqual(fieldFor('spec.placement.clusters.1.weight'), ['placement', 'clusters', 1, 'weight']);
    assert.deepEqual(fieldFor('spec.placement.clusters.0.name'), ['placement', 'clusters', 0, 'name']);
    assert.deepEqual(fieldFor('spec.placement.clusters.0'), ['placement', 'clusters', 0, 'name']);
    assert.deepEqual(fieldFor('spec.placement.clusters'), ['placement', 'clusters']);
    assert.deepEqual(fieldFor('spec.placement.division'), ['placement', 'division']);
    assert.deepEqual(fieldFor('spec.placement.minPerCluster'), ['placement', 'minPerCluster']);
    assert.deepEqual(
      fieldFor('spec.placement'),
      ['placement', 'mode'],
      'a refused placement shows at the choice',
    );
    assert.equal(fieldFor('spec.labels.x'), null);
    assert.equal(fieldFor('version'), null);
  });

  it('keeps one argument per line, verbatim', () => {
    assert.deepEqual(splitLines('sh\n-c\necho "a b" && exec httpd\n\n'), [
      'sh',
      '-c',
      'echo "a b" && exec httpd',
    ]);
    assert.equal(splitLines('  \n'), undefined);
  });

  it('builds the create request with every section', () => {
    const req = toCreateRequest({
      ...emptyServiceForm,
      name: ' web ',
      image: 'localhost/app:1',
      replicas: 2,
      ports: [{ containerPort: 8080 }, { containerPort: null }, { containerPort: 9090, name: 'metrics' }],
      env: [{ name: 'A', value: '1' }, { name: 'S', value: 'x', secret: true }, {}],
      cpu: 0.5,
      memoryMiB: null,
      readiness: { type: 'http', path: '/healthz', periodSeconds: 5 },
      liveness: { type: 'exec', command: 'cat\n/tmp/ok' },
      rollout: {
        maxSurge: 0,
        maxUnavailable: 1,
        drainSeconds: 1,
        stopGraceSeconds: 3,
        progressDeadlineSeconds: 60,
      },
    });
    assert.equal(req.name, 'web');
    assert.deepEqual(req.spec.ports, [{ containerPort: 8080 }, { containerPort: 9090, name: 'metrics' }]);
    assert.deepEqual(req.spec.env, [
      { name: 'A', value: '1', secret: false },
      { name: 'S', value: 'x', secret: true },
    ]);
    assert.deepEqual(req.spec.resources, { cpu: 0.5 });
    assert.deepEqual(req.spec.readiness, { type: 'http', path: '/healthz', periodSeconds: 5 });
    assert.deepEqual(req.spec.liveness, { type: 'exec', command: ['cat', '/tmp/ok'] });
    assert.equal(req.spec.rollout?.maxUnavailable, 1);
  });

  it('sends the placement exactly as set, and none for the default', () => {
    const base = { ...emptyServiceForm, name: 'web', image: 'localhost/app:1', replicas: 3 };
    assert.equal('placement' in toCreateRequest(base).spec, false, 'the default is no placement');
    const weighted = toCreateRequest({
      ...base,
      placement: {
        mode: 'clusters',
        clusters: [
          { name: 'local', weight: 2 },
          { name: 'c1', weight: null },
        ],
        division: 'weighted',
        minPerCluster: null,
      },
    });
    assert.deepEqual(weighted.spec.placement, {
      clusters: [
        { name: 'local', weight: 2 },
        { name: 'c1', weight: 1 },
      ],
      division: 'weighted',
    });
    const all = toCreateRequest({
      ...base,
      placement: {
        mode: 'all',
        clusters: [{ name: 'x', weight: 5 }],
        division: 'duplicated',
        minPerCluster: 1,
      },
    });
    assert.deepEqual(all.spec.placement, { clusters: 'all', division: 'duplicated', minPerCluster: 1 });
  });

  it('round-trips a placement, and choosing the default removes it', () => {
    const placed = {
      ...running,
      placement: {
        clusters: [
          { name: 'local', weight: 2 },
          { name: 'c1', weight: 1 },
        ],
        division: 'capacity' as const,
        minPerCluster: 1,
      },
    };
    const values = fromSpec('web', placed);
    assert.equal(values.placement?.mode, 'clusters');
    assert.deepEqual(values.placement?.clusters, placed.placement.clusters);
    assert.deepEqual(diffSpecs(placed, toSpec(values, placed)), { changes: [], newRelease: false });
    if (values.placement) values.placement.mode = 'default';
    const cleared = toSpec(values, placed);
    assert.equal('placement' in cleared, false);
    assert.equal(diffSpecs(placed, cleared).newRelease, true, 'changing the placement is a release');
    assert.equal(fromSpec('web', { ...running, placement: { clusters: 'all' } }).placement?.mode, 'all');
  });

  it('describes a placement in one line', () => {
    const words = {
      all: 'all clusters',
      division: { weighted: 'weighted', capacity: 'by capacity', duplicated: 'duplicated' },
      min: (n: number) => `at least ${n} each`,
    };
    assert.equal(
      describePlacement(
        {
          clusters: [
            { name: 'c1', weight: 2 },
            { name: 'c2', weight: 1 },
          ],
          division: 'weighted',
        },
        words,
      ),
      'c1 ×2, c2 ×1 (weighted)',
    );
    assert.equal(
      describePlacement({ clusters: 'all', division: 'duplicated', minPerCluster: 1 }, words),
      'all clusters (duplicated, at least 1 each)',
    );
  });

  it('round-trips a running spec through the form without changes', () => {
    const values = fromSpec('web', running);
    assert.equal(values.env?.[1]?.value, '', 'a secret value is never shown');
    const spec = toSpec(values, running);
    assert.deepEqual(spec.env?.[1], { name: 'TOKEN', value: null, secret: true });
    assert.deepEqual(spec.labels, { tier: 'web' }, 'fields the form does not show are kept');
    assert.deepEqual(diffSpecs(running, spec), { changes: [], newRelease: false });
  });
});

describe('spec diff', () => {
  const edit = (change: (v: ReturnType<typeof fromSpec>) => void) => {
    const values = fromSpec('web', running);
    change(values);
    return diffSpecs(running, toSpec(values, running));
  };

  it('lists changed fields old → new and says a rolling update follows', () => {
    const diff = edit((v) => {
      v.image = 'localhost/app:2';
      v.env![0]!.value = '2';
      v.rollout.maxSurge = 2;
      v.liveness = { type: 'tcp' };
    });
    assert.equal(diff.newRelease, true);
    const byPath = Object.fromEntries(diff.changes.map((c) => [c.path, [c.before, c.after]]));
    assert.deepEqual(byPath.image, ['localhost/app:1', 'localhost/app:2']);
    assert.deepEqual(byPath['env.A'], ['"1"', '"2"']);
    assert.deepEqual(byPath['rollout.maxSurge'], ['1', '2']);
    assert.deepEqual(byPath['liveness.type'], [null, 'tcp']);
    assert.deepEqual(byPath['liveness.periodSeconds'], [null, '2']);
  });

  it('treats a replica change alone as a scale, and never shows secret values', () => {
    assert.deepEqual(
      edit((v) => (v.replicas = 5)),
      { changes: [{ path: 'replicas', before: '2', after: '5' }], newRelease: false },
    );
    const secret = edit((v) => (v.env![1]!.value = 'hunter2'));
    assert.deepEqual(secret.changes, [{ path: 'env.TOKEN', before: secretSet, after: secretNew }]);
    assert.ok(!JSON.stringify(secret).includes('hunter2'));
  });
});

describe('the default placement', () => {
  it('is local when Berth has a cluster local, every env cluster when it has none (BERTH_LOCAL_CLUSTER=off)', () => {
    const local = { clusters: [{ name: 'local', weight: 1 }], division: 'weighted' };
    assert.deepEqual(defaultPlacementOf(['local', 'k1']), local);
    assert.deepEqual(defaultPlacementOf(null), local, 'while the clusters are loading');
    assert.deepEqual(defaultPlacementOf(['k1', 'k2']), { clusters: 'all', division: 'weighted' });
    assert.deepEqual(defaultPlacementOf([]), { clusters: 'all', division: 'weighted' });
  });
});
