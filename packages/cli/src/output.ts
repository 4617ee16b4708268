import type { Writable } from 'node:stream';

/** `json` prints the API's JSON; `text` prints tables and sentences for people. */
export type OutputMode = 'text' | 'json';

/** One column of a table: a header and how to show a row's cell. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  align?: 'left' | 'right';
}

/** Control characters from the server must not reach the terminal as escape sequences. */
export function sanitize(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?').replace(/[\t\n]/g, ' ');
}

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return sanitize(String(value));
}

/**
 * Renders rows as an aligned plain-text table: a header line, then one line per row, columns
 * separated by two spaces, no trailing spaces. Returns '' when there are no rows.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  if (rows.length === 0) return '';
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const last = i === values.length - 1;
        if (columns[i]!.align === 'right') return v.padStart(widths[i]!);
        return last ? v : v.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Renders `label: value` pairs with the values aligned; empty values show as `-`. */
export function renderFields(
  fields: ReadonlyArray<readonly [string, string | number | boolean | null | undefined]>,
): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)} ${cell(value)}`).join('\n') + '\n';
}

/** How long ago `iso` was, as `42s`, `5m`, `3h`, `2d`; `-` for null. */
export function formatAge(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** A timestamp as `2025-01-31 12:00:05` (UTC, seconds). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Bytes as `512B`, `1.5KiB`, `20.0MiB`, `1.2GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value}B` : `${value.toFixed(1)}${units[unit]}`;
}

/** Writes what a command prints: to stdout as text or JSON, and notes to stderr. */
export class Output {
  constructor(
    readonly mode: OutputMode,
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {}

  /** True when the API's JSON should be printed instead of text. */
  get json(): boolean {
    return this.mode === 'json';
  }

  /** Writes text to stdout, adding a final newline when missing. */
  line(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes text to stdout as is. */
  raw(text: string | Uint8Array): void {
    this.stdout.write(text);
  }

  /** Writes a note for people: to stdout in text mode, to stderr in JSON mode (stdout stays JSON). */
  note(text: string): void {
    (this.json ? this.stderr : this.stdout).write(`${text}\n`);
  }

  /** Writes a warning to stderr. */
  warn(text: string): void {
    this.stderr.write(`warning: ${text}\n`);
  }

  /** Prints a value as indented JSON. */
  printJson(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Prints a table, or `empty` (to stderr) when there are no rows. */
  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
    if (rows.length === 0) this.stderr.write(`${empty}\n`);
    else this.stdout.write(renderTable(rows, columns));
  }

  /** Prints per-cluster errors of a multi-cluster read as warnings. */
  clusterErrors(errors: ReadonlyArray<{ cluster?: string; message?: string }> | undefined): void {
    for (const e of errors ?? [])
      this.warn(`cluster ${sanitize(e.cluster ?? '?')}: ${sanitize(e.message ?? 'unknown error')}`);
  }
}
