import type { FastifyError } from 'fastify';
import { z } from 'zod';
import { BerthError, InvalidError, type ApiErrorBody, type FieldError } from '@berth/shared';

/** Turns zod issues into the API's field errors, paths joined with dots. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const parts = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    }
    return { path: parts.join('.') || '(root)', message };
  });
}

export function invalidFrom(error: z.ZodError, what: string, prefix?: string): InvalidError {
  const fields = fieldErrors(error, prefix);
  const first = fields[0];
  const summary = first
    ? ` ${first.path}: ${first.message}${fields.length > 1 ? ` (and ${fields.length - 1} more)` : ''}`
    : '';
  return new InvalidError(`Invalid ${what}.${summary}`, fields);
}

/** Maps any thrown value to a status and the API error body. The one place errors become HTTP. */
export function toHttpError(err: unknown): { status: number; body: ApiErrorBody; known: boolean } {
  if (err instanceof BerthError) return { status: err.status, body: err.toBody(), known: true };
  if (err instanceof z.ZodError) {
    const e = invalidFrom(err, 'request');
    return { status: 400, body: e.toBody(), known: true };
  }
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 1 MiB.' } },
        known: true,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: {
          error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json.' },
        },
        known: true,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {
        status: 400,
        body: {
          error: {
            code: 'INVALID_REQUEST',
            message: `The request body is not valid JSON: ${fe.message ?? ''}`,
          },
        },
        known: true,
      };
    default:
      break;
  }
  if (err instanceof SyntaxError || (fe.statusCode === 400 && fe.message)) {
    return {
      status: 400,
      body: {
        error: { code: 'INVALID_REQUEST', message: `The request is malformed: ${fe.message ?? String(err)}` },
      },
      known: true,
    };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: { error: { code: 'INVALID_REQUEST', message: fe.message ?? 'Bad request.' } },
      known: true,
    };
  }
  return {
    status: 500,
    body: {
      error: { code: 'INTERNAL', message: 'An internal error occurred; the server log has the details.' },
    },
    known: false,
  };
}
