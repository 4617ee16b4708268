/**
 * The objects Berth applies to a Kubernetes cluster (src/manifests): every object of a matrix of
 * service and namespace specs passes the official schemas and the API server's own rules
 * (test/object-checks.ts), each check can fail, and the behaviour someone would notice — restricted
 * pods, an immutable selector, rolls on secret changes, rotation, the quota — holds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  labelKeys,
  type ContainerCreateSpec,
  type KubeObject,
  type NamespaceSpec,
  type WorkloadSpec,
} from '@berth/engine-api';
import { InvalidError } from '@berth/shared';
import {
  configFileKey,
  kubeKeys,
  manifestsYaml,
  namespaceObjects,
  ownershipSelector,
  podSecurityLevel,
  oneOffPod,
  oneOffSecret,
  workloadObjects,
} from '../src/manifests/index';
import { namespaceName, serviceObjectName } from '../src/names';
import {
  apiServerProblems,
  objectProblems,
  podSecurityProblems,
  schemaProblems,
  unknownFieldProblems,
} from './object-checks';

type Obj = Record<string, unknown>;

function workload(over: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    project: 'shop',
    env: 'prod',
    service: 'web',
    serviceId: '0b7e2f7c-3d7a-4c49-9a57-7d4f0c1b5a21',
    instance: 'berth-test',
    cluster: 'k1',
    release: 1,
    restartNonce: 0,
    replicas: 2,
    image: 'registry.example.net:5000/shop/web:1.0',
    variables: {},
    secretVariables: {},
    ports: [{ containerPort: 8080 }],
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineSeconds: 120,
      drainSeconds: 2,
      stopGraceSeconds: 10,
    },
    labels: {},
    runAsRoot: false,
    capabilities: [],
    readOnlyRootFilesystem: false,
    configs: [],
    volumes: [],
    ...over,
  };
}

function namespace(over: Partial<NamespaceSpec> = {}): NamespaceSpec {
  return {
    project: 'shop',
    env: 'prod',
    instance: 'berth-test',
    cluster: 'k1',
    quota: { cpu: null, memoryMiB: null, replicas: null, volumesGiB: null },
    defaults: { cpu: null, memoryMiB: null },
    ...over,
  };
}

const probeTimings = {
  initialDelaySeconds: 3,
  periodSeconds: 4,
  timeoutSeconds: 2,
  successThreshold: 2,
  failureThreshold: 5,
};
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]).toString('base64');
const longName = `9${'x'.repeat(61)}z`;

const workloads: Record<string, WorkloadSpec> = {
  minimal: workload(),
  'no ports': workload({ ports: [] }),
  'several ports': workload({
    ports: [
      { name: 'http', containerPort: 8080 },
      { name: 'metrics-exporter-endpoint', containerPort: 9090 },
      { name: '9000', containerPort: 9000 },
      { containerPort: 9100 },
    ],
  }),
  'http probes': workload({
    liveness: { type: 'http', path: '/healthz', ...probeTimings },
    readiness: { type: 'http', port: 8081, ...probeTimings },
    ports: [{ containerPort: 8080 }, { containerPort: 8081 }],
  }),
  'tcp probes': workload({
    liveness: { type: 'tcp', ...probeTimings },
    readiness: { type: 'tcp', port: 8080, ...probeTimings },
  }),
  'exec probes': workload({
    ports: [],
    liveness: { type: 'exec', command: ['cat', '/tmp/alive'], ...probeTimings },
    readiness: { type: 'exec', command: ['sh', '-c', 'test -f /tmp/ready'], ...probeTimings },
  }),
  secrets: workload({
    variables: { PLAIN: 'a $(HOME) b', EMPTY: '' },
    secretVariables: { DB_PASSWORD: 'p@$$w0rd', API_TOKEN: 'tok' },
    command: ['sh', '-c', 'echo $HOME'],
    args: ['$(X)'],
  }),
  configs: workload({
    configs: [
      {
        config: 'app',
        version: 3,
        path: '/etc/app',
        files: { 'app.conf': 'a=1\n', 'conf.d/extra.conf': 'b=2\n', 'logo.png': png },
        binary: ['logo.png'],
      },
      {
        config: 'app',
        version: 3,
        path: '/srv/app-copy',
        files: { 'app.conf': 'a=1\n', 'conf.d/extra.conf': 'b=2\n', 'logo.png': png },
        binary: ['logo.png'],
      },
      { config: 'nginx', version: 1, path: '/etc/nginx', files: { 'nginx.conf': 'events {}\n' } },
    ],
  }),
  volumes: workload({
    runAsUser: 1000,
    runAsGroup: 1000,
    volumes: [
      { volume: 'data', path: '/data', readOnly: false, sizeMiB: 1024, accessMode: 'ReadWriteOnce' },
      { volume: 'data', path: '/data-ro', readOnly: true, sizeMiB: 1024, accessMode: 'ReadWriteOnce' },
      {
        volume: 'shared',
        path: '/shared',
        readOnly: true,
        sizeMiB: 512,
        storageClass: 'nfs-client',
        accessMode: 'ReadWriteMany',
      },
    ],
  }),
  'root with capabilities': workload({
    runAsRoot: true,
    runAsUser: 0,
    capabilities: ['NET_BIND_SERVICE', 'CHOWN', 'SETUID'],
  }),
  'read-only root filesystem': workload({
    readOnlyRootFilesystem: true,
    cpu: 0.25,
    memoryMiB: 128,
    pidsLimit: 256,
  }),
  'read-only root with its own /tmp': workload({
    readOnlyRootFilesystem: true,
    volumes: [{ volume: 'scratch', path: '/tmp', readOnly: false, sizeMiB: 64, accessMode: 'ReadWriteOnce' }],
  }),
  'zero replicas': workload({ replicas: 0 }),
  'node-port exposure': workload({
    exposure: 'node-port',
    ports: [{ name: 'http', containerPort: 80 }, { containerPort: 443 }],
  }),
  'long and digit-leading names': workload({
    project: `1${'p'.repeat(62)}`,
    env: `2${'e'.repeat(62)}`,
    service: longName,
    configs: [
      {
        config: `3${'c'.repeat(62)}`,
        version: 123456,
        path: '/etc/c',
        files: { [`${'f'.repeat(90)}/${'g'.repeat(40)}`]: 'x' },
      },
    ],
    volumes: [
      { volume: `4${'v'.repeat(62)}`, path: '/v', readOnly: false, sizeMiB: 1, accessMode: 'ReadWriteOnce' },
    ],
  }),
  'everything else': workload({
    pullSecret: true,
    workingDir: '/srv',
    cpu: 1.5,
    memoryMiB: 512,
    labels: { team: 'payments', 'berth.service': 'forged', 'berth.io': 'x', tier: 'on' },
    rollout: {
      maxSurge: 0,
      maxUnavailable: 1,
      progressDeadlineSeconds: 600,
      drainSeconds: 0,
      stopGraceSeconds: 30,
    },
  }),
};

const namespaces: Record<string, NamespaceSpec> = {
  'no quota': namespace(),
  'some quota': namespace({ quota: { cpu: 4, memoryMiB: null, replicas: 20, volumesGiB: null } }),
  'all quota, defaults, pull secret, gateways': namespace({
    quota: { cpu: 0.5, memoryMiB: 2048, replicas: 3, volumesGiB: 10 },
    defaults: { cpu: 0.1, memoryMiB: 64 },
    pullSecret: { registry: 'registry.example.net:5000', username: 'robot$shop', password: 'secret' },
    gatewayCidrs: ['192.0.2.0/24', '2001:db8::/64'],
  }),
  'memory default only': namespace({ defaults: { cpu: null, memoryMiB: 256 } }),
  baseline: namespace({ podSecurity: 'baseline' }),
};

const kinds = (objs: KubeObject[]) => objs.map((o) => o.kind);
const one = (objs: KubeObject[], kind: string): KubeObject => {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind} in ${kinds(objs).join(', ')}`);
  return found[0]!;
};
const podSpec = (objs: KubeObject[]) => ((one(objs, 'Deployment').spec as Obj).template as Obj).spec as Obj;
const template = (objs: KubeObject[]) =>
  (one(objs, 'Deployment').spec as Obj).template as {
    metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  };
const app = (objs: KubeObject[]) => (podSpec(objs).containers as Obj[])[0]!;

describe('generated objects validate', () => {
  for (const [name, w] of Object.entries(workloads))
    it(`workload: ${name}`, () => {
      const objs = [
        ...namespaceObjects(
          namespace({
            project: w.project,
            env: w.env,
            pullSecret: { registry: 'r', username: 'u', password: 'p' },
          }),
        ),
        ...workloadObjects(w),
      ];
      assert.deepEqual(objectProblems(objs), []);
    });
  for (const [name, ns] of Object.entries(namespaces))
    it(`namespace: ${name}`, () => {
      assert.deepEqual(objectProblems(namespaceObjects(ns)), []);
    });

  it('each check catches a broken object, so the checks above can fail', () => {
    const d = one(workloadObjects(workload()), 'Deployment');
    const broken = structuredClone(d);
    (broken.spec as Obj).replicas = '2';
    assert.match(schemaProblems(broken).join(), /replicas must be integer/);
    const typo = structuredClone(d);
    ((((typo.spec as Obj).template as Obj).spec as Obj).securityContext as Obj).runAsNonroot = true;
    assert.deepEqual(unknownFieldProblems(typo), [
      'Deployment/web: unknown field .spec.template.spec.securityContext.runAsNonroot',
    ]);
    assert.deepEqual(schemaProblems(typo), [], 'the OpenAPI schema alone lets unknown fields through');
    const badName = structuredClone(one(workloadObjects(workload()), 'Service'));
    badName.metadata.name = '9lives';
    assert.match(apiServerProblems(badName).join(), /name "9lives" is not valid for a Service/);
    const unselected = structuredClone(d);
    (unselected.spec as Obj).selector = { matchLabels: { [labelKeys.service]: 'other' } };
    assert.match(objectProblems([unselected]).join(), /does not match the template's labels/);
  });
});

/** A cron attempt's container spec (cron-scheduler.ts) with overrides. */
function oneOff(over: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec {
  return {
    name: 'cron-shop-prod-report-0a1b2c3d-1',
    image: 'registry.example.net:5000/shop/report:1.4',
    command: ['report'],
    args: ['--since=24h'],
    env: { DB_PASSWORD: 's3cret$', MODE: 'nightly' },
    labels: {
      'berth.cron-instance': 'berth-test',
      'berth.cronjob': '0lx2k3m4n5',
      'berth.cron-run': '0lx2k3m4n6',
      [labelKeys.project]: 'shop',
      [labelKeys.env]: 'prod',
      [labelKeys.cluster]: 'k1',
    },
    ports: [],
    cpu: 0.5,
    memoryMiB: 256,
    pidsLimit: 128,
    capabilities: [],
    noNewPrivileges: true,
    readOnlyRootfs: false,
    user: '65534',
    ...over,
  };
}

const oneOffs: Record<string, { spec: ContainerCreateSpec; level: 'restricted' | 'baseline' }> = {
  'a cron run as nobody': { spec: oneOff(), level: 'restricted' },
  'read-only root, working dir, uid:gid, a claim, a port': {
    spec: oneOff({
      readOnlyRootfs: true,
      workingDir: '/srv',
      user: '1000:1000',
      volumes: [{ name: 'out', destination: '/out' }],
      ports: [{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: 0 }],
    }),
    level: 'restricted',
  },
  'no user, no resources, no command': {
    spec: oneOff({
      user: undefined,
      cpu: undefined,
      memoryMiB: undefined,
      command: undefined,
      args: undefined,
    }),
    level: 'restricted',
  },
  'root with baseline capabilities': {
    spec: oneOff({ user: '0', capabilities: ['CHOWN', 'NET_BIND_SERVICE'] }),
    level: 'baseline',
  },
};

describe('one-off pods (runContainer) validate', () => {
  const owner = { instance: 'berth-test', cluster: 'k1', pullSecret: true };
  for (const [name, { spec, level }] of Object.entries(oneOffs))
    it(`pod: ${name}`, () => {
      const pod = oneOffPod(spec, owner);
      const secret = oneOffSecret(spec, owner)!;
      assert.deepEqual(objectProblems([secret, pod]), []);
      // every variable by reference to the pod's Secret, which has it
      const env = ((pod.spec as Obj).containers as { env: { name: string; valueFrom: Obj }[] }[])[0]!.env;
      assert.deepEqual(
        env.map((e) => e.name),
        Object.keys(secret.data as Obj),
      );
      assert.ok(env.every((e) => e.valueFrom.secretKeyRef));
      assert.deepEqual(podSecurityProblems(pod.spec as Obj, level), []);
      if (level === 'baseline')
        assert.notDeepEqual(podSecurityProblems(pod.spec as Obj, 'restricted'), [], 'root is not restricted');
      assert.equal((pod.spec as Obj).restartPolicy, 'Never');
      assert.equal(pod.metadata.namespace, namespaceName('shop', 'prod'));
    });

  it('a broken pod fails the checks, so the checks above can fail', () => {
    const pod = oneOffPod(oneOff(), owner);
    const bad = structuredClone(pod);
    (bad.spec as Obj).restartPolicy = 'Sometimes';
    assert.match(objectProblems([bad]).join(), /restartPolicy/);
    const typo = structuredClone(pod);
    ((typo.spec as Obj).securityContext as Obj).runAsNonroot = true;
    assert.match(unknownFieldProblems(typo).join(), /runAsNonroot/);
    const escalating = structuredClone(pod);
    (((escalating.spec as Obj).containers as Obj[])[0]!.securityContext as Obj).allowPrivilegeEscalation =
      true;
    assert.match(
      podSecurityProblems(escalating.spec as Obj, 'restricted').join(),
      /allowPrivilegeEscalation/,
    );
  });
});

describe('namespace objects', () => {
  it('puts the namespace first with its ownership and pod security labels, restricted by default', () => {
    const objs = namespaceObjects(namespace());
    assert.deepEqual(kinds(objs), ['Namespace', 'NetworkPolicy']);
    const ns = objs[0]!;
    assert.equal(ns.metadata.name, namespaceName('shop', 'prod'));
    assert.deepEqual(ns.metadata.labels, {
      'app.kubernetes.io/managed-by': 'berth',
      'berth.instance': 'berth-test',
      'berth.cluster': 'k1',
      'berth.project': 'shop',
      'berth.env': 'prod',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    const baseline = namespaceObjects(namespace({ podSecurity: 'baseline' }))[0]!;
    assert.equal(baseline.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'baseline');
    for (const o of objs.slice(1)) assert.equal(o.metadata.namespace, ns.metadata.name);
  });

  it('lets in the namespace, the same project, the gateways and the gateway CIDRs, and nothing else', () => {
    const np = one(namespaceObjects(namespace({ gatewayCidrs: ['192.0.2.0/24'] })), 'NetworkPolicy');
    const spec = np.spec as Obj;
    assert.deepEqual(spec.podSelector, {});
    assert.deepEqual(spec.policyTypes, ['Ingress'], 'egress is not restricted');
    const from = (spec.ingress as { from: Obj[] }[])[0]!.from;
    assert.deepEqual(from, [
      { podSelector: {} },
      {
        namespaceSelector: {
          matchLabels: {
            'app.kubernetes.io/managed-by': 'berth',
            'berth.instance': 'berth-test',
            'berth.project': 'shop',
          },
        },
      },
      { namespaceSelector: { matchLabels: { 'berth.io/gateway': 'true' } } },
      { namespaceSelector: {}, podSelector: { matchLabels: { 'berth.io/gateway': 'true' } } },
      { ipBlock: { cidr: '192.0.2.0/24' } },
    ]);
    // another project's namespace carries none of the labels a peer selects
    const other = namespaceObjects(namespace({ project: 'other' }))[0]!.metadata.labels!;
    const selects = (peer: Obj) => {
      const sel = (peer.namespaceSelector as { matchLabels?: Record<string, string> } | undefined)
        ?.matchLabels;
      return (
        peer.podSelector === undefined &&
        sel !== undefined &&
        Object.entries(sel).every(([k, v]) => other[k] === v)
      );
    };
    assert.equal(from.filter(selects).length, 0);
  });

  it('quota: only the dimensions that are set, none at all when all are null', () => {
    assert.equal(namespaceObjects(namespace()).filter((o) => o.kind === 'ResourceQuota').length, 0);
    const some = one(namespaceObjects(namespaces['some quota']!), 'ResourceQuota');
    assert.deepEqual((some.spec as Obj).hard, { 'limits.cpu': '4000m', 'requests.cpu': '4000m', pods: '20' });
    const all = one(
      namespaceObjects(namespaces['all quota, defaults, pull secret, gateways']!),
      'ResourceQuota',
    );
    assert.deepEqual((all.spec as Obj).hard, {
      'limits.cpu': '500m',
      'requests.cpu': '500m',
      'limits.memory': '2048Mi',
      'requests.memory': '2048Mi',
      pods: '3',
      'requests.storage': '10Gi',
    });
  });

  it('defaults and the pull secret', () => {
    const objs = namespaceObjects(namespaces['all quota, defaults, pull secret, gateways']!);
    assert.deepEqual(kinds(objs), ['Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'Secret']);
    assert.deepEqual((one(objs, 'LimitRange').spec as Obj).limits, [
      {
        type: 'Container',
        default: { cpu: '100m', memory: '64Mi' },
        defaultRequest: { cpu: '100m', memory: '64Mi' },
      },
    ]);
    const pull = one(objs, 'Secret');
    assert.equal(pull.metadata.name, 'berth-pull');
    assert.equal(pull.type, 'kubernetes.io/dockerconfigjson');
    const config = JSON.parse(
      Buffer.from((pull.data as Obj)['.dockerconfigjson'] as string, 'base64').toString(),
    );
    assert.deepEqual(config.auths['registry.example.net:5000'], {
      username: 'robot$shop',
      password: 'secret',
      auth: Buffer.from('robot$shop:secret').toString('base64'),
    });
    const memOnly = one(namespaceObjects(namespaces['memory default only']!), 'LimitRange');
    assert.deepEqual((memOnly.spec as Obj).limits, [
      { type: 'Container', default: { memory: '256Mi' }, defaultRequest: { memory: '256Mi' } },
    ]);
  });
});

describe('workload objects', () => {
  it('applies the secret, config maps and claims before the Deployment, then the Service', () => {
    const w = workload({
      secretVariables: { A: 'b' },
      configs: workloads.configs!.configs,
      volumes: workloads.volumes!.volumes,
    });
    assert.deepEqual(kinds(workloadObjects(w)), [
      'Secret',
      'ConfigMap',
      'ConfigMap',
      'PersistentVolumeClaim',
      'PersistentVolumeClaim',
      'Deployment',
      'Service',
    ]);
    assert.deepEqual(kinds(workloadObjects(workload({ ports: [] }))), ['Deployment']);
  });

  it('runs restricted by default: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    const objs = workloadObjects(workload());
    const pod = podSpec(objs);
    assert.deepEqual(podSecurityProblems(pod, 'restricted'), []);
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(app(objs).securityContext, {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: false,
      runAsNonRoot: true,
    });
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.enableServiceLinks, false);
    for (const [name, w] of Object.entries(workloads))
      if (!w.runAsRoot)
        assert.deepEqual(podSecurityProblems(podSpec(workloadObjects(w)), 'restricted'), [], name);
  });

  it('runs as root with capabilities only when allowed, and then needs a baseline namespace', () => {
    const objs = workloadObjects(workloads['root with capabilities']!);
    const pod = podSpec(objs);
    assert.equal((pod.securityContext as Obj).runAsNonRoot, undefined);
    assert.equal((pod.securityContext as Obj).runAsUser, 0);
    assert.deepEqual((app(objs).securityContext as Obj).capabilities, {
      drop: ['ALL'],
      add: ['NET_BIND_SERVICE', 'CHOWN', 'SETUID'],
    });
    assert.equal((app(objs).securityContext as Obj).allowPrivilegeEscalation, false);
    assert.notDeepEqual(podSecurityProblems(pod, 'restricted'), []);
    assert.deepEqual(podSecurityProblems(pod, 'baseline'), []);
  });

  it('names the Pod Security level a service needs, which the checks confirm', () => {
    const cases: [Partial<WorkloadSpec>, string][] = [
      [{}, 'restricted'],
      [{ capabilities: ['NET_BIND_SERVICE'] }, 'restricted'],
      [{ capabilities: ['CHOWN'] }, 'baseline'],
      [{ runAsRoot: true }, 'baseline'],
      [{ capabilities: ['NET_RAW'] }, 'privileged'],
    ];
    for (const [over, level] of cases) {
      const w = workload(over);
      assert.equal(podSecurityLevel(w), level, JSON.stringify(over));
      const pod = podSpec(workloadObjects(w));
      assert.equal(
        podSecurityProblems(pod, 'restricted').length === 0,
        level === 'restricted',
        `restricted ${JSON.stringify(over)}`,
      );
      assert.equal(
        podSecurityProblems(pod, 'baseline').length === 0,
        level !== 'privileged',
        `baseline ${JSON.stringify(over)}`,
      );
    }
  });

  it('keeps the selector of release 1 for release 2 and a restart, and labels the template with both', () => {
    const r1 = workloadObjects(workload({ release: 1 }));
    const r2 = workloadObjects(
      workload({ release: 2, restartNonce: 5, image: 'registry.example.net:5000/shop/web:2.0' }),
    );
    const sel = (objs: KubeObject[]) => (one(objs, 'Deployment').spec as Obj).selector;
    assert.deepEqual(sel(r1), {
      matchLabels: { 'berth.service': '0b7e2f7c-3d7a-4c49-9a57-7d4f0c1b5a21' },
      // the route canaries' pods are not the service's (ADR 0008)
      matchExpressions: [{ key: 'berth.canary', operator: 'DoesNotExist' }],
    });
    assert.deepEqual(sel(r2), sel(r1));
    assert.deepEqual(one(r2, 'Service').spec, one(r1, 'Service').spec);
    const labels = template(r2).metadata.labels;
    assert.equal(labels['berth.release'], '2');
    assert.equal(labels['berth.restart'], '5');
    assert.equal(labels['berth.rotation'], 'in');
  });

  it('changes the template annotation when a secret changes, and only then', () => {
    const a = template(workloadObjects(workload({ secretVariables: { TOKEN: 'one' } }))).metadata.annotations;
    const a2 = template(workloadObjects(workload({ secretVariables: { TOKEN: 'one' } }))).metadata
      .annotations;
    const b = template(workloadObjects(workload({ secretVariables: { TOKEN: 'two' } }))).metadata.annotations;
    assert.ok(a?.[kubeKeys.secretChecksum]);
    assert.equal(a[kubeKeys.secretChecksum], a2?.[kubeKeys.secretChecksum]);
    assert.notEqual(a[kubeKeys.secretChecksum], b?.[kubeKeys.secretChecksum]);
    assert.ok(!JSON.stringify(a).includes('one'), 'the annotation is a checksum, not the value');
    const c1 = template(workloadObjects(workloads.configs!)).metadata.annotations?.[kubeKeys.configChecksum];
    const c2 = template(
      workloadObjects(
        workload({ configs: workloads.configs!.configs.map((c) => ({ ...c, version: c.version + 1 })) }),
      ),
    ).metadata.annotations?.[kubeKeys.configChecksum];
    assert.ok(c1 && c2 && c1 !== c2);
    const c3 = template(
      workloadObjects(
        workload({
          configs: workloads.configs!.configs.map((c) => ({
            ...c,
            files: { ...c.files, 'app.conf': 'a=2\n' },
          })),
        }),
      ),
    ).metadata.annotations?.[kubeKeys.configChecksum];
    assert.notEqual(
      c3,
      c1,
      'a config created again with the same version but other files rolls the pods too',
    );
  });

  it('the Service selects only pods in rotation, ClusterIP by default, NodePort when asked', () => {
    const svc = one(workloadObjects(workload()), 'Service');
    assert.deepEqual((svc.spec as Obj).selector, {
      'berth.service': '0b7e2f7c-3d7a-4c49-9a57-7d4f0c1b5a21',
      'berth.rotation': 'in',
    });
    assert.equal((svc.spec as Obj).type, 'ClusterIP');
    const np = one(workloadObjects(workloads['node-port exposure']!), 'Service');
    assert.equal((np.spec as Obj).type, 'NodePort');
    assert.deepEqual((np.spec as Obj).ports, [
      { name: 'http', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'port-443', port: 443, targetPort: 443, protocol: 'TCP' },
    ]);
    assert.equal(
      one(workloadObjects(workloads['long and digit-leading names']!), 'Service').metadata.name,
      serviceObjectName(longName),
    );
  });

  it('labels every object with its owner; config maps and claims belong to the environment, not the service', () => {
    const objs = workloadObjects(
      workload({
        secretVariables: { A: 'b' },
        configs: workloads.configs!.configs,
        volumes: workloads.volumes!.volumes,
      }),
    );
    const envSelector = ownershipSelector({
      instance: 'berth-test',
      cluster: 'k1',
      project: 'shop',
      env: 'prod',
    });
    assert.equal(
      envSelector,
      'app.kubernetes.io/managed-by=berth,berth.instance=berth-test,berth.cluster=k1,berth.project=shop,berth.env=prod',
    );
    for (const o of objs) {
      const labels = o.metadata.labels ?? {};
      for (const part of envSelector.split(','))
        assert.equal(`${part.split('=')[0]}=${labels[part.split('=')[0]!]}`, part, `${o.kind} ${part}`);
      const shared = o.kind === 'ConfigMap' || o.kind === 'PersistentVolumeClaim';
      assert.equal(
        labels[labelKeys.service],
        shared ? undefined : '0b7e2f7c-3d7a-4c49-9a57-7d4f0c1b5a21',
        o.kind,
      );
    }
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    assert.equal(cm.metadata.labels?.['berth.config'], 'app');
    assert.equal(cm.metadata.labels?.['berth.config-version'], '3');
    assert.equal(
      objs.find((o) => o.kind === 'PersistentVolumeClaim')!.metadata.labels?.['berth.volume'],
      'data',
    );
  });

  it("drops the user's berth.* labels and keeps the others; refuses a value Kubernetes cannot store", () => {
    const labels = template(workloadObjects(workloads['everything else']!)).metadata.labels;
    assert.equal(labels.team, 'payments');
    assert.equal(labels.tier, 'on');
    assert.equal(labels['berth.service'], '0b7e2f7c-3d7a-4c49-9a57-7d4f0c1b5a21');
    assert.equal(labels['berth.io'], undefined);
    assert.throws(
      () => workloadObjects(workload({ labels: { team: 'Payments Team' } })),
      (e: unknown) => e instanceof InvalidError && /spec\.labels\.team/.test(e.message),
    );
  });

  it('maps the container: env with secrets by reference, $ kept literal, resources, ports, probes, drain', () => {
    const sec = app(workloadObjects(workloads.secrets!));
    assert.deepEqual(sec.env, [
      { name: 'PLAIN', value: 'a $$(HOME) b' },
      { name: 'EMPTY', value: '' },
      {
        name: 'DB_PASSWORD',
        valueFrom: {
          secretKeyRef: {
            name: one(workloadObjects(workloads.secrets!), 'Secret').metadata.name,
            key: 'DB_PASSWORD',
          },
        },
      },
      {
        name: 'API_TOKEN',
        valueFrom: {
          secretKeyRef: {
            name: one(workloadObjects(workloads.secrets!), 'Secret').metadata.name,
            key: 'API_TOKEN',
          },
        },
      },
    ]);
    assert.deepEqual(sec.command, ['sh', '-c', 'echo $$HOME']);
    assert.deepEqual(sec.args, ['$$(X)']);
    const secret = one(workloadObjects(workloads.secrets!), 'Secret');
    assert.equal(
      Buffer.from((secret.data as Record<string, string>).DB_PASSWORD!, 'base64').toString(),
      'p@$$w0rd',
    );

    const ro = app(workloadObjects(workloads['read-only root filesystem']!));
    assert.deepEqual(ro.resources, {
      limits: { cpu: '250m', memory: '128Mi' },
      requests: { cpu: '250m', memory: '128Mi' },
    });
    assert.deepEqual(ro.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
    assert.ok(
      !JSON.stringify(workloadObjects(workloads['read-only root filesystem']!)).includes('256'),
      'no pids limit is invented',
    );

    assert.deepEqual(app(workloadObjects(workloads['several ports']!)).ports, [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { containerPort: 9090, protocol: 'TCP' },
      { containerPort: 9000, protocol: 'TCP' },
      { containerPort: 9100, protocol: 'TCP' },
    ]);
    assert.deepEqual(
      ((one(workloadObjects(workloads['several ports']!), 'Service').spec as Obj).ports as Obj[]).map(
        (p) => p.name,
      ),
      ['http', 'metrics-exporter-endpoint', '9000', 'port-9100'],
    );

    const http = app(workloadObjects(workloads['http probes']!));
    assert.deepEqual(http.livenessProbe, {
      httpGet: { path: '/healthz', port: 8080 },
      ...probeTimings,
      successThreshold: 1,
    });
    assert.deepEqual(http.readinessProbe, { httpGet: { path: '/', port: 8081 }, ...probeTimings });
    const tcp = app(workloadObjects(workloads['tcp probes']!));
    assert.deepEqual(tcp.livenessProbe, { tcpSocket: { port: 8080 }, ...probeTimings, successThreshold: 1 });
    const exec = app(workloadObjects(workloads['exec probes']!));
    assert.deepEqual(exec.readinessProbe, {
      exec: { command: ['sh', '-c', 'test -f /tmp/ready'] },
      ...probeTimings,
    });

    const minimal = workloadObjects(workload());
    assert.deepEqual(app(minimal).lifecycle, { preStop: { sleep: { seconds: 2 } } });
    assert.equal(podSpec(minimal).terminationGracePeriodSeconds, 12);
    const noDrain = workloadObjects(workloads['everything else']!);
    assert.equal(app(noDrain).lifecycle, undefined);
    assert.deepEqual(podSpec(noDrain).imagePullSecrets, [{ name: 'berth-pull' }]);
    assert.equal(podSpec(minimal).imagePullSecrets, undefined);
    assert.deepEqual((one(noDrain, 'Deployment').spec as Obj).strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    assert.throws(
      () => workloadObjects(workload({ ports: [], readiness: { type: 'http', ...probeTimings } })),
      InvalidError,
    );
  });

  it('mounts configs read-only with every file at its path, binary files as binaryData, claims with fsGroup', () => {
    const objs = workloadObjects(workloads.configs!);
    const maps = objs.filter((o) => o.kind === 'ConfigMap');
    assert.equal(maps.length, 2, 'one ConfigMap per config version, however often it is mounted');
    const app3 = maps[0]!;
    assert.deepEqual(app3.data, { 'app.conf': 'a=1\n', [configFileKey('conf.d/extra.conf')]: 'b=2\n' });
    assert.deepEqual(app3.binaryData, { 'logo.png': png });
    const volume = (podSpec(objs).volumes as Obj[]).find(
      (v) => (v.configMap as Obj | undefined)?.name === app3.metadata.name,
    )!;
    assert.deepEqual((volume.configMap as Obj).items, [
      { key: 'app.conf', path: 'app.conf' },
      { key: configFileKey('conf.d/extra.conf'), path: 'conf.d/extra.conf' },
      { key: 'logo.png', path: 'logo.png' },
    ]);
    assert.deepEqual(
      (app(objs).volumeMounts as Obj[]).map((m) => [m.mountPath, m.readOnly]),
      [
        ['/etc/app', true],
        ['/srv/app-copy', true],
        ['/etc/nginx', true],
      ],
    );

    const vol = workloadObjects(workloads.volumes!);
    const claims = vol.filter((o) => o.kind === 'PersistentVolumeClaim');
    assert.deepEqual(
      claims.map((c) => c.spec),
      [
        { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } },
        {
          accessModes: ['ReadWriteMany'],
          storageClassName: 'nfs-client',
          resources: { requests: { storage: '512Mi' } },
        },
      ],
    );
    assert.deepEqual((podSpec(vol).securityContext as Obj).fsGroup, 1000);
    assert.deepEqual(
      (app(vol).volumeMounts as Obj[]).map((m) => [m.mountPath, m.readOnly ?? false]),
      [
        ['/data', false],
        ['/data-ro', true],
        ['/shared', true],
      ],
    );
    const ownTmp = workloadObjects(workloads['read-only root with its own /tmp']!);
    assert.deepEqual(
      (app(ownTmp).volumeMounts as Obj[]).map((m) => m.mountPath),
      ['/tmp'],
      'no emptyDir over a volume at /tmp',
    );
  });

  it('zero replicas is a Deployment scaled to zero', () => {
    assert.equal((one(workloadObjects(workloads['zero replicas']!), 'Deployment').spec as Obj).replicas, 0);
  });
});

describe('manifestsYaml', () => {
  it('writes one YAML 1.1 document per object that Kubernetes reads back as the same objects', () => {
    const objs = [
      ...namespaceObjects(namespaces['all quota, defaults, pull secret, gateways']!),
      ...workloadObjects(workloads['everything else']!),
      ...workloadObjects(workloads.configs!),
    ];
    const text = manifestsYaml(objs);
    const docs = parseAllDocuments(text, { version: '1.1' });
    assert.equal(docs.length, objs.length);
    assert.deepEqual(
      docs.map((d) => d.toJS()),
      objs,
    );
    // YAML 1.1 reads a bare `on` as true: the label value is quoted
    assert.match(text, /tier: "on"/);
  });
});

describe('namespace prefix (two Berth clusters on one API server)', () => {
  it('keeps the names clusters had without a prefix, and puts every object of a prefixed cluster in its own namespace', () => {
    // the name without a prefix is the one before prefixes existed: a recorded value, not recomputed
    assert.equal(namespaceName('shop', 'prod'), 'shop-prod-8ad5775a');
    assert.equal(namespaceName('shop', 'prod', ''), namespaceName('shop', 'prod'));
    const name = namespaceName('shop', 'prod', 'dc2');
    assert.match(name, /^dc2-shop-prod-[0-9a-f]{8}$/);
    assert.notEqual(namespaceName('shop', 'prod', 'dc3'), name);
    const objs = [
      ...namespaceObjects(namespace({ namespacePrefix: 'dc2' })),
      ...workloadObjects(workload({ namespacePrefix: 'dc2', secretVariables: { K: 'v' } })),
    ];
    assert.equal(objs[0]!.metadata.name, name);
    for (const o of objs.slice(1))
      assert.equal(o.metadata.namespace, name, `${o.kind} in the prefixed namespace`);
    assert.deepEqual(objectProblems(objs), []);
  });

  it('never cuts the prefix, stays a 63-character label, and refuses a prefix that is no DNS label prefix', () => {
    const long = 'p'.repeat(63);
    const prefix = `a${'b'.repeat(38)}c`; // 40, the longest allowed
    const name = namespaceName(long, long, prefix);
    assert.ok(name.length <= 63, name);
    assert.ok(name.startsWith(`${prefix}-p`), name);
    assert.match(name, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    assert.notEqual(namespaceName(long, `${long.slice(1)}q`, prefix), name, 'the hash tells cut names apart');
    assert.throws(
      () => namespaceName('shop', 'prod', 'DC2'),
      /namespace prefix "DC2" must be a DNS label prefix/,
    );
    assert.throws(() => namespaceName('shop', 'prod', 'dc2-'), /must be a DNS label prefix/);
    assert.throws(() => namespaceName('shop', 'prod', `${prefix}d`), /at most 40 characters/);
  });
});
