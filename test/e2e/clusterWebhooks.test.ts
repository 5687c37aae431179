/**
 * The webhook outbox on many nodes: two gateway processes on one PostgreSQL
 * schema and one standalone sandbox network, a loopback receiver as the
 * endpoint. With sessions on both nodes, every (event, endpoint) reaches the
 * receiver exactly once, each session's in seq order. When the owner of a
 * session with deliveries waiting is killed (kill -9), the node that takes
 * the session over delivers them — once each; and so does the node left
 * when the owner stops cleanly (SIGTERM: drain) after another one joined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, type SpawnedGateway } from '../support/e2e.js';
import { freshSchema, spawnNode, startSandboxProcess, type PgSchema, type SandboxProcess, waitUntil as pollUntil } from '../support/cluster.js';
import { startReceiver, type Receiver } from '../support/webhookReceiver.js';

// Fast timings: keepalive 1 s, the sandbox drops a client silent for 4 s, a lease lasts 6 s.
const NODE_ENV = { WAGATE_CLUSTER_LEASE_MS: '6000', WAGATE_KEEPALIVE_MS: '1000', LOG_LEVEL: 'warn', WAGATE_WEBHOOK_ALLOW_PRIVATE: '1' };
const PHONES = { s1: '4915112400001', s2: '4915112400002' } as const;

interface Hit {
  path: string;
  eventId: number;
  type: string;
  sessionId: string;
  seq: number;
  status: number;
}

let db: PgSchema;
let sandbox: SandboxProcess;
let rx: Receiver;
const hits: Hit[] = [];
/** What the receiver answers now. */
let answer = 200;
const nodes = new Map<string, SpawnedGateway>();
/** This file polls every 200 ms, as it always did. */
const waitUntil = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => pollUntil(what, probe, timeoutMs, 200);
const hookPaths = new Map<string, string>();

/** A send through `node` that must be accepted; a refusal names its answer. */
async function sent(node: SpawnedGateway, sessionId: string, body: unknown): Promise<void> {
  const res = await node.client.post(`/api/v1/sessions/${sessionId}/messages`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function owner(sessionId: string): Promise<string | null> {
  const rows = await db.query(`SELECT owner_node FROM ${db.table('sessions')} WHERE id = $1`, [sessionId]);
  return rows[0]?.owner_node ?? null;
}

async function deliveryRows(): Promise<Array<{ event_id: string; endpoint_id: string; session_id: string; status: string }>> {
  return db.query(`SELECT event_id, endpoint_id, session_id, status FROM ${db.table('webhook_deliveries')} ORDER BY event_id`);
}

/** Every delivery row is settled, and the receiver got each (event, endpoint) with a 2xx exactly once. */
async function expectEachDeliveredOnce(): Promise<void> {
  const rows = await waitUntil(
    'every delivery settled',
    async () => {
      const all = await deliveryRows();
      return all.length > 0 && all.every((r) => r.status !== 'pending') ? all : undefined;
    },
    60_000,
  );
  expect(rows.filter((r) => r.status !== 'delivered')).toEqual([]);
  const ok = hits.filter((h) => h.status < 300);
  const got = ok.map((h) => `${h.eventId} ${h.path}`);
  // Exactly once: no (event, endpoint) twice …
  expect(got.length - new Set(got).size).toBe(0);
  // … and every stored one arrived.
  expect(new Set(got)).toEqual(new Set(rows.map((r) => `${r.event_id} ${hookPaths.get(r.endpoint_id)}`)));
  // Each lane in seq order.
  for (const path of hookPaths.values()) {
    for (const session of new Set(ok.map((h) => h.sessionId))) {
      const seqs = ok.filter((h) => h.path === path && h.sessionId === session && h.type !== 'webhook.test').map((h) => h.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  }
}

async function pair(sessionId: keyof typeof PHONES, via: SpawnedGateway): Promise<void> {
  expect((await via.client.post(`/api/v1/sessions/${sessionId}/connect`)).status).toBeLessThan(300);
  const qr = await via.client.qr(sessionId);
  expect((await sandbox.control('POST', '/phones', { phoneNumber: PHONES[sessionId] })).status).toBe(201);
  expect((await sandbox.control('POST', `/phones/${PHONES[sessionId]}/scan`, { qr })).status).toBe(200);
  await via.client.waitForState(sessionId, 'connected', 30_000);
}

beforeAll(async () => {
  db = await freshSchema();
  sandbox = await startSandboxProcess(['--idle-timeout-ms', '4000']);
  rx = await startReceiver((req) => {
    const body = JSON.parse(req.body) as { id: number; type: string; sessionId: string; seq: number };
    hits.push({ path: req.path, eventId: body.id, type: body.type, sessionId: body.sessionId, seq: body.seq, status: answer });
    return { status: answer };
  });
  // One at a time: the first migrates the schema.
  for (const id of ['A', 'B']) nodes.set(id, await spawnNode(id, db, sandbox, NODE_ENV));
}, 180_000);

afterAll(async () => {
  for (const node of nodes.values()) await node.kill().catch(() => undefined);
  await rx?.close();
  await sandbox?.stop();
  await db?.drop();
});

describe('webhooks on two nodes', () => {
  it('sessions on both nodes: every (event, endpoint) is delivered exactly once, in seq order per session', async () => {
    const [a, b] = [nodes.get('A')!, nodes.get('B')!];
    // Two endpoints, created on A; B learns of them from the database's change notice.
    for (const name of ['one', 'two']) {
      const created = await a.client.post('/api/v1/webhooks', { url: `${rx.url}/${name}`, events: ['*'] });
      expect(created.status).toBe(201);
      hookPaths.set(created.body.data.id as string, `/hook/${name}`);
    }
    await waitUntil('B to know both endpoints', async () => ((await b.client.get('/api/v1/webhooks')).body.data.length === 2 ? true : undefined), 10_000);

    // s1 runs on A, s2 on B (each created on the other node: its session.created lane has no owner at first).
    expect((await b.client.post('/api/v1/sessions', { sessionId: 's1' })).status).toBe(201);
    expect((await a.client.post('/api/v1/sessions', { sessionId: 's2' })).status).toBe(201);
    await pair('s1', a);
    await pair('s2', b);
    expect(await owner('s1')).toBe('A');
    expect(await owner('s2')).toBe('B');

    // Traffic both ways: sent on one session, received on the other.
    for (let i = 0; i < 5; i++) {
      await sent(a, 's1', { to: PHONES.s2, content: { type: 'text', text: `from s1 #${i}` } });
      await sent(b, 's2', { to: PHONES.s1, content: { type: 'text', text: `from s2 #${i}` } });
    }
    // A delivery tied to no session (a test ping) goes out from one node only.
    const [hookId] = [...hookPaths.keys()];
    expect((await b.client.post(`/api/v1/webhooks/${hookId}/test`)).status).toBeLessThan(300);
    await waitUntil(
      'message events of both sessions',
      async () => {
        const received = new Set(hits.filter((h) => h.type === 'message.received').map((h) => h.sessionId));
        return received.has('s1') && received.has('s2') ? true : undefined;
      },
      30_000,
    );
    await sleep(2_000);
    await expectEachDeliveredOnce();
    const sessions = new Set(hits.map((h) => h.sessionId));
    expect(sessions).toEqual(new Set(['s1', 's2', '']));
  }, 180_000);

  it('kill -9 of the owner while deliveries wait: the node that takes the session over delivers them, once each', async () => {
    const [a, b] = [nodes.get('A')!, nodes.get('B')!];
    const before = hits.length;
    // The receiver fails every attempt for now: s1's deliveries stay pending on A.
    answer = 500;
    for (let i = 0; i < 3; i++) {
      await sent(a, 's1', { to: PHONES.s2, content: { type: 'text', text: `while failing #${i}` } });
    }
    await waitUntil('a failed attempt from A', async () => (hits.slice(before).some((h) => h.sessionId === 's1' && h.status === 500) ? true : undefined), 20_000);
    const pendingOfS1 = (await deliveryRows()).filter((r) => r.session_id === 's1' && r.status === 'pending');
    expect(pendingOfS1.length).toBeGreaterThan(0);

    await a.kill();
    nodes.delete('A');
    answer = 200;
    await waitUntil('B to own s1', async () => ((await owner('s1')) === 'B' ? true : undefined), 30_000);
    await expectEachDeliveredOnce();
    const late = hits.filter((h) => h.status < 300 && pendingOfS1.some((p) => Number(p.event_id) === h.eventId));
    expect(late.length).toBe(pendingOfS1.length);
    expect((await b.client.status('s1')).state).toBe('connected');
  }, 180_000);

  it('a node joins, then the owner of both sessions stops with SIGTERM while deliveries wait: the other node delivers them, once each', async () => {
    nodes.set('A', await spawnNode('A', db, sandbox, NODE_ENV));
    const [a, b] = [nodes.get('A')!, nodes.get('B')!];
    await waitUntil('A to know both endpoints', async () => ((await a.client.get('/api/v1/webhooks')).body.data.length === 2 ? true : undefined), 10_000);
    const before = hits.length;
    answer = 500;
    for (let i = 0; i < 3; i++) {
      await sent(a, 's1', { to: PHONES.s2, content: { type: 'text', text: `before the drain #${i}` } });
    }
    await waitUntil('a failed attempt', async () => (hits.slice(before).some((h) => h.status === 500) ? true : undefined), 20_000);
    const waiting = (await deliveryRows()).filter((r) => r.status === 'pending');
    expect(waiting.length).toBeGreaterThan(0);

    const owners = [await owner('s1'), await owner('s2')];
    const draining = owners[0] === 'A' ? a : b;
    const other = draining === a ? 'B' : 'A';
    expect(await draining.stop()).toBe(0);
    nodes.delete(draining === a ? 'A' : 'B');
    answer = 200;
    await waitUntil('the other node to own s1', async () => ((await owner('s1')) === other ? true : undefined), 30_000);
    // A clean hand-over is a healthy cluster: still no (event, endpoint) twice.
    await expectEachDeliveredOnce();
    expect(hits.filter((h) => h.status < 300 && waiting.some((w) => Number(w.event_id) === h.eventId)).length).toBe(waiting.length);
  }, 180_000);
});
