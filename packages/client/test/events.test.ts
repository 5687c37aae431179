/**
 * followEvents against a scripted SSE server on loopback: the answers a real
 * gateway gives only under trouble (a 503, a stream closed by the server, a
 * replay overlapping what was already seen, something that is not a stream).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWagateClient, followEvents, type WagateEvent } from '../src/index.js';

interface Seen {
  url: string;
  lastEventId: string | undefined;
  authorization: string | undefined;
}

type Script = (res: http.ServerResponse, attempt: number) => void;

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that answers its n-th request with script n (the last one again after that). */
async function scripted(scripts: Script[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    const attempt = seen.length;
    seen.push({ url: req.url ?? '', lastEventId: req.headers['last-event-id'] as string | undefined, authorization: req.headers.authorization });
    scripts[Math.min(attempt, scripts.length - 1)]!(res, attempt);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function frame(id: number): string {
  const event = { id, type: 'connection.state', sessionId: 's1', seq: id, createdAt: new Date(0).toISOString(), data: { state: 'connecting' } };
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

function stream(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.write('retry: 3000\n\n');
}

const fast = { reconnect: { minDelayMs: 10, maxDelayMs: 50 } };

describe('followEvents', () => {
  it('retries a 503, resumes a stream the server closed with Last-Event-ID, and hands out a replayed event only once', async () => {
    const gw = await scripted([
      (res) => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NOT_READY', message: 'starting' } }));
      },
      (res) => {
        stream(res);
        // One frame split across writes, and a heartbeat comment between frames.
        const first = frame(1);
        res.write(first.slice(0, 20));
        res.write(first.slice(20) + ': heartbeat\n\n' + frame(2));
        res.end();
      },
      (res) => {
        stream(res);
        res.write(frame(2) + frame(3));
      },
    ]);
    const errors: unknown[] = [];
    const events = followEvents({ baseUrl: `${gw.url}/`, apiKey: 'wgs_key', sessionId: 's 1', ...fast, onDisconnect: ({ error }) => errors.push(error) });
    const got: WagateEvent[] = [];
    for await (const event of events) {
      got.push(event);
      if (event.id === 3) break;
    }
    expect(got.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(events.lastEventId).toBe(3);
    expect(gw.seen.map((s) => s.lastEventId)).toEqual([undefined, undefined, '2']);
    expect(gw.seen[0]).toMatchObject({ url: '/api/v1/sessions/s%201/events', authorization: 'Bearer wgs_key' });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ name: 'WagateApiError', status: 503, code: 'NOT_READY' });
    expect(String(errors[1])).toMatch(/closed the event stream/);
  });

  it('starts after a stored lastEventId and follows every session without a sessionId', async () => {
    const gw = await scripted([
      (res) => {
        stream(res);
        res.write(frame(41) + frame(42) + frame(43));
      },
    ]);
    const events = followEvents({ baseUrl: gw.url, apiKey: 'wg_admin', lastEventId: 42, ...fast });
    for await (const event of events) {
      expect(event.id).toBe(43);
      break;
    }
    expect(gw.seen[0]).toMatchObject({ url: '/api/v1/events', lastEventId: '42' });
  });

  it('ends with an error, without retrying, when the answer is not an event stream or the key is refused', async () => {
    const gw = await scripted([
      (res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>a proxy page</html>');
      },
      (res) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'A valid API key is required', hint: 'Send Authorization: Bearer <key>' } }));
      },
    ]);
    const drain = async (): Promise<void> => {
      for await (const event of followEvents({ baseUrl: gw.url, apiKey: 'k', ...fast })) void event;
    };
    await expect(drain()).rejects.toMatchObject({ code: 'NOT_AN_EVENT_STREAM' });
    await expect(drain()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED', hint: 'Send Authorization: Bearer <key>' });
    expect(gw.seen).toHaveLength(2);
  });

  it('close() and an aborted signal end a waiting iteration', async () => {
    const gw = await scripted([(res) => stream(res)]);
    const events = followEvents({ baseUrl: gw.url, apiKey: 'k', ...fast, onConnect: () => setImmediate(() => events.close()) });
    const got: WagateEvent[] = [];
    for await (const event of events) got.push(event);
    expect(got).toEqual([]);

    const aborted = new AbortController();
    aborted.abort();
    for await (const event of followEvents({ baseUrl: gw.url, apiKey: 'k', signal: aborted.signal })) got.push(event);
    expect(got).toEqual([]);
    expect(gw.seen).toHaveLength(1);
    expect(() => {
      const once = followEvents({ baseUrl: gw.url, apiKey: 'k', signal: aborted.signal });
      once[Symbol.asyncIterator]();
      once[Symbol.asyncIterator]();
    }).toThrow(/iterated once/);
  });

  it('refuse a base URL or key that cannot work, saying what to give', () => {
    expect(() => createWagateClient({ baseUrl: 'localhost:3000', apiKey: 'k' })).toThrow(/not a URL|http:\/\/ or https:\/\//);
    expect(() => createWagateClient({ baseUrl: 'ftp://h', apiKey: 'k' })).toThrow(/must start with http:\/\/ or https:\/\//);
    expect(() => createWagateClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: ' ' })).toThrow(/apiKey is required/);
    expect(() => followEvents({ baseUrl: '/relative', apiKey: 'k' })).toThrow(/not a URL/);
  });
});
