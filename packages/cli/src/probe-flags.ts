import type { Probe } from '@berth/shared';
import { UsageError } from './errors';

/** A health check from a flag; the shared schema fills in the timing defaults and checks ranges. */
export type ProbeDraft = Partial<Probe> & Pick<Probe, 'type'>;

/**
 * Parses a health check: `http` (path /), `http:/path`, `http:/path:PORT`, `http:PORT`, `tcp`,
 * `tcp:PORT`, `exec:cmd args` (split on blanks, quotes group) or `exec:["cmd","arg"]`; `none`
 * gives null (remove the check). Ranges are left to the shared schema.
 */
export function parseProbe(value: string, flag: string): ProbeDraft | null {
  const bad = (why: string) =>
    new UsageError(`${flag}: ${why}; use http:/path[:port], tcp[:port], exec:'command args' or none`);
  const text = value.trim();
  if (text === 'none') return null;
  const colon = text.indexOf(':');
  const type = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? undefined : text.slice(colon + 1);
  switch (type) {
    case 'http': {
      if (rest === undefined || rest === '') return { type: 'http', path: '/' };
      if (/^\d{1,5}$/.test(rest)) return { type: 'http', path: '/', port: Number(rest) };
      const m = /^(\/\S*?)(?::(\d{1,5}))?$/.exec(rest);
      if (!m) throw bad(`"${value}" is not an HTTP check (the path must start with /)`);
      return { type: 'http', path: m[1]!, ...(m[2] ? { port: Number(m[2]) } : {}) };
    }
    case 'tcp': {
      if (rest === undefined || rest === '') return { type: 'tcp' };
      if (!/^\d{1,5}$/.test(rest)) throw bad(`"${rest}" is not a port`);
      return { type: 'tcp', port: Number(rest) };
    }
    case 'exec': {
      const command = rest?.trim().startsWith('[') ? parseJsonArgv(rest, bad) : splitWords(rest ?? '', bad);
      if (command.length === 0) throw bad('exec needs a command');
      return { type: 'exec', command };
    }
    default:
      throw bad(`"${value}" is not a check`);
  }
}

function parseJsonArgv(text: string, bad: (why: string) => Error): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('the exec command is not a valid JSON array');
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw bad('the exec command must be a JSON array of strings');
  return parsed;
}

/**
 * Splits a command into words at blanks; '…' and "…" group words (no escapes, no expansion: the
 * result is an argv run directly, never through a shell).
 */
export function splitWords(text: string, bad: (why: string) => Error): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  for (const ch of text) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw bad('the exec command has an unterminated quote');
  if (inWord) words.push(word);
  return words;
}
