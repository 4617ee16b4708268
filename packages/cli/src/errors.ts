import type { FieldError } from '@berth/shared';

/**
 * An error the CLI reports to the user as `error: <message>`, followed by field errors, and
 * exits with `exitCode`. Anything else that escapes a command is a bug and is reported as such.
 */
export class CliError extends Error {
  readonly exitCode: number;
  readonly fields: FieldError[];
  constructor(message: string, options: { exitCode?: number; fields?: FieldError[] } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? 1;
    this.fields = options.fields ?? [];
  }
}

/** Wrong command line: exit code 2 and a short usage line. */
export class UsageError extends CliError {
  /** The usage line of the command that was misused, when known. */
  usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message, { exitCode: 2 });
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** An error response of the Berth API (`{ error: { code, message, details } }`). */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message, { fields: fieldsOf(details) });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function fieldsOf(details: Record<string, unknown> | undefined): FieldError[] {
  const fields = details?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((f: unknown) => {
    if (typeof f !== 'object' || f === null) return [];
    const { path, message } = f as Record<string, unknown>;
    return typeof path === 'string' && typeof message === 'string' ? [{ path, message }] : [];
  });
}

/** A structural view of zod's issues, so the CLI needs no direct dependency on zod. */
interface IssueLike {
  path: ReadonlyArray<PropertyKey>;
  message: string;
  code?: string;
  keys?: string[];
}

/**
 * Field errors from a failed `safeParse` of a shared schema, with the same paths and wording the
 * server uses, so local and remote validation read alike.
 */
export function fieldErrorsFromIssues(issues: readonly IssueLike[]): FieldError[] {
  return issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    }
    return { path: issue.path.map(String).join('.') || '(root)', message };
  });
}

/** Validation of a request body failed before sending it. */
export function invalidInput(what: string, issues: readonly IssueLike[]): CliError {
  const fields = fieldErrorsFromIssues(issues);
  return new CliError(`invalid ${what}`, { fields });
}

/** What the CLI needs of a shared zod schema. */
export interface SchemaLike<Out> {
  safeParse(
    value: unknown,
  ): { success: true; data: Out } | { success: false; error: { issues: readonly IssueLike[] } };
}

/** Validates `value` with a shared schema: the parsed value, or a CliError listing the field errors. */
export function validate<Out>(schema: SchemaLike<Out>, value: unknown, what: string): Out {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidInput(what, parsed.error.issues);
  return parsed.data;
}
