/** `berth certificates` and `berth routes create --tls-cert` against a real Berth. */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { platformCli } from './platform-support';
import { makeCert, type TestCert } from '../../server/test/helpers/certificates';

describe('berth certificates', () => {
  let site: TestCert;
  let renewed: TestCert;
  const { dir, berth, json, file } = platformCli({
    dirPrefix: 'berth-cli-certs-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
    prepare: async (d) => {
      [site, renewed] = await Promise.all([
        makeCert(d, 'site', ['www.web.example.test']),
        makeCert(d, 'renewed', ['www.web.example.test']),
      ]);
    },
  });

  /** `berth certificates VERB NAME --cert CERT [--key KEY] -p web`. */
  const withFiles = (verb: 'add' | 'renew', name: string, cert: string, key?: string) =>
    berth([
      'certificates',
      verb,
      name,
      '--cert',
      cert,
      ...(key === undefined ? [] : ['--key', key]),
      '-p',
      'web',
    ]);
  const inDir = (name: string) => path.join(dir, name);

  before(async () => {
    assert.equal((await berth(['domains', 'add', 'web.example.test', '--project', 'web'])).code, 0);
    assert.equal((await berth(['networks', 'add', '10.20.0.0/16', '--project', 'web'])).code, 0);
  });

  it('adds, lists and shows a certificate; never prints the key', async () => {
    const add = await withFiles('add', 'site', inDir('site.crt'), inDir('site.key'));
    assert.equal(add.code, 0, add.err);
    assert.match(add.out, /certificate web\/site added \(www\.web\.example\.test, expires/);
    const list = await berth(['certificates', 'list', '-p', 'web']);
    assert.match(list.out, /site\s+www\.web\.example\.test\s+\d{4}-\d\d-\d\d \(1d\)/);
    const got = await berth(['certificates', 'get', 'site', '-p', 'web']);
    assert.match(got.out, new RegExp(`fingerprint:\\s+${site.fingerprint}`));
    const all = JSON.stringify(await json(['certificates', 'get', 'site', '-p', 'web'])) + list.out + got.out;
    assert.ok(!all.includes('PRIVATE KEY'), 'no key in any output');
  });

  it('refuses a key of another certificate and missing files with clear messages', async () => {
    const bad = await withFiles('add', 'bad', inDir('site.crt'), inDir('renewed.key'));
    assert.equal(bad.code, 1);
    assert.match(bad.err, /key: does not match the certificate/);
    const noKey = await withFiles('add', 'bad', inDir('site.crt'));
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /--cert FILE and --key FILE/);
    const missing = await withFiles('add', 'bad', '/nonexistent.crt', file('k', 'x'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read the certificate file \/nonexistent\.crt/);
  });

  it('a route names the certificate with --tls-cert; removal is refused while it is used', async () => {
    const route = await berth([
      'routes',
      'create',
      'www',
      '-p',
      'web',
      '-e',
      'test',
      '--host',
      'www.web.example.test',
      '--vm',
      '10.20.0.9:80',
      '--tls-cert',
      'site',
    ]);
    assert.equal(route.code, 0, route.err);
    const r = await json<{ spec: { tls: unknown } }>(['routes', 'get', 'www', '-p', 'web', '-e', 'test']);
    assert.deepEqual(r.spec.tls, { certificate: 'site' });
    const unknown = await berth(['routes', 'update', 'www', '-p', 'web', '-e', 'test', '--tls-cert', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /certificate 'nope' does not exist in project 'web'/);
    assert.match((await berth(['certificates', 'list', '-p', 'web'])).out, /test\/www/);
    const used = await berth(['certificates', 'remove', 'site', '-p', 'web']);
    assert.equal(used.code, 1);
    assert.match(used.err, /used by route 'www'/);
  });

  it('renews a certificate, then removes it once no route uses it', async () => {
    const renew = await withFiles('renew', 'site', inDir('renewed.crt'), inDir('renewed.key'));
    assert.equal(renew.code, 0, renew.err);
    assert.match(renew.out, /certificate web\/site renewed/);
    const c = await json<{ fingerprint: string; version: number }>([
      'certificates',
      'get',
      'site',
      '-p',
      'web',
    ]);
    assert.equal(c.fingerprint, renewed.fingerprint);
    assert.equal(c.version, 2);
    assert.equal((await berth(['routes', 'delete', 'www', '-p', 'web', '-e', 'test'])).code, 0);
    const rm = await berth(['certificates', 'remove', 'site', '-p', 'web']);
    assert.equal(rm.code, 0, rm.err);
    const left = await json<{ items: unknown[] }>(['certificates', 'list', '-p', 'web']);
    assert.deepEqual(left.items, []);
  });
});
