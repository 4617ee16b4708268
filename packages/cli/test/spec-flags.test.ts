import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServiceRequestSchema, updateServiceRequestSchema, type Service } from '@berth/shared';
import { parseArgs } from '../src/args';
import { CliError, UsageError, validate } from '../src/errors';
import {
  applySpecFlags,
  changesSpec,
  parseMemory,
  readSpecFlags,
  specOfService,
  specOptions,
} from '../src/spec-flags';
import { parseProbe, splitWords } from '../src/probe-flags';

const flagsOf = (argv: string[]) => readSpecFlags(parseArgs(argv, specOptions));
const bad = (why: string) => new UsageError(why);

test('--readiness http:/healthz:8080 becomes an http probe with path and port', () => {
  assert.deepEqual(parseProbe('http:/healthz:8080', '--readiness'), {
    type: 'http',
    path: '/healthz',
    port: 8080,
  });
  assert.deepEqual(parseProbe('http:/healthz', '--readiness'), { type: 'http', path: '/healthz' });
  assert.deepEqual(parseProbe('http:/a:b', '--readiness'), { type: 'http', path: '/a:b' });
  assert.deepEqual(parseProbe('http:9000', '--readiness'), { type: 'http', path: '/', port: 9000 });
  assert.deepEqual(parseProbe('http', '--readiness'), { type: 'http', path: '/' });
});

test('tcp and exec probes; none removes the check', () => {
  assert.deepEqual(parseProbe('tcp', '--liveness'), { type: 'tcp' });
  assert.deepEqual(parseProbe('tcp:5432', '--liveness'), { type: 'tcp', port: 5432 });
  assert.deepEqual(parseProbe("exec:cat '/tmp/ready file'", '--liveness'), {
    type: 'exec',
    command: ['cat', '/tmp/ready file'],
  });
  assert.deepEqual(parseProbe('exec:["test","-f","/ok"]', '--liveness'), {
    type: 'exec',
    command: ['test', '-f', '/ok'],
  });
  assert.equal(parseProbe('none', '--liveness'), null);
});

test('bad probes are usage errors that name the flag and the accepted forms', () => {
  for (const value of ['grpc:80', 'http:healthz', 'tcp:http', 'exec:', "exec:echo 'open", 'exec:["a",1]']) {
    assert.throws(
      () => parseProbe(value, '--readiness'),
      (e: unknown) =>
        e instanceof UsageError &&
        e.exitCode === 2 &&
        e.message.startsWith('--readiness: ') &&
        e.message.includes('http:/path[:port]'),
      value,
    );
  }
});

test('splitWords groups quoted words and joins adjacent parts, without any shell expansion', () => {
  assert.deepEqual(splitWords(`a  "b c" d'e f'g $HOME`, bad), ['a', 'b c', 'de fg', '$HOME']);
  assert.deepEqual(splitWords(`''`, bad), ['']);
});

test('flags build a spec that the shared schema accepts', () => {
  const flags = flagsOf([
    '--image',
    'localhost/app:1',
    '--replicas',
    '3',
    '--port',
    '8080',
    '--port',
    'admin:9090',
    '--env',
    'A=1',
    '--env',
    'URL=http://x?a=b',
    '--secret-env',
    'TOKEN=s3cret',
    '--cpu',
    '0.5',
    '--memory',
    '1Gi',
    '--readiness',
    'http:/healthz',
    '--max-surge',
    '2',
    '--max-unavailable',
    '1',
    '--command',
    'sh',
    '--command',
    '-c',
    '--args',
    'echo hi',
  ]);
  const spec = applySpecFlags({}, flags);
  assert.deepEqual(spec, {
    image: 'localhost/app:1',
    replicas: 3,
    ports: [{ containerPort: 8080 }, { name: 'admin', containerPort: 9090 }],
    command: ['sh', '-c'],
    args: ['echo hi'],
    env: [
      { name: 'A', value: '1', secret: false },
      { name: 'URL', value: 'http://x?a=b', secret: false },
      { name: 'TOKEN', value: 's3cret', secret: true },
    ],
    resources: { cpu: 0.5, memoryMiB: 1024 },
    rollout: { maxSurge: 2, maxUnavailable: 1 },
    readiness: { type: 'http', path: '/healthz' },
  });
  assert.doesNotThrow(() => validate(createServiceRequestSchema, { name: 'web', spec }, 'service'));
});

test('malformed flag values are usage errors naming the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--replicas', 'many'], /--replicas must be a whole number/],
    [['--replicas', '500'], /--replicas must be between 0 and 100/],
    [['--port', 'http'], /--port: "http" is not a port/],
    [['--env', 'NOVALUE'], /--env: "NOVALUE" must be KEY=VALUE/],
    [['--env', '=x'], /--env: "=x" must be KEY=VALUE/],
    [['--cpu', 'half'], /--cpu must be a number/],
    [['--memory', '1.5'], /--memory: "1.5" must be a whole number of MiB/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => flagsOf(argv),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      argv.join(' '),
    );
  }
  assert.equal(parseMemory('1.5Gi'), 1536);
});

test('values that parse but break the schema come back as field errors with API paths', () => {
  const spec = applySpecFlags(
    {},
    flagsOf([
      '--image',
      'Bad Image',
      '--port',
      '70000',
      '--readiness',
      'tcp:0',
      '--max-surge',
      '0',
      '--max-unavailable',
      '0',
    ]),
  );
  try {
    validate(createServiceRequestSchema, { name: 'web', spec }, 'service');
    assert.fail('expected a validation error');
  } catch (err) {
    assert.ok(err instanceof CliError && !(err instanceof UsageError));
    assert.equal(err.exitCode, 1);
    const paths = err.fields.map((f) => f.path);
    assert.ok(paths.includes('spec.image'), paths.join());
    assert.ok(paths.includes('spec.ports.0.containerPort'), paths.join());
    assert.ok(paths.includes('spec.readiness.port'), paths.join());
    assert.ok(paths.includes('spec.rollout.maxSurge'), paths.join());
  }
});

const current: Pick<Service, 'spec' | 'version'> = {
  version: 7,
  spec: {
    image: 'localhost/app:1',
    replicas: 2,
    env: [
      { name: 'A', value: '1', secret: false },
      { name: 'TOKEN', value: null, secret: true, isSet: true },
      { name: 'OLD', value: 'x', secret: false },
    ],
    ports: [{ containerPort: 8080, protocol: 'tcp' }],
    resources: { cpu: 1, memoryMiB: 256 },
    readiness: {
      type: 'http',
      path: '/',
      initialDelaySeconds: 0,
      periodSeconds: 5,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 6,
    },
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineSeconds: 300,
      drainSeconds: 2,
      stopGraceSeconds: 10,
    },
    labels: { tier: 'web' },
    runAsRoot: false,
  },
};

test('an update merges flags onto the current spec and keeps everything else', () => {
  const spec = applySpecFlags(
    specOfService(current),
    flagsOf([
      '--image',
      'localhost/app:2',
      '--env',
      'A=2',
      '--env',
      'NEW=n',
      '--unset-env',
      'OLD',
      '--memory',
      '512',
      '--readiness',
      'http:/ready',
    ]),
  );
  assert.equal(spec.image, 'localhost/app:2');
  assert.equal(spec.replicas, 2);
  assert.deepEqual(spec.env, [
    { name: 'A', value: '2', secret: false },
    { name: 'TOKEN', value: null, secret: true },
    { name: 'NEW', value: 'n', secret: false },
  ]);
  assert.deepEqual(spec.resources, { cpu: 1, memoryMiB: 512 });
  assert.deepEqual(spec.rollout, current.spec.rollout);
  assert.deepEqual(spec.labels, { tier: 'web' });
  // The new check keeps the timing of the one it replaces.
  assert.deepEqual(spec.readiness, {
    type: 'http',
    path: '/ready',
    initialDelaySeconds: 0,
    periodSeconds: 5,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 6,
  });
  const body = validate(updateServiceRequestSchema, { spec, version: current.version }, 'update');
  assert.equal(body.version, 7);
  assert.equal(
    body.spec.env.find((e) => e.name === 'TOKEN')?.value,
    null,
    'a kept secret is sent as null (keep the stored value)',
  );
});

test('the current spec is not modified by an update', () => {
  const before = JSON.stringify(current);
  applySpecFlags(
    specOfService(current),
    flagsOf(['--env', 'A=9', '--cpu', '2', '--readiness', 'none', '--port', '9090']),
  );
  assert.equal(JSON.stringify(current), before);
});

test('--readiness none removes the check; --unset-env of a missing variable is an error', () => {
  const spec = applySpecFlags(specOfService(current), flagsOf(['--readiness', 'none']));
  assert.equal('readiness' in spec, false);
  assert.throws(
    () => applySpecFlags(specOfService(current), flagsOf(['--unset-env', 'NOPE'])),
    /no variable "NOPE"/,
  );
});

test('changesSpec tells whether any spec flag was given', () => {
  assert.equal(changesSpec(flagsOf([])), false);
  assert.equal(changesSpec(flagsOf(['--replicas', '0'])), true);
  assert.equal(changesSpec(flagsOf(['--unset-env', 'A'])), true);
});
