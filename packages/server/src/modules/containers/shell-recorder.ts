import { StringDecoder } from 'node:string_decoder';
import type { RecordedEvent } from '@berth/shared';

/** The largest recording one session keeps. */
export const recordingCapBytes = 1024 * 1024;
/** Input lines longer than this (a paste without newlines) are recorded in pieces. */
const maxLineChars = 4096;
/** Room for the two "no longer recorded" markers, so the total never passes the cap. */
const markerReserveBytes = 512;

export interface ShellRecorderOptions {
  capBytes?: number;
  now?: () => number;
}

/**
 * Records a shell session as JSON lines of {t, d, s}: input as the lines the user entered
 * (backspace applied, split on Enter), output as the text the shell sent. Output stops being
 * recorded first, leaving the last eighth of the cap for input, because what was typed matters
 * more to an audit than what scrolled by. drain() hands over what was recorded since the last drain.
 */
export class ShellRecorder {
  private readonly start: number;
  private readonly now: () => number;
  private readonly cap: number;
  private readonly inputDecoder = new StringDecoder('utf8');
  private readonly outputDecoder = new StringDecoder('utf8');
  private line = '';
  private lastWasCr = false;
  private pending: string[] = [];
  private used = 0;
  private outputFull = false;
  private inputFull = false;

  constructor(opts: ShellRecorderOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.start = this.now();
    this.cap = opts.capBytes ?? recordingCapBytes;
  }

  /** Bytes recorded so far (drained or not). */
  get size(): number {
    return this.used;
  }

  input(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.inputDecoder.write(chunk);
    for (const ch of text) {
      if (ch === '\r' || ch === '\n') {
        // Terminals send Enter as CR; a CR LF pair is one Enter.
        const pair = ch === '\n' && this.lastWasCr;
        this.lastWasCr = ch === '\r';
        if (!pair) this.endLine();
        continue;
      }
      this.lastWasCr = false;
      if (ch === '\x7f' || ch === '\b') {
        this.line = Array.from(this.line).slice(0, -1).join('');
        continue;
      }
      this.line += ch;
      if (this.line.length >= maxLineChars) this.endLine();
    }
  }

  output(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.outputDecoder.write(chunk);
    if (text) this.add('o', text);
  }

  /** Records what is left: a partial input line and undecoded bytes. */
  finish(): void {
    const restIn = this.inputDecoder.end();
    if (restIn) this.line += restIn;
    if (this.line) this.endLine();
    const restOut = this.outputDecoder.end();
    if (restOut) this.add('o', restOut);
  }

  /** The JSON lines recorded since the last drain (each ends with a line feed). */
  drain(): string {
    const out = this.pending.join('');
    this.pending = [];
    return out;
  }

  private endLine(): void {
    this.add('i', this.line);
    this.line = '';
  }

  private add(d: 'i' | 'o', s: string): void {
    if (d === 'o' ? this.outputFull : this.inputFull) return;
    const entry = JSON.stringify({ t: this.now() - this.start, d, s } satisfies RecordedEvent) + '\n';
    const size = Buffer.byteLength(entry);
    const limit =
      d === 'o' ? this.cap - markerReserveBytes - Math.floor(this.cap / 8) : this.cap - markerReserveBytes;
    if (this.used + size <= limit) {
      this.push(entry, size);
      return;
    }
    const what = d === 'o' ? 'output' : 'input';
    const marker =
      JSON.stringify({
        t: this.now() - this.start,
        d,
        s: `[${what} no longer recorded: the recording reached its size cap]`,
      }) + '\n';
    this.push(marker, Buffer.byteLength(marker));
    if (d === 'o') this.outputFull = true;
    else this.inputFull = true;
  }

  private push(entry: string, size: number): void {
    this.pending.push(entry);
    this.used += size;
  }
}

/** Parses a stored recording; lines that do not parse are skipped. */
export function parseRecording(text: string): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as RecordedEvent);
    } catch {
      // a line cut by a crash mid-write; the rest of the recording is still worth showing
    }
  }
  return out;
}
