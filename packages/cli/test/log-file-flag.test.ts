import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServiceRequestSchema } from '@berth/shared';
import { parseArgs } from '../src/args';
import { applySpecFlags, readSpecFlags, specOptions } from '../src/spec-flags';

const flagsOf = (argv: string[]) => readSpecFlags(parseArgs(argv, specOptions));

test('--log-file sets spec.logFiles.paths, keeps the bounds, and "none" stops collecting', () => {
  const spec = applySpecFlags(
    { image: 'x:1' },
    flagsOf(['--log-file', '/var/log/app/*.log', '--log-file', '/data/**/audit.log']),
  );
  assert.deepEqual(spec.logFiles, { paths: ['/var/log/app/*.log', '/data/**/audit.log'] });
  const parsed = createServiceRequestSchema.parse({ name: 'web', spec });
  assert.deepEqual(parsed.spec.logFiles, {
    paths: ['/var/log/app/*.log', '/data/**/audit.log'],
    maxFileMiB: 10,
    maxFiles: 5,
  });
  const base = { image: 'x:1', logFiles: { paths: ['/a.log'], maxFileMiB: 2, maxFiles: 3 } };
  assert.deepEqual(applySpecFlags(base, flagsOf(['--log-file', '/b.log'])).logFiles, {
    paths: ['/b.log'],
    maxFileMiB: 2,
    maxFiles: 3,
  });
  assert.equal(applySpecFlags(base, flagsOf(['--log-file', 'none'])).logFiles, undefined);
  assert.deepEqual(applySpecFlags(base, flagsOf([])).logFiles, base.logFiles, 'no flag: unchanged');
  const relative = createServiceRequestSchema.safeParse({
    name: 'web',
    spec: applySpecFlags({ image: 'x:1' }, flagsOf(['--log-file', 'logs/../x'])),
  });
  assert.equal(relative.success, false);
  assert.deepEqual(
    relative.error.issues.map((i) => i.path.join('.')),
    ['spec.logFiles.paths.0', 'spec.logFiles.paths.0'],
  );
});
