/** Berth's Podman engine: the libpod REST API over a unix socket. */
export { PodmanEngine, type PodmanEngineOptions } from './podman-engine';
