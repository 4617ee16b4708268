/**
 * The app store's templates and parameter checks without an engine: every shipped version builds
 * specs the services module accepts, within the name limits; parameters are checked and defaulted
 * as the portal and the server both rely on; an instance's state follows its members.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nameSchema, resolveAppParams, serviceSpecSchema } from '@berth/shared';
import { templates } from '../src/modules/apps/templates';
import { generatePassword, instanceState } from '../src/modules/apps/apps.service';

describe('app templates', () => {
  for (const t of templates)
    for (const v of t.versions)
      it(`${t.name} ${v.version}: defaults build valid specs and names for the longest instance name`, () => {
        const { values, issues } = resolveAppParams(v.parameters, {});
        assert.deepEqual(issues, []);
        const name = 'a'.repeat(40);
        const secrets = Object.fromEntries(v.creates.secrets.map((s) => [s, generatePassword()]));
        // a version whose image comes from the configuration (Kafka) gets the configured one
        const image = v.imageSetting ? 'mirror.example/kafka:3.7.0' : undefined;
        // values generated at install (Kafka's cluster id) are not secrets: plain env may hold them
        const generated = Object.fromEntries(
          Object.entries(v.generated ?? {}).map(([k, make]) => [k, make()]),
        );
        const objects = v.objects({
          name,
          params: values,
          secrets: { ...secrets, ...generated },
          ...(image ? { image } : {}),
        });
        assert.deepEqual(
          objects.services.map((s) => s.name),
          v.creates.services.map((n) => n.replace('{name}', name)),
        );
        assert.deepEqual(
          objects.volumes.map((x) => x.name),
          v.creates.volumes.map((n) => n.replace('{name}', name)),
        );
        for (const s of objects.services) {
          const spec = serviceSpecSchema.safeParse(s.spec);
          assert.ok(spec.success, JSON.stringify(spec.error?.issues));
          assert.equal(spec.data.image, image ?? v.image);
          assert.equal(spec.data.runAsRoot, false);
          // secrets reach the container as secret variables only, never in args or plain env
          const plain = JSON.stringify({ args: spec.data.args, env: spec.data.env.filter((e) => !e.secret) });
          for (const secret of Object.values(secrets)) assert.ok(!plain.includes(secret));
          assert.ok(spec.data.ports.some((p) => p.containerPort === v.connection.containerPort));
          assert.equal(spec.data.rollout.maxSurge, 0, 'one writer per data volume');
        }
        for (const n of [...objects.services.map((s) => s.name), ...objects.volumes.map((x) => x.name)])
          assert.ok(nameSchema.safeParse(n).success, n);
        assert.ok(v.parameters.every((p) => p.description.en && p.description['zh-CN']));
        assert.ok(v.notes.every((n) => n.en && n['zh-CN']));
      });
});

describe('resolveAppParams', () => {
  const redis = templates.find((t) => t.name === 'redis')!.versions[0]!.parameters;
  const mariadb = templates.find((t) => t.name === 'mariadb')!.versions[0]!.parameters;

  it('fills defaults and takes digit strings for integers (the CLI sends k=v)', () => {
    const { values, issues } = resolveAppParams(redis, { maxmemoryMiB: '512', appendonly: false });
    assert.deepEqual(issues, []);
    assert.equal(values.maxmemoryMiB, 512);
    assert.equal(values.appendonly, false);
    assert.equal(values.maxmemoryPolicy, 'noeviction');
  });

  it('names each wrong value at params.<name> with its limit', () => {
    const { issues } = resolveAppParams(redis, {
      maxmemoryMiB: 70000,
      maxmemoryPolicy: 'random',
      appendonly: 'yes',
      storageMiB: 1.5,
      colour: 'blue',
    });
    assert.deepEqual(Object.fromEntries(issues.map((i) => [i.path, i.message])), {
      'params.colour':
        'is not a parameter of this app; it takes maxmemoryMiB, maxmemoryPolicy, appendonly, replicas, storageMiB, volumeClass',
      'params.maxmemoryMiB': 'must be at most 65536 MiB',
      'params.maxmemoryPolicy':
        'must be one of noeviction, allkeys-lru, volatile-lru, allkeys-lfu, volatile-lfu, volatile-ttl',
      'params.appendonly': 'must be true or false',
      'params.storageMiB': 'must be a whole number',
    });
  });

  it('checks string patterns and lengths (SQL identifiers reach the server as they are)', () => {
    const { issues } = resolveAppParams(mariadb, { database: 'shop; DROP', user: 'u'.repeat(33) });
    assert.deepEqual(
      issues.map((i) => [i.path, i.message]),
      [
        ['params.database', 'must be letters, digits and "_", not starting with a digit'],
        ['params.user', 'must be at most 32 characters'],
      ],
    );
  });
});

describe('instance state', () => {
  const member = (ready: number, desired: number, status: string) => ({
    service: 's',
    ready,
    desired,
    status,
  });
  const row = (release: number, stable: number | null, status: string) => ({
    release,
    stable_release: stable,
    status,
  });
  it('follows the members', () => {
    assert.equal(instanceState({ deleting: 1 }, [member(1, 1, 'healthy')], []), 'deleting');
    assert.equal(
      instanceState({ deleting: 0 }, [member(1, 1, 'healthy')], [row(1, 1, 'healthy')]),
      'running',
    );
    assert.equal(
      instanceState({ deleting: 0 }, [member(0, 1, 'progressing')], [row(1, null, 'progressing')]),
      'creating',
    );
    assert.equal(
      instanceState({ deleting: 0 }, [member(0, 1, 'progressing')], [row(2, 1, 'progressing')]),
      'degraded',
    );
    assert.equal(
      instanceState({ deleting: 0 }, [member(0, 1, 'failed')], [row(1, null, 'failed')]),
      'failed',
    );
    assert.equal(instanceState({ deleting: 0 }, [member(0, 0, 'missing')], []), 'failed');
  });
});
