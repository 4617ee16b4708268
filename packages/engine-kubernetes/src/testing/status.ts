/**
 * `Status` objects, the apiserver's error body (api-conventions.md "Response Status Kind"): every
 * failure of the test API server is one, with the reason and code the real one uses, so an engine
 * maps them exactly as it would map a real cluster's answers.
 */
import type { Obj } from './json';

/** A Kubernetes `Status` with `status: Failure`, thrown inside the server and written as the response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Obj,
  ) {
    super(message);
  }

  /** The Status body the apiserver sends. */
  toStatus(): Obj {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `<resource>.<group>` as the apiserver names a kind in messages ("deployments.apps"). */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** 404 NotFound: `pods "x" not found`. */
export function notFound(resource: string, group: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });
}

/** 409 AlreadyExists: `pods "x" already exists`. */
export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });
}

/** 409 Conflict for a stale resourceVersion (optimistic concurrency, api-conventions "Concurrency Control"). */
export function staleConflict(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: resource },
  );
}

/** 410 Gone, reason Expired: a resourceVersion older than the compaction window. */
export function expired(rv: number | string, oldest: number): ApiError {
  return new ApiError(410, 'Expired', `too old resource version: ${rv} (${oldest})`);
}

/** 422 Invalid with one cause per field. */
export function invalid(kind: string, name: string, causes: { field: string; message: string }[]): ApiError {
  return new ApiError(
    422,
    'Invalid',
    `${kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    {
      name,
      kind,
      causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
    },
  );
}

/** A `Status` with `status: Success` (delete of a kind that does not return the object). */
export function success(name: string, group: string, kind: string, uid: string): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group, kind, uid },
  };
}
