/**
 * Parses podman's log stream (`GET /containers/{n}/logs?timestamps=true`) into LogLines.
 * Each multiplexed frame is one log entry: "<RFC 3339 time> <text>", with a trailing newline
 * unless the process wrote a partial line. Partial entries are joined with the next entry of
 * the same stream, so a line written in pieces comes out whole.
 */
import type { LogLine } from '@berth/engine-api';
import { Demuxer, type Frame } from './multiplex';

type OutStream = LogLine['stream'];

const timePrefix = /^\d{4}-\d\d-\d\dT[^ ]* $/;

/** Incremental parser: bytes of the log response in, complete LogLines out. */
export class LogLineParser {
  private readonly demuxer = new Demuxer();
  /** Kept as bytes, so a UTF-8 character split across entries decodes whole. */
  private readonly partial = new Map<OutStream, { at: string; bytes: Buffer }>();

  /** Feeds raw bytes of the response; returns the lines completed so far. */
  push(chunk: Buffer): LogLine[] {
    return this.demuxer.push(chunk).flatMap((f) => this.frame(f));
  }

  /** Lines still waiting for their newline when the stream ends. */
  flush(): LogLine[] {
    const lines = [...this.partial].map(([stream, p]) => ({
      stream,
      at: p.at,
      text: p.bytes.toString('utf8'),
    }));
    this.partial.clear();
    return lines;
  }

  private frame(f: Frame): LogLine[] {
    const stream: OutStream = f.stream === 'stderr' ? 'stderr' : 'stdout';
    const space = f.payload.indexOf(0x20);
    const prefix = space > 0 ? f.payload.subarray(0, space + 1).toString('latin1') : '';
    const hasTime = timePrefix.test(prefix);
    const at = hasTime ? prefix.trimEnd() : new Date().toISOString();
    let body = hasTime ? f.payload.subarray(space + 1) : f.payload;

    const before = this.partial.get(stream);
    if (before) {
      this.partial.delete(stream);
      body = Buffer.concat([before.bytes, body]);
    }
    const lineAt = before?.at ?? at;
    if (body[body.length - 1] !== 0x0a) {
      this.partial.set(stream, { at: lineAt, bytes: body });
      return [];
    }
    const text = body.toString('utf8').replace(/\r?\n$/, '');
    return [{ stream, at: lineAt, text }];
  }
}

/** Parses a whole log response body (or a live one when following). */
export async function* parseLogStream(source: AsyncIterable<Buffer>): AsyncGenerator<LogLine> {
  const parser = new LogLineParser();
  for await (const chunk of source) yield* parser.push(chunk);
  yield* parser.flush();
}
