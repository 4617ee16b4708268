import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { KubeObject } from '@berth/engine-api';
import { berthRbacRules, installManifests, installManifestsYaml } from '../src/install';

/** The official schema of each kind Berth's install has (kubernetes-models' validators). */
const models: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

function validate(obj: KubeObject): void {
  const Model = models[`${obj.apiVersion}/${obj.kind}`];
  assert.ok(Model, `no schema for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj as never).validate();
}

type Obj = Record<string, unknown>;
const podSpec = (o: KubeObject): Obj => ((o.spec as Obj).template as Obj).spec as Obj;
const byKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);

describe('berth install manifests', () => {
  it('validates every object against the Kubernetes OpenAPI schemas, with defaults and with every option', () => {
    const variants = [
      installManifests(),
      installManifests({
        namespace: 'platform',
        image: 'registry.example.net/berth:0.1.0',
        databaseSecret: 'pg-url',
        agentNodes: 'node-role.kubernetes.io/edge=yes',
        serverUrl: 'https://berth.example.net',
        agentListen: '0.0.0.0:80',
        replicas: 2,
      }),
    ];
    for (const objs of variants) {
      assert.deepEqual(
        objs.map((o) => o.kind),
        [
          'Namespace',
          'Namespace',
          'ServiceAccount',
          'ClusterRole',
          'ClusterRoleBinding',
          'Deployment',
          'Service',
          'ServiceAccount',
          'DaemonSet',
        ],
      );
      for (const o of objs) validate(o);
    }
  });

  it('grants no wildcard verb, resource or group, and every rule says which feature needs it', () => {
    const role = byKind(installManifests(), 'ClusterRole')[0] as KubeObject & { rules: Obj[] };
    assert.equal(role.rules.length, berthRbacRules.length);
    for (const rule of role.rules)
      for (const key of ['verbs', 'resources', 'apiGroups', 'nonResourceURLs'])
        for (const v of (rule[key] as string[] | undefined) ?? [])
          assert.ok(!v.includes('*'), `${key} ${v} in ${JSON.stringify(rule)}`);
    for (const r of berthRbacRules) assert.ok(r.why.length > 20, JSON.stringify(r));
    // the rights the engine needs, spot-checked: exec, logs, the pod watch, server-side apply
    const has = (group: string, resource: string, verb: string) =>
      role.rules.some(
        (r) =>
          (r.apiGroups as string[] | undefined)?.includes(group) &&
          (r.resources as string[]).includes(resource) &&
          (r.verbs as string[]).includes(verb),
      );
    assert.ok(has('', 'pods/exec', 'create'));
    assert.ok(has('', 'pods/log', 'get'));
    assert.ok(has('', 'pods', 'watch'));
    assert.ok(has('apps', 'deployments', 'patch'));
    assert.ok(has('metrics.k8s.io', 'pods', 'list'));
    assert.ok(!has('', 'nodes', 'patch'), 'nodes are only read');
    // the binding gives the role to the server's service account, nothing else
    const binding = byKind(installManifests(), 'ClusterRoleBinding')[0] as Obj;
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'berth', namespace: 'berth' }]);
  });

  it('runs the server restricted, with the database URL from the Secret and probes on /api/health', () => {
    const deployment = byKind(installManifests({ databaseSecret: 'pg-url' }), 'Deployment')[0]!;
    const spec = podSpec(deployment);
    assert.deepEqual((spec.securityContext as Obj).seccompProfile, { type: 'RuntimeDefault' });
    assert.equal((spec.securityContext as Obj).runAsNonRoot, true);
    const c = (spec.containers as Obj[])[0]!;
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    const env = c.env as Obj[];
    assert.deepEqual(env.find((e) => e.name === 'BERTH_DATABASE_URL')?.valueFrom, {
      secretKeyRef: { name: 'pg-url', key: 'BERTH_DATABASE_URL' },
    });
    assert.ok(
      env.every((e) => !/postgres/.test(JSON.stringify(e.value ?? ''))),
      'no database URL in the manifest',
    );
    // a pod has no Podman: the server starts without its built-in cluster `local`
    assert.equal(env.find((e) => e.name === 'BERTH_LOCAL_CLUSTER')?.value, 'off');
    assert.ok(!env.some((e) => e.name === 'BERTH_PODMAN_SOCKET'), 'no Podman socket is configured');
    assert.deepEqual((c.readinessProbe as Obj).httpGet, { path: '/api/health', port: 'http' });
    assert.deepEqual((c.startupProbe as Obj).httpGet, { path: '/api/health', port: 'http' });
    const ns = byKind(installManifests(), 'Namespace')[0]!;
    assert.equal(
      (ns.metadata as { labels: Record<string, string> }).labels['pod-security.kubernetes.io/enforce'],
      'restricted',
    );
  });

  it('runs the gateway agent on the labelled nodes in the host network, its token from the Secret, the options only as environment', () => {
    const ds = byKind(
      installManifests({ agentNodes: 'edge=yes', serverUrl: 'https://b.example.net' }),
      'DaemonSet',
    )[0]!;
    const spec = podSpec(ds);
    assert.equal(spec.hostNetwork, true);
    assert.deepEqual(spec.nodeSelector, { edge: 'yes' });
    assert.equal(spec.automountServiceAccountToken, false);
    const c = (spec.containers as Obj[])[0]!;
    const script = (c.command as string[])[2]!;
    assert.ok(!script.includes('b.example.net'), 'the server URL is not in the script');
    assert.ok((c.env as Obj[]).some((e) => e.name === 'BERTH_SERVER' && e.value === 'https://b.example.net'));
    assert.ok(
      (spec.volumes as Obj[]).some(
        (v) => (v.secret as Obj | undefined)?.secretName === 'berth-gateway-tokens',
      ),
    );
    // the gateway namespace lets hostNetwork pods run and is known to the namespaces' NetworkPolicies
    const gwNs = byKind(installManifests(), 'Namespace')[1]!;
    assert.equal(gwNs.metadata.name, 'berth-gateway');
    assert.equal(ds.metadata.namespace, 'berth-gateway');
  });

  it('refuses options Kubernetes would refuse, naming the option', () => {
    assert.throws(() => installManifests({ namespace: 'Berth' }), /--namespace "Berth"/);
    assert.throws(() => installManifests({ image: 'x y' }), /--image/);
    assert.throws(() => installManifests({ agentNodes: 'edge' }), /--agent-nodes "edge": write LABEL=VALUE/);
    assert.throws(() => installManifests({ agentNodes: 'edge=a b' }), /label value/);
    assert.throws(() => installManifests({ databaseSecret: 'Pg_Url' }), /--database-secret/);
  });

  it('prints YAML whose documents are the objects, each ClusterRole rule under the comment saying why', () => {
    const text = installManifestsYaml();
    const docs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    assert.deepEqual(docs, installManifests());
    for (const r of berthRbacRules) assert.ok(text.includes(`# ${r.why}`), r.why);
    // without Podman there is no cluster until this one is registered: the header says how
    assert.match(text, /# {3}berth clusters create here --kind kubernetes --endpoint in-cluster\n/);
  });
});
