/**
 * A webhook receiver on 127.0.0.1 for tests and the benchmark: records every
 * request (headers, raw body, arrival time) and answers as `respond` says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** The request's path and query, e.g. `/hook/messages-upsert`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
  /** Never answer. */
  hang?: boolean;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  respond: (req: ReceivedRequest, index: number) => Reply;
  /** Resolves when `n` requests have arrived. */
  waitForCount(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(respond: (req: ReceivedRequest, index: number) => Reply = () => ({ status: 204 })): Promise<Receiver> {
  const waiters = new Set<() => void>();
  const receiver: Receiver = {
    url: '',
    requests: [],
    respond,
    waitForCount: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (receiver.requests.length >= n) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${receiver.requests.length} of ${n} requests in ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (): void => {
          if (receiver.requests.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: ReceivedRequest = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = receiver.requests.length;
      receiver.requests.push(got);
      for (const w of [...waiters]) w();
      const reply = receiver.respond(got, index);
      if (reply.hang) return;
      const answer = (): void => {
        res.writeHead(reply.status ?? 204, reply.headers);
        res.end();
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
