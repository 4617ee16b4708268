/**
 * Stable error codes of the Berth API and the domain errors that carry them.
 * Services throw these; the HTTP layer maps them to status codes in one place.
 */
export const errorStatus = {
  INVALID_REQUEST: 400,
  INVALID_SPEC: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  HOST_NOT_OWNED: 403,
  BACKEND_NOT_ALLOWED: 403,
  IMAGE_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  TEAM_NOT_FOUND: 404,
  PROJECT_NOT_FOUND: 404,
  ENV_NOT_FOUND: 404,
  SERVICE_NOT_FOUND: 404,
  RELEASE_NOT_FOUND: 404,
  CONTAINER_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  BINDING_NOT_FOUND: 404,
  CLUSTER_NOT_FOUND: 404,
  CONFIG_NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  HOST_CLAIMED: 409,
  CLUSTER_IN_USE: 409,
  CONFIG_IN_USE: 409,
  CHANNEL_IN_USE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  QUOTA_EXCEEDED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  ENGINE_ERROR: 502,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface FieldError {
  path: string;
  message: string;
}

export interface ApiErrorBody {
  /** A code of ErrorCode, or one a newer server sent that this client does not know. */
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Base of every domain error: a stable code, a message for people and optional details. */
export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'BerthError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return errorStatus[this.code];
  }
  toBody(): ApiErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

export class NotFoundError extends BerthError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends BerthError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'CONFLICT') {
    super(code, message, details);
    this.name = 'ConflictError';
  }
}

export class InvalidError extends BerthError {
  constructor(message: string, fields?: FieldError[], code: ErrorCode = 'INVALID_REQUEST') {
    super(code, message, fields ? { fields } : undefined);
    this.name = 'InvalidError';
  }
}

export class ForbiddenError extends BerthError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('FORBIDDEN', message, details);
    this.name = 'ForbiddenError';
  }
}

export class UnauthenticatedError extends BerthError {
  constructor(message = 'Log in first: send a session cookie or an "Authorization: Bearer <token>" header.') {
    super('UNAUTHENTICATED', message);
    this.name = 'UnauthenticatedError';
  }
}

export class UnavailableError extends BerthError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNAVAILABLE', message, details);
    this.name = 'UnavailableError';
  }
}

/** An engine (Podman, Kubernetes) refused or failed an operation. */
export class EngineError extends BerthError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('ENGINE_ERROR', message, details);
    this.name = 'EngineError';
  }
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value && typeof value.error === 'object';
}
