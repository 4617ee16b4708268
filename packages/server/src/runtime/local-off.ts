import type {
  ContainerEngine,
  ContainerObservation,
  ContainerStats,
  EngineEvent,
  EngineHealth,
  ExecResult,
  ExecSession,
  ImageInfo,
  LogLine,
} from '@berth/engine-api';
import { ConflictError, localClusterName } from '@berth/shared';

/** The engine kind of the stand-in for `local` under BERTH_LOCAL_CLUSTER=off. */
export const localOffKind = 'off';

/** Why something that needs this host's Podman is refused, and what to do instead. */
export const localOffMessage =
  `The built-in cluster '${localClusterName}' is off (BERTH_LOCAL_CLUSTER=off): this Berth has no Podman of its own. ` +
  'Run services on a registered cluster (berth clusters create …) attached to their environment ' +
  '(berth envs set-clusters ENV NAME), push images to a registry instead of building ' +
  'them here, or start Berth with a Podman socket (BERTH_LOCAL_CLUSTER=on).';

/** The refusal every act on `local` gets when it is off: 409 with the reason and what to do. */
export function localOffError(what?: string): ConflictError {
  return new ConflictError(what ? `${what}: ${localOffMessage}` : localOffMessage, {
    cluster: localClusterName,
    setting: 'BERTH_LOCAL_CLUSTER=off',
  });
}

/** Whether an engine is the stand-in for a `local` that is off. */
export function isLocalOff(engine: Pick<ContainerEngine, 'kind'>): boolean {
  return engine.kind === localOffKind;
}

/**
 * What stands in for the engine of `local` when Berth runs without Podman (BERTH_LOCAL_CLUSTER=off,
 * e.g. installed in a Kubernetes cluster): modules that take "the local engine" keep working for
 * every other cluster. Reads that ask what runs there answer nothing (nothing can run on a cluster
 * that does not exist); every act answers localOffError (409). It has none of the optional
 * capabilities (builds, pushes, volumes, archives), so features that test for them say so.
 */
export class LocalClusterOff implements ContainerEngine {
  readonly kind = localOffKind;
  readonly cluster = localClusterName;

  health(): Promise<EngineHealth> {
    return Promise.resolve({ ok: false, version: '', message: localOffMessage });
  }

  inspectImage(ref: string): Promise<ImageInfo | null> {
    return Promise.reject(localOffError(`Image '${ref}' would be looked up in this host's Podman`));
  }

  ensureImage(ref: string): Promise<ImageInfo> {
    return Promise.reject(localOffError(`Image '${ref}' would be pulled into this host's Podman`));
  }

  runContainer(): Promise<string> {
    return Promise.reject(localOffError('A container would run on this host'));
  }

  stopContainer(): Promise<void> {
    return Promise.reject(localOffError());
  }

  removeContainer(): Promise<void> {
    return Promise.reject(localOffError());
  }

  listContainers(): Promise<ContainerObservation[]> {
    return Promise.resolve([]);
  }

  inspectContainer(): Promise<ContainerObservation | null> {
    return Promise.resolve(null);
  }

  async *logs(): AsyncIterable<LogLine> {
    throw localOffError();
  }

  exec(): Promise<ExecSession> {
    return Promise.reject(localOffError());
  }

  execRun(): Promise<ExecResult> {
    return Promise.reject(localOffError());
  }

  stats(): Promise<ContainerStats[]> {
    return Promise.resolve([]);
  }

  async *events(): AsyncIterable<EngineEvent> {
    throw localOffError();
  }
}
