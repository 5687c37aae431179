/**
 * Cluster mode, before any route runs: bring this node's session list up to
 * date with the database (so a session created on another node a moment ago
 * is found here), then send a request about a session another live node
 * runs to that node, over HTTP, and answer with its answer byte for byte —
 * as if it had been local. The owner checks the key itself (keys live in
 * the shared database). Live event streams are not forwarded: every node
 * carries every session's events. A forwarded request is never forwarded
 * again (one hop); an owner that cannot be reached is a 503 to retry. A
 * command on a session no live node holds claims it for this node first.
 * Routes that name their session another way (a dialect's token, query
 * field or fixed session) say how in their config (`routeSession`).
 */
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { request as httpRequest } from 'undici';
import type { Cluster } from '../../core/cluster/index.js';
import { GatewayError } from '../../core/errors.js';
import { SESSION_MOVED_HEADER } from './errorSurfaces.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The session a request is about, read before its body and before auth
     * (cluster routing only: the owner authenticates). For routes that do
     * not name it in a path parameter.
     */
    routeSession?: (request: FastifyRequest) => string | undefined;
  }
}

export const FORWARDED_HEADER = 'x-wagate-forwarded-by';
/** Where the native API and the dialects name the session in their paths (GOWA: `device_id`). */
const SESSION_PARAMS = ['sessionId', 'session', 'instanceName', 'device_id'];
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
// `host` is not here: the owner sees the client's Host (its links name the address the client used).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-connection']);

function sessionOf(request: FastifyRequest): string | undefined {
  const routeSession = request.routeOptions.config.routeSession;
  if (routeSession !== undefined) return routeSession(request);
  const params = request.params as Record<string, unknown> | undefined;
  for (const key of SESSION_PARAMS) {
    const value = params?.[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  // GOWA's header-scoped twins (/app/*) name the device in a header or the query.
  const header = request.headers['x-device-id'];
  if (typeof header === 'string' && header !== '') return header;
  const query = (request.query as Record<string, unknown> | undefined)?.device_id;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

function isEventStream(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  return path.endsWith('/events') || String(request.headers.accept ?? '').includes('text/event-stream');
}

export function clusterRequestHook(cluster: Cluster, logger: Logger): onRequestAsyncHookHandler {
  return async (request, reply) => {
    await cluster.sync();
    if (request.headers[FORWARDED_HEADER] !== undefined) return;
    const sessionId = sessionOf(request);
    if (sessionId === undefined || isEventStream(request)) return;
    // A command (not a read) on a session nobody holds claims it here first: of two nodes racing, the loser
    // forwards. Before authentication (as forwarding is), but a claim alone connects nothing and changes no
    // session a caller can see: a refused command leaves it unconnected, owned here, reachable from any node.
    const route = READS.has(request.method) ? cluster.route(sessionId) : await cluster.routeCommand(sessionId);
    if (route.kind === 'local') return;
    await forward(request, reply, route.address, cluster, sessionId, logger);
  };
}

/** Bodies up to this size are kept so a request the owner answers SESSION_MOVED can be sent to the new owner. */
const REPLAYABLE_BODY_BYTES = 1024 * 1024;
/** Owners tried per request: a session that keeps moving is the client's 503 to retry. */
const MAX_HOPS = 3;

async function forward(request: FastifyRequest, reply: FastifyReply, address: string, cluster: Cluster, sessionId: string, logger: Logger): Promise<void> {
  const headers: Record<string, string | string[]> = { [FORWARDED_HEADER]: cluster.nodeId };
  // Host goes along too: the owner answers as the node the client asked (its links, the dashboard's same-origin check).
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined);
  const length = Number(request.headers['content-length'] ?? NaN);
  // A small body is read first so it can be sent again; a large or chunked one streams once.
  const replayable = !hasBody || (Number.isFinite(length) && length <= REPLAYABLE_BODY_BYTES);
  const body = !hasBody ? null : replayable ? await buffer(request.raw) : request.raw;
  let answer;
  for (let hop = 1; ; hop++) {
    try {
      answer = await httpRequest(new URL(request.url, address), {
        method: request.method as 'GET',
        headers,
        body,
        headersTimeout: 120_000,
        bodyTimeout: 0,
      });
    } catch (err) {
      logger.child({ sessionId }).warn({ err: err instanceof Error ? err.message : String(err), owner: address }, 'could not forward to the session\'s node');
      throw new GatewayError('SESSION_OWNED_ELSEWHERE', undefined, { sessionId });
    }
    // The owner handed the session over while the request waited for it: ask the new owner (this node too).
    if (!(answer.statusCode === 503 && answer.headers[SESSION_MOVED_HEADER] !== undefined && replayable && hop < MAX_HOPS)) break;
    await answer.body.dump();
    address = await cluster.ownerAddress(sessionId);
  }
  reply.hijack();
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== SESSION_MOVED_HEADER) out[name] = value;
  }
  reply.raw.writeHead(answer.statusCode, out);
  await pipeline(answer.body, reply.raw).catch(() => reply.raw.destroy());
}

async function buffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
