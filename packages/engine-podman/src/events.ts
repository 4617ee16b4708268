/**
 * Container events from `GET /events?stream=true` (NDJSON). Two libpod 4.3 quirks shape this:
 * several `label` filters are OR-ed by podman, so the AND Berth wants is checked here; and an
 * event's labels arrive mixed into `Actor.Attributes` next to podman's own keys.
 */
import type { EngineEvent } from '@berth/engine-api';
import { UnavailableError } from '@berth/shared';
import { type LibpodClient, readNdjson } from './libpod-client';
import type { LibpodEvent } from './libpod-types';

/** Attributes podman adds to every container event; everything else is a container label. */
const podmanAttributes = new Set(['containerExitCode', 'image', 'name', 'podId']);

/** Maps one libpod event line to Berth's EngineEvent. */
export function toEngineEvent(e: LibpodEvent): EngineEvent {
  const attrs = e.Actor.Attributes ?? {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (!podmanAttributes.has(k)) labels[k] = v;
  const type = e.Action || e.status || 'unknown';
  const code = attrs.containerExitCode;
  const ms = e.timeNano ? Math.floor(e.timeNano / 1e6) : e.time * 1000;
  return {
    type,
    containerId: e.Actor.ID || e.id || '',
    containerName: attrs.name ?? '',
    labels,
    at: new Date(ms).toISOString(),
    // Every event carries containerExitCode ("0" before any exit); only a death makes it real.
    exitCode: type === 'died' && code !== undefined && /^-?\d+$/.test(code) ? Number(code) : null,
  };
}

/** True when the event's container carries every given label. */
export function hasLabels(event: EngineEvent, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => event.labels[k] === v);
}

/**
 * Streams container events whose labels include all of `labels` until `signal` aborts. If podman
 * ends the stream first (the service stopped), it throws UnavailableError: subscribe again.
 */
export async function* streamEvents(
  client: LibpodClient,
  labels: Record<string, string>,
  signal: AbortSignal,
): AsyncGenerator<EngineEvent> {
  if (signal.aborted) return;
  const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const filters = JSON.stringify({ type: ['container'], ...(label.length ? { label } : {}) });
  try {
    const res = await client.open('GET', '/events', {
      query: { stream: true, filters },
      signal,
      timeoutMs: 0,
    });
    for await (const raw of readNdjson<LibpodEvent>(res)) {
      if (raw.Type !== 'container') continue;
      const event = toEngineEvent(raw);
      if (hasLabels(event, labels)) yield event;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
    return;
  }
  if (!signal.aborted) {
    throw new UnavailableError(`The Podman event stream at ${client.socketPath} ended; subscribe again.`);
  }
}
