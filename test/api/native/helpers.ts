/**
 * A native API over the real SessionManager and the fake engine, for tests
 * through the HTTP layer. `close()` tears down the app, the core, the store
 * and the temp dir.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type BuildAppOptions } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createTestGateway, silentLogger, type TestGateway, type TestGatewayOptions } from '../../support/harness.js';

export interface NativeTestApp {
  app: FastifyInstance;
  gw: TestGateway;
  adminKey: string;
  /** inject with the admin key unless headers say otherwise. */
  call(opts: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function createNativeTestApp(
  opts: TestGatewayOptions &
    Pick<BuildAppOptions, 'sseHeartbeatMs' | 'ready' | 'health' | 'plugins'> & { logger?: Logger } = {},
): Promise<NativeTestApp> {
  const gw = await createTestGateway(opts);
  const config = loadConfig({ WAGATE_SANDBOX: opts.sandbox === false ? '0' : '1', DATA_DIR: gw.dataDir }, []);
  const app = await buildApp({
    core: gw.core,
    config,
    logger: opts.logger ?? silentLogger,
    sseHeartbeatMs: opts.sseHeartbeatMs,
    ready: opts.ready,
    health: opts.health,
    plugins: opts.plugins,
  });
  await app.ready();
  return {
    app,
    gw,
    adminKey: gw.adminKey,
    call: ({ key, ...rest }) => {
      const headers: Record<string, string> = { ...(rest.headers as Record<string, string> | undefined) };
      const k = key === undefined ? gw.adminKey : key;
      if (k !== null) headers.authorization = `Bearer ${k}`;
      return app.inject({ ...rest, headers });
    },
    close: async () => {
      await app.close();
      await gw.close();
    },
  };
}

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
}

export interface SseClient {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  frames: SseFrame[];
  comments: string[];
  /** Resolve once `check` holds on what arrived so far. */
  until(check: (client: SseClient) => boolean, timeoutMs?: number): Promise<void>;
  /** Called once when the server ends the stream. */
  onEnd(listener: () => void): void;
  close(): void;
}

/** A minimal SSE reader over node:http (EventSource is not in Node 20). */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = '';
      const waiters = new Set<() => void>();
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames: [],
        comments: [],
        until: (check, timeoutMs = 3_000) =>
          new Promise<void>((ok, fail) => {
            if (check(client)) return ok();
            const timer = setTimeout(() => {
              waiters.delete(probe);
              fail(new Error(`SSE condition not met; got ${JSON.stringify(client.frames)}`));
            }, timeoutMs);
            const probe = (): void => {
              if (!check(client)) return;
              clearTimeout(timer);
              waiters.delete(probe);
              ok();
            };
            waiters.add(probe);
          }),
        onEnd: (listener) => {
          if (res.complete || res.destroyed) listener();
          else res.once('close', listener);
        },
        close: () => request.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = {};
          let isFrame = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon);
              const value = line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id' || field === 'event' || field === 'data') {
                frame[field] = value;
                isFrame = true;
              }
            }
          }
          if (isFrame) client.frames.push(frame);
        }
        for (const waiter of [...waiters]) waiter();
      });
      res.on('error', () => undefined);
      resolve(client);
    });
    request.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}
