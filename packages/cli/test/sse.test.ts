import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSse, SseParser, type SseEvent } from '../src/sse';

const stream =
  'id: 7\nevent: line\ndata: {"seq":7,"line":"héllo"}\n\n: keep-alive\n\nevent: end\ndata: null\n\n';

function feedAll(parser: SseParser, chunks: Array<Uint8Array | string>): SseEvent[] {
  return chunks.flatMap((c) => parser.push(c));
}

test('parses events, skipping comments', () => {
  const events = new SseParser().push(stream);
  assert.deepEqual(events, [
    { event: 'line', data: '{"seq":7,"line":"héllo"}', id: '7' },
    { event: 'end', data: 'null', id: '7' },
  ]);
});

test('gives the same events however the bytes are split, even inside a UTF-8 character', () => {
  const bytes = new TextEncoder().encode(stream);
  const expected = new SseParser().push(stream);
  for (let size = 1; size <= 7; size++) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    assert.deepEqual(feedAll(new SseParser(), chunks), expected, `chunks of ${size} bytes`);
  }
});

test('CRLF split across chunks is one line end, not an empty line', () => {
  const events = feedAll(new SseParser(), ['event: a\r', '\ndata: 1\r', '\n\r', '\n']);
  assert.deepEqual(events, [{ event: 'a', data: '1', id: undefined }]);
});

test('multi-line data is joined with newlines; an event without a name is "message"', () => {
  assert.deepEqual(new SseParser().push('data: a\ndata: b\ndata\n\n'), [
    { event: 'message', data: 'a\nb\n', id: undefined },
  ]);
});

test('an unfinished event at the end of the stream is not dispatched', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('event: task\ndata: {"state":"running"}\n'), []);
});

test('readSse reads an async byte stream', async () => {
  async function* body() {
    const bytes = new TextEncoder().encode(stream);
    yield bytes.subarray(0, 10);
    yield bytes.subarray(10);
  }
  const events: SseEvent[] = [];
  for await (const e of readSse(body())) events.push(e);
  assert.deepEqual(
    events.map((e) => e.event),
    ['line', 'end'],
  );
});
