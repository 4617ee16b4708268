import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveAppParams, type App, type AppConnection, type AppParameter } from '@berth/shared';
import { appsEn } from './messages';
import { appsZh } from './messages.zh';
import {
  connectionLines,
  installBody,
  installFieldFor,
  initialParams,
  localized,
  membersReady,
  paramInput,
  paramLimits,
  paramProblem,
  pickVersion,
  uriWithPassword,
} from './app-view';

const text = (en: string) => ({ en, 'zh-CN': `中文 ${en}` });
const parameters: AppParameter[] = [
  {
    name: 'maxmemoryMiB',
    type: 'integer',
    default: 256,
    min: 16,
    max: 65536,
    unit: 'MiB',
    description: text('memory'),
  },
  {
    name: 'policy',
    type: 'enum',
    default: 'noeviction',
    enum: ['noeviction', 'allkeys-lru'],
    description: text('p'),
  },
  { name: 'appendonly', type: 'boolean', default: true, description: text('aof') },
  {
    name: 'volumeClass',
    type: 'string',
    default: 'local',
    pattern: '[a-z0-9]([-a-z0-9]*[a-z0-9])?',
    patternHint: 'a volume class name',
    maxLength: 63,
    description: text('class'),
  },
];
const version = (v: string, params = parameters) => ({
  version: v,
  image: `localhost/berth-apps/redis:${v}`,
  softwareVersion: '',
  parameters: params,
  creates: { services: ['{name}'], volumes: ['{name}-data'], configs: [], secrets: ['password'] },
  connection: { service: '{name}', containerPort: 6379, user: 'default', scheme: 'redis', path: '' },
  passwordRotation: true,
  notes: [],
});
const app: App = {
  name: 'redis',
  title: 'Redis',
  description: text('kv'),
  latest: '7',
  versions: [version('6'), version('7')],
};

describe('app store view helpers', () => {
  it('builds the install form from the parameters: defaults filled in, an input per type', () => {
    assert.deepEqual(initialParams(parameters), {
      maxmemoryMiB: 256,
      policy: 'noeviction',
      appendonly: true,
      volumeClass: 'local',
    });
    assert.deepEqual(parameters.map(paramInput), ['number', 'select', 'switch', 'text']);
    assert.deepEqual(paramLimits(parameters[0]!), {
      key: 'apps.install.range',
      vars: { min: '16 MiB', max: '65536 MiB' },
    });
    assert.equal(pickVersion(app).version, '7', 'the latest by default');
    assert.equal(pickVersion(app, '6').version, '6');
    assert.equal(pickVersion(app, '5').version, '7', 'a version the app lacks is the latest');
  });

  it('refuses what the server would refuse, before sending, and accepts the defaults', () => {
    const [mem, policy, aof, cls] = parameters as [AppParameter, AppParameter, AppParameter, AppParameter];
    assert.deepEqual(paramProblem(mem, 8), { key: 'apps.install.error.min', vars: { min: 16 } });
    assert.deepEqual(paramProblem(mem, 70000), { key: 'apps.install.error.max', vars: { max: 65536 } });
    assert.deepEqual(paramProblem(mem, 1.5), { key: 'apps.install.error.integer' });
    assert.deepEqual(paramProblem(mem, null), { key: 'apps.install.error.required' });
    assert.deepEqual(paramProblem(policy, 'lru'), { key: 'apps.install.error.enum' });
    assert.equal(paramProblem(aof, false), null);
    assert.deepEqual(paramProblem(cls, 'Fast!'), {
      key: 'apps.install.error.pattern',
      vars: { hint: 'a volume class name' },
    });
    for (const p of parameters) assert.equal(paramProblem(p, p.default), null, p.name);
    // the same verdicts as the server's check
    for (const [p, v] of [
      [mem, 8],
      [mem, 70000],
      [policy, 'lru'],
      [cls, 'Fast!'],
    ] as const)
      assert.equal(resolveAppParams(parameters, { [p.name]: v }).issues.length, 1, `${p.name}=${v}`);
    assert.deepEqual(resolveAppParams(parameters, initialParams(parameters)).issues, []);
  });

  it('sends the chosen version, the trimmed name and each parameter as its type', () => {
    const body = installBody(
      {
        name: ' cache ',
        version: '7',
        params: { maxmemoryMiB: 64, policy: 'allkeys-lru', appendonly: 0, volumeClass: 'fast' },
      },
      parameters,
      'redis',
    );
    assert.deepEqual(body, {
      app: 'redis',
      version: '7',
      name: 'cache',
      params: { maxmemoryMiB: 64, policy: 'allkeys-lru', appendonly: false, volumeClass: 'fast' },
    });
    // a parameter of another version left in the form is not sent; an emptied one takes the default
    const other = installBody(
      { name: 'c', version: '7', params: { stale: 1, maxmemoryMiB: null } },
      parameters,
      'redis',
    );
    assert.deepEqual(other.params, {});
  });

  it("puts the API's field errors on their fields, the rest above the form", () => {
    assert.equal(installFieldFor('name', parameters), 'name');
    assert.equal(installFieldFor('version', parameters), 'version');
    assert.deepEqual(installFieldFor('params.maxmemoryMiB', parameters), ['params', 'maxmemoryMiB']);
    assert.equal(installFieldFor('params.unknown', parameters), null);
    assert.equal(installFieldFor('app', parameters), null);
  });

  it('renders the connection info as copy-ready lines, the password only when the page has it', () => {
    const conn: AppConnection = {
      host: '127.0.0.1',
      port: 41234,
      internalHost: null,
      internalPort: 6379,
      user: 'default',
      uri: 'redis://default@127.0.0.1:41234',
      passwordReadable: true,
    };
    const plain = connectionLines(conn);
    assert.deepEqual(
      plain.map((l) => [l.id, l.value]),
      [
        ['address', '127.0.0.1:41234'],
        ['host', '127.0.0.1'],
        ['port', '41234'],
        ['internal', null],
        ['user', 'default'],
        ['uri', 'redis://default@127.0.0.1:41234'],
      ],
    );
    assert.equal(plain.find((l) => l.id === 'internal')?.note, 'apps.conn.internal.none');
    const withPassword = connectionLines(conn, 'p@ss:w/rd');
    assert.equal(withPassword.find((l) => l.id === 'password')?.value, 'p@ss:w/rd');
    assert.equal(
      withPassword.find((l) => l.id === 'uriWithPassword')?.value,
      'redis://default:p%40ss%3Aw%2Frd@127.0.0.1:41234',
    );
    // revealed by the API (?reveal=true)
    assert.equal(connectionLines({ ...conn, password: 'x' }).find((l) => l.id === 'password')?.value, 'x');
    // not published yet: nothing to copy, a note instead
    const pending = connectionLines({ ...conn, host: null, port: null, uri: null });
    assert.equal(pending.find((l) => l.id === 'address')?.value, null);
    assert.equal(pending.find((l) => l.id === 'uri')?.note, 'apps.conn.notPublished');
    assert.equal(
      connectionLines({ ...conn, internalHost: 'cache' }).find((l) => l.id === 'internal')?.value,
      'cache:6379',
    );
  });

  it('puts a password into URIs with or without a user and a path', () => {
    assert.equal(
      uriWithPassword('mysql://app@127.0.0.1:3306/shop', 'pw'),
      'mysql://app:pw@127.0.0.1:3306/shop',
    );
    assert.equal(uriWithPassword('redis://127.0.0.1:6379', 'pw'), 'redis://:pw@127.0.0.1:6379');
    assert.equal(uriWithPassword('redis://default:old@h:1', 'new'), 'redis://default:new@h:1');
  });

  it('sums the members, and speaks the user’s language', () => {
    assert.equal(
      membersReady([
        { service: 'a', ready: 1, desired: 1, status: 'healthy' },
        { service: 'b', ready: 0, desired: 2, status: 'progressing' },
      ]),
      '1/3',
    );
    assert.equal(localized(text('kv'), 'zh-CN'), '中文 kv');
    assert.equal(localized({ en: 'kv', 'zh-CN': '' }, 'zh-CN'), 'kv');
  });

  it('has every string in both languages, with the same placeholders', () => {
    const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(Object.keys(appsZh).sort(), Object.keys(appsEn).sort());
    for (const [key, en] of Object.entries(appsEn)) {
      const zh = appsZh[key as keyof typeof appsEn];
      assert.ok(zh, key);
      assert.deepEqual(vars(zh), vars(en), key);
      assert.notEqual(zh, en, key);
      assert.doesNotMatch(
        zh.replace(/\{\w+\}|Berth|Redis|MariaDB|ZooKeeper|Kafka|Debian|Cron/g, ''),
        /[A-Za-z]{4,}/,
        `${key}: no English words in Chinese (placeholders, cron and the names of Berth and of the catalog's software aside)`,
      );
    }
  });
});
