/**
 * The multiplexed stream format podman uses for logs and non-TTY exec output: every frame is an
 * 8-byte header (byte 0 = stream: 0 stdin, 1 stdout, 2 stderr; bytes 4–7 = payload length,
 * big-endian uint32) followed by the payload (runtime-notes §2).
 */

/** Which stdio stream a frame belongs to. */
export type StreamKind = 'stdin' | 'stdout' | 'stderr';

/** One demultiplexed frame. */
export interface Frame {
  stream: StreamKind;
  payload: Buffer;
}

const headerBytes = 8;
const streamNames: Record<number, StreamKind> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };

/**
 * Incremental demuxer: feed it chunks as they arrive (frames may span chunks or share one);
 * it returns the frames completed so far and keeps the remainder.
 */
export class Demuxer {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    while (this.buffer.length >= headerBytes) {
      const length = this.buffer.readUInt32BE(4);
      if (this.buffer.length < headerBytes + length) break;
      const kind = this.buffer[0] ?? 1;
      frames.push({
        // Unknown stream bytes are treated as stdout rather than dropping output.
        stream: streamNames[kind] ?? 'stdout',
        payload: this.buffer.subarray(headerBytes, headerBytes + length),
      });
      this.buffer = this.buffer.subarray(headerBytes + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.buffer.length;
  }
}

/** Demultiplexes a whole stream, frame by frame. */
export async function* demuxStream(source: AsyncIterable<Buffer>): AsyncGenerator<Frame> {
  const demuxer = new Demuxer();
  for await (const chunk of source) {
    yield* demuxer.push(chunk);
  }
}

/** Builds one frame; the inverse of the demuxer (used by tests and fixtures). */
export function encodeFrame(stream: StreamKind, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(headerBytes);
  header[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
