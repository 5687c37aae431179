/**
 * The forwarding hook (cluster mode) over real HTTP: a command the owner
 * answers SESSION_MOVED (it handed the session over while the request
 * waited) is sent again, body and all, to the new owner, and the client
 * sees only the new owner's answer. The nodes here are plain Fastify
 * servers standing in for gateway nodes; the cluster is a stub that says
 * who owns the session.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cluster, Route } from '../../../src/core/cluster/index.js';
import { clusterRequestHook, FORWARDED_HEADER } from '../../../src/api/http/clusterForward.js';
import { SESSION_MOVED_HEADER } from '../../../src/api/http/errorSurfaces.js';

const logger = pino({ level: 'silent' });
const servers: FastifyInstance[] = [];

async function serve(app: FastifyInstance): Promise<string> {
  servers.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

/** A node that hands the session over: it answers every forwarded command SESSION_MOVED. */
async function oldOwner(seen: unknown[]): Promise<string> {
  const app = Fastify();
  app.post('/api/v1/sessions/:sessionId/messages', async (request, reply) => {
    seen.push(request.body);
    return reply
      .code(503)
      .header(SESSION_MOVED_HEADER, '1')
      .header('retry-after', '1')
      .send({ error: { code: 'SESSION_MOVED', message: 'moved' } });
  });
  return serve(app);
}

async function newOwner(seen: Array<{ body: unknown; forwardedBy: unknown }>): Promise<string> {
  const app = Fastify();
  app.post('/api/v1/sessions/:sessionId/messages', async (request, reply) => {
    seen.push({ body: request.body, forwardedBy: request.headers[FORWARDED_HEADER] });
    return reply.code(201).send({ data: { accepted: request.body } });
  });
  return serve(app);
}

/** The node the client asked: owns nothing, forwards to whoever `owners` names next. */
async function entryNode(owners: string[]): Promise<string> {
  let asked = 0;
  const cluster = {
    nodeId: 'entry',
    sync: async () => undefined,
    route: (): Route => ({ kind: 'remote', nodeId: 'owner', address: owners[0]! }),
    routeCommand: async (): Promise<Route> => ({ kind: 'remote', nodeId: 'owner', address: owners[0]! }),
    ownerAddress: async () => owners[Math.min(++asked, owners.length - 1)]!,
  } as unknown as Cluster;
  const app = Fastify();
  app.addHook('onRequest', clusterRequestHook(cluster, logger));
  app.post('/api/v1/sessions/:sessionId/messages', async () => ({ local: true }));
  return serve(app);
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('forwarding a command in cluster mode', () => {
  it('a SESSION_MOVED answer is retried at the new owner with the same body; the client sees 201', async () => {
    const atOld: unknown[] = [];
    const atNew: Array<{ body: unknown; forwardedBy: unknown }> = [];
    const entry = await entryNode([await oldOwner(atOld), await newOwner(atNew)]);
    const body = { to: '15550001111', content: { type: 'text', text: 'hello' } };
    const res = await fetch(`${entry}/api/v1/sessions/s1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get(SESSION_MOVED_HEADER)).toBeNull();
    expect(await res.json()).toEqual({ data: { accepted: body } });
    expect(atOld).toEqual([body]);
    expect(atNew).toEqual([{ body, forwardedBy: 'entry' }]);
  });

  it('a session that keeps moving ends, after three owners, as the last 503 for the client to retry', async () => {
    const atOld: unknown[] = [];
    const moving = await oldOwner(atOld);
    const entry = await entryNode([moving, moving, moving, moving]);
    const res = await fetch(`${entry}/api/v1/sessions/s1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(atOld).toHaveLength(3);
  });
});
