import type { FieldError } from '@berth/shared';

/**
 * A failed API call: the server's stable error code, its message for people, and the field
 * errors of a 400 (`details.fields`). Network failures use the code NETWORK_ERROR, status 0.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.fields = parseFields(details.fields);
  }
}

function parseFields(raw: unknown): FieldError[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((f: unknown) => {
    if (typeof f !== 'object' || f === null) return [];
    const { path, message } = f as Record<string, unknown>;
    return typeof path === 'string' && typeof message === 'string' ? [{ path, message }] : [];
  });
}

/** Builds the typed error from a non-2xx response body, whatever shape it has. */
export function errorFromBody(status: number, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const e = body.error;
    if (typeof e === 'object' && e !== null) {
      const { code, message, details } = e as Record<string, unknown>;
      return new ApiError(
        status,
        typeof code === 'string' ? code : 'UNKNOWN',
        typeof message === 'string' ? message : '',
        typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {},
      );
    }
  }
  return new ApiError(status, status >= 500 ? 'INTERNAL' : 'UNKNOWN', '');
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
