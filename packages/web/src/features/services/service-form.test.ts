import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldFor, splitLines, toCreateRequest } from './service-form';

describe('service form', () => {
  it('maps API error paths to form fields', () => {
    assert.equal(fieldFor('name'), 'name');
    assert.equal(fieldFor('spec.image'), 'image');
    assert.equal(fieldFor('spec.ports.0.containerPort'), 'port');
    assert.deepEqual(fieldFor('spec.env.2.value'), ['env', 2, 'value']);
    assert.equal(fieldFor('spec.resources.memoryMiB'), 'memoryMiB');
    assert.equal(fieldFor('spec.readiness.path'), 'readinessPath');
    assert.equal(fieldFor('spec.rollout.maxSurge'), null);
  });

  it('keeps one argument per line, verbatim', () => {
    assert.deepEqual(splitLines('sh\n-c\necho "a b" && exec httpd\n\n'), [
      'sh',
      '-c',
      'echo "a b" && exec httpd',
    ]);
    assert.equal(splitLines('  \n'), undefined);
  });

  it('builds the create request', () => {
    const req = toCreateRequest({
      name: ' web ',
      image: 'localhost/app:1',
      replicas: 2,
      port: 8080,
      env: [{ name: 'A', value: '1' }, { name: 'S', value: 'x', secret: true }, {}],
      cpu: 0.5,
      memoryMiB: null,
      readinessType: 'http',
      readinessPath: '/healthz',
    });
    assert.equal(req.name, 'web');
    assert.deepEqual(req.spec.ports, [{ containerPort: 8080 }]);
    assert.deepEqual(req.spec.env, [
      { name: 'A', value: '1', secret: false },
      { name: 'S', value: 'x', secret: true },
    ]);
    assert.deepEqual(req.spec.resources, { cpu: 0.5 });
    assert.deepEqual(req.spec.readiness, { type: 'http', path: '/healthz' });
  });
});
