/** One Server-Sent Event. `event` is "message" when the server named none. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * An incremental parser of the `text/event-stream` format (WHATWG HTML § 9.2): feed it chunks
 * as they arrive, split anywhere (even inside a line, a CRLF or a UTF-8 sequence), and collect the
 * events completed so far. Comments (`: keep-alive`) are skipped; an event is dispatched at a
 * blank line; an unfinished event at the end of the stream is dropped, as the standard says.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** A chunk ended with CR: a LF at the start of the next chunk belongs to the same line end. */
  private pendingCr = false;
  private data: string[] = [];
  private eventName = '';
  private lastId: string | undefined;
  private sawField = false;

  /** Feeds bytes (or text) and returns the events they complete. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields: nothing to do for a CLI.
        return null;
    }
    this.sawField = true;
    return null;
  }

  private dispatch(): SseEvent | null {
    const had = this.sawField && this.data.length > 0;
    const event: SseEvent = {
      event: this.eventName || 'message',
      data: this.data.join('\n'),
      id: this.lastId,
    };
    this.data = [];
    this.eventName = '';
    this.sawField = false;
    return had ? event : null;
  }
}

/** Reads a byte stream (a fetch body) as Server-Sent Events. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  for await (const chunk of body) yield* parser.push(chunk);
}
