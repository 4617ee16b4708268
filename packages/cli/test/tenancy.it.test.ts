/** `berth domains` and `berth networks` against a real Berth, and flagged routes in `berth routes list`. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { platformCli } from './platform-support';

describe('berth domains and networks', () => {
  const { berth, json } = platformCli({
    dirPrefix: 'berth-cli-tenancy-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });

  it('adds, lists and removes domain zones, with clear refusals', async () => {
    const added = await berth(['domains', 'add', 'Shop.Example.Test.', '--project', 'web']);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /zone shop\.example\.test assigned to project web/);
    assert.equal((await berth(['domains', 'add', 'corp.test', '--team', 'shop'])).code, 0);
    const list = await berth(['domains', 'list']);
    assert.match(list.out, /corp\.test\s+team shop/);
    assert.match(list.out, /shop\.example\.test\s+project web/);
    const suffix = await berth(['domains', 'add', 'x.test.localhost', '--team', 'shop']);
    assert.equal(suffix.code, 1);
    assert.match(suffix.err, /automatic domain 'localhost'/);
    const taken = await berth(['domains', 'add', 'corp.test', '--project', 'web']);
    assert.equal(taken.code, 1);
    assert.match(taken.err, /already owned by team 'shop'/);
    const noOwner = await berth(['domains', 'add', 'a.test']);
    assert.equal(noOwner.code, 2);
    assert.match(noOwner.err, /--team TEAM or --project PROJECT/);
    assert.equal((await berth(['domains', 'remove', 'corp.test'])).code, 0);
    const zones = await json<{ items: Array<{ zone: string }> }>(['domains', 'list']);
    assert.deepEqual(
      zones.items.map((z) => z.zone),
      ['shop.example.test'],
    );
  });

  it('adds, lists and removes allowed networks; loopback is refused', async () => {
    const added = await berth(['networks', 'add', '10.20.0.0/16', '--project', 'web']);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /network 10\.20\.0\.0\/16 allowed for project web/);
    assert.match((await berth(['networks', 'list'])).out, /10\.20\.0\.0\/16\s+project web/);
    const loop = await berth(['networks', 'add', '127.0.0.0/8', '--project', 'web']);
    assert.equal(loop.code, 1);
    assert.match(loop.err, /loopback/);
    assert.equal((await berth(['networks', 'add', '10.99.0.0/16', '--team', 'shop'])).code, 0);
    assert.equal((await berth(['networks', 'remove', '10.99.0.0/16', '--team', 'shop'])).code, 0);
    const nets = await json<{ items: Array<{ cidr: string }> }>(['networks', 'list']);
    assert.deepEqual(
      nets.items.map((n) => n.cidr),
      ['10.20.0.0/16'],
    );
  });

  it('refuses a host outside the project zones and flags a route whose zone was removed', async () => {
    const stolen = await berth([
      'routes',
      'create',
      'evil',
      '-p',
      'web',
      '--host',
      'web.other.test.localhost',
      '--vm',
      '10.20.0.5:80',
    ]);
    assert.equal(stolen.code, 1);
    assert.match(stolen.err, /automatic name of service 'web' of another project/);
    const ok = await berth([
      'routes',
      'create',
      'shop',
      '-p',
      'web',
      '--host',
      'www.shop.example.test',
      '--vm',
      '10.20.0.5:80',
    ]);
    assert.equal(ok.code, 0, ok.err);
    assert.doesNotMatch((await berth(['routes', 'list', '-p', 'web'])).out, /host-not-owned/);
    assert.equal((await berth(['domains', 'remove', 'shop.example.test'])).code, 0);
    const flagged = await berth(['routes', 'list', '-p', 'web']);
    assert.match(flagged.out, /RULES/);
    assert.match(flagged.out, /shop\s+www\.shop\.example\.test.*! host-not-owned/);
    assert.match(flagged.err, /route shop: No domain zone/);
  });
});
