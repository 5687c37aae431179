/**
 * A minimal Server-Sent Events writer for the dashboard's live stream: it
 * takes over the raw response, writes `id:`/`event:`/`data:` frames, sends a
 * comment as heartbeat so proxies keep the line open, and reports when the
 * browser goes away.
 */
import type { FastifyReply } from 'fastify';

/** A browser this far behind is not reading; drop it rather than buffer without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface SseStream {
  send(frame: { id?: number; event?: string; data: unknown }): void;
  close(): void;
  readonly closed: boolean;
  onClose(listener: () => void): void;
}

export function openSseStream(
  reply: FastifyReply,
  opts: { headers?: Record<string, string>; heartbeatMs?: number } = {},
): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...opts.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  // Tell EventSource how soon to reconnect after a dropped line.
  res.write('retry: 3000\n\n');

  let closed = false;
  const listeners: Array<() => void> = [];
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, opts.heartbeatMs ?? 15_000);
  heartbeat.unref();

  const finish = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const listener of listeners) listener();
  };
  res.on('close', finish);

  return {
    get closed() {
      return closed;
    },
    send(frame) {
      if (closed) return;
      let out = '';
      if (frame.id !== undefined) out += `id: ${frame.id}\n`;
      if (frame.event) out += `event: ${frame.event}\n`;
      // JSON never contains a raw newline, so one data line is enough.
      out += `data: ${JSON.stringify(frame.data)}\n\n`;
      res.write(out);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        finish();
      }
    },
    close() {
      if (closed) return;
      res.end();
      finish();
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
}
