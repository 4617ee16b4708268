/** Berth's Podman engine: the libpod REST API over a unix socket. */
export { PodmanEngine, type PodmanEngineOptions } from './podman-engine';
export { LibpodClient } from './libpod-client';
export {
  openPodmanEndpoint,
  parsePodmanEndpoint,
  sweepStaleTunnels,
  type OpenPodmanEndpointOptions,
  type ParsedPodmanEndpoint,
  type PodmanEndpointConnection,
  type PodmanEndpointCredentials,
} from './endpoint';
