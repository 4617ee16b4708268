import { z } from 'zod';
import { InvalidError, NotFoundError } from '@berth/shared';
import { serviceParams } from '../services/service-params';

/** Base path of everything that hangs off one service. */
export const serviceBase = '/api/v1/projects/:project/envs/:env/services/:service';

/**
 * Container names are Berth's own (also the engine container name): project, env, service,
 * release and a suffix, so longer than a DNS label. The pattern keeps them path- and header-safe.
 */
export const containerNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a container name: letters, digits, "_", "." and "-"');

export const containerParams = serviceParams.extend({ container: containerNameSchema }).strict();
export type ContainerParams = z.output<typeof containerParams>;

/** An RFC 3339 timestamp, normalised to the UTC form the store uses so string order is time order. */
export const timestampSchema = z.iso
  .datetime({ offset: true, message: 'must be an RFC 3339 timestamp such as 2025-01-31T12:00:00Z' })
  .transform((s) => new Date(s).toISOString());

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationPart = /(\d+)(ms|s|m|h|d)/g;

/**
 * Parses a point in time given as RFC 3339 or as a duration before `now` in the style of
 * `podman logs --since` (`10m`, `1h30m`, `2d`, `500ms`). Returns RFC 3339 UTC, or throws
 * InvalidError naming the parameter.
 */
export function parseSince(value: string, now: number = Date.now(), param = 'since'): string {
  const text = value.trim();
  if (/^(\d+(ms|s|m|h|d))+$/.test(text)) {
    let ms = 0;
    for (const m of text.matchAll(durationPart)) ms += Number(m[1]) * (unitMs[m[2]!] ?? 0);
    if (ms > 366 * unitMs.d!) throw invalidSince(value, param, 'is more than a year ago');
    return new Date(now - ms).toISOString();
  }
  const parsed = timestampSchema.safeParse(text);
  if (!parsed.success)
    throw invalidSince(value, param, 'must be an RFC 3339 timestamp or a duration such as 10m, 1h30m, 2d');
  return parsed.data;
}

function invalidSince(value: string, param: string, why: string): InvalidError {
  return new InvalidError(`Invalid query parameters. ${param}: "${value}" ${why}.`, [
    { path: param, message: why },
  ]);
}

/** A `since` query parameter: RFC 3339 or a relative duration, turned into RFC 3339 UTC. */
export const sinceSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    try {
      return parseSince(value);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message:
          err instanceof InvalidError
            ? 'must be an RFC 3339 timestamp or a duration such as 10m, 1h30m, 2d'
            : String(err),
      });
      return z.NEVER;
    }
  });

/** 404 for a container the service does not have (now, or ever when `current` is false). */
export function containerNotFound(container: string, service: string, current = true): NotFoundError {
  return new NotFoundError(
    'CONTAINER_NOT_FOUND',
    current
      ? `Container '${container}' is not a current container of service '${service}'; list them with GET …/containers.`
      : `Service '${service}' never had a container '${container}'; see GET …/containers/history.`,
  );
}

/** The engine no longer has the container; the ledger still describes it. */
export function containerGone(container: string): NotFoundError {
  return new NotFoundError(
    'NOT_FOUND',
    `container ${container} is gone; its ledger entry remains (see GET …/containers/history).`,
  );
}
