/**
 * `berth containers debug` against a real Berth on the real Podman: a debug shell beside a
 * container of an image without a shell (berth-noshell) runs a piped script that sees the target's
 * process and reaches its port; the exit status comes back; the debug container is gone after.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { platformCli } from './platform-support';
import { startNoshellServer } from '../../server/test/helpers/noshell';
import { eventually } from '../../server/test/helpers/platform';

describe('berth containers debug (real Podman)', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-debug-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth } = cli;

  before(async () => {
    await startNoshellServer(cli.platform.api, '/api/v1/projects/web/envs/test/services');
  });

  it('pipes a script into the debug shell of the first ready container and exits with its status', async () => {
    const r = await berth(
      ['containers', 'debug', 'app', '-p', 'web', '--ttl', '2m'],
      'ps -eo args | grep -c "^node -e"\nwget -qO- 127.0.0.1:8080\nexit 4\n',
    );
    assert.equal(r.code, 4, r.err);
    assert.match(r.out, /^1$/m, 'ps sees the node process');
    assert.match(r.out, /hi from the target/);
    assert.match(r.err, /debug container \S+-debug-\S+ \(localhost\/berth-toolbox:1, user 1000:1000\)/);
    await eventually(
      async () =>
        (await cli.platform.engine.listContainers({ 'berth.debug': cli.platform.instanceId })).length === 0,
      'the debug container removed',
      30_000,
      100,
    );
  });

  it('refuses a bad --ttl before anything starts', async () => {
    const bad = await berth(['containers', 'debug', 'app', '-p', 'web', '--ttl', 'soon'], '');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--ttl "soon"/);
    assert.equal(
      (await cli.platform.engine.listContainers({ 'berth.debug': cli.platform.instanceId })).length,
      0,
    );
  });
});
