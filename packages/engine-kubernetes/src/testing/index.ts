/**
 * Test support of @berth/engine-kubernetes: a test Kubernetes API server for the real client
 * (docs/kubernetes-testing.md). Not imported by the engine itself.
 */
export { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions } from './fake-apiserver';
export { defaultPodBackend, type PodBackend, type PodInfo } from './pod-runtime';
export { defaultExecHandler, ExecStartError, type ExecContext, type ExecHandler } from './exec';
export { claimDataHandler } from './claim-data';
export { podFilesHandler, type PodRoots } from './pod-files';
export type { PodProgram, ProgramPod, ReadinessPolicy } from './controllers';
export { testNamespace, testWorkload, type TestOwner } from './fixtures';
/** The engine's own API client, for tests that read what a cluster holds (a real one included). */
export { KubeClient } from '../client';
