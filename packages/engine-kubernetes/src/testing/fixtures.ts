/**
 * The namespace and workload specs the engine's and the server's Kubernetes tests apply to the test
 * API server: one small service of the test image on port 8080, as uid 1000, its fields overridable.
 */
import type { NamespaceSpec, WorkloadSpec } from '@berth/engine-api';

/** Where a test's objects go: project, env, Berth instance and cluster. */
export interface TestOwner {
  project: string;
  env: string;
  instance: string;
  cluster: string;
}

/** A namespace spec without quota or defaults. */
export function testNamespace(owner: TestOwner, over: Partial<NamespaceSpec> = {}): NamespaceSpec {
  return {
    ...owner,
    quota: { cpu: null, memoryMiB: null, replicas: null, volumesGiB: null },
    defaults: { cpu: null, memoryMiB: null },
    ...over,
  };
}

/** Release 1 of `service` with one replica of localhost/berth-busybox:1 (64 MiB, port 8080). */
export function testWorkload(
  owner: TestOwner & { service: string; serviceId: string },
  over: Partial<WorkloadSpec> = {},
): WorkloadSpec {
  return {
    ...owner,
    release: 1,
    restartNonce: 0,
    replicas: 1,
    image: 'localhost/berth-busybox:1',
    variables: {},
    secretVariables: {},
    ports: [{ containerPort: 8080 }],
    memoryMiB: 64,
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineSeconds: 600,
      drainSeconds: 0,
      stopGraceSeconds: 5,
    },
    labels: {},
    runAsUser: 1000,
    runAsRoot: false,
    capabilities: [],
    readOnlyRootFilesystem: false,
    configs: [],
    volumes: [],
    ...over,
  };
}
