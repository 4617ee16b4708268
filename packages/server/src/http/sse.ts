import type { FastifyReply, FastifyRequest } from 'fastify';

/** An open Server-Sent Events stream; `closed` aborts when the client goes away. */
export interface SseStream {
  send(event: string, data: unknown, id?: string): void;
  /** Ends the stream from the server side. */
  end(): void;
  readonly closed: AbortSignal;
}

export function wantsStream(req: FastifyRequest, follow: boolean | undefined): boolean {
  return follow === true || String(req.headers.accept ?? '').includes('text/event-stream');
}

/** Hijacks the reply and starts an SSE stream with a heartbeat comment every 15 s. */
export function openSse(req: FastifyRequest, reply: FastifyReply): SseStream {
  const controller = new AbortController();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write(': stream open\n\n');
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15000);
  const close = () => {
    clearInterval(heartbeat);
    controller.abort();
  };
  req.raw.on('close', close);
  res.on('close', close);
  return {
    send(event, data, id) {
      if (controller.signal.aborted) return;
      res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      close();
      res.end();
    },
    closed: controller.signal,
  };
}
