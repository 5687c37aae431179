/**
 * Many nodes on one PostgreSQL, as nodes come and go: three gateway
 * processes and one standalone sandbox network.
 *
 * - A node that joins takes a share: six sessions paired on A alone spread
 *   over A, B and C once those start, each move a clean hand-over (no QR,
 *   no 440).
 * - Simultaneous claims: a connect for a session nobody owns, sent to two
 *   nodes at the same moment, leaves exactly one node owning it; the other
 *   forwards, and both answer as if local.
 * - A rolling restart (SIGTERM, start again with the same node id, every
 *   node in turn) keeps every session connected except for seconds, with no
 *   QR, and leaves the sessions spread over the nodes.
 * - The sandbox saw no login while the device was connected elsewhere (no
 *   440) across all of it.
 *
 * Times are measured from the sessions' own events and bounded loosely (the
 * machine running the tests may be loaded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedGateway } from '../support/e2e.js';
import { freshSchema, spawnNode, startSandboxProcess, type PgSchema, type SandboxProcess, waitUntil } from '../support/cluster.js';
import { ClusterWatch } from '../support/clusterWatch.js';

// Fast timings: keepalive 1 s, the sandbox drops a client silent for 4 s, a lease lasts 6 s.
const NODE_ENV = { WAGATE_CLUSTER_LEASE_MS: '6000', WAGATE_KEEPALIVE_MS: '1000', LOG_LEVEL: 'warn' };
const NODE_IDS = ['A', 'B', 'C'] as const;
type NodeId = (typeof NODE_IDS)[number];

let db: PgSchema;
let sandbox: SandboxProcess;
const nodes = new Map<NodeId, SpawnedGateway>();
const watch = new ClusterWatch();
/** Every paired session and the phone that linked it. */
const paired = new Map<string, string>();

function node(id: NodeId): SpawnedGateway {
  const found = nodes.get(id);
  if (!found) throw new Error(`node ${id} is not running`);
  return found;
}

async function start(id: NodeId): Promise<void> {
  const gateway = await spawnNode(id, db, sandbox, NODE_ENV);
  nodes.set(id, gateway);
  watch.watch(id, gateway.client);
}

async function rows(): Promise<Array<{ id: string; owner_node: string | null; owner_epoch: string; state: string }>> {
  return db.query(`SELECT id, owner_node, owner_epoch, state FROM ${db.table('sessions')} ORDER BY id`);
}

async function perNode(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const r of await rows()) if (paired.has(r.id)) counts[r.owner_node ?? 'none'] = (counts[r.owner_node ?? 'none'] ?? 0) + 1;
  return counts;
}

/** Every paired session connected, owned by a running node, spread within `tolerance` of an even share. */
async function settled(tolerance: number): Promise<Record<string, number> | undefined> {
  const all = (await rows()).filter((r) => paired.has(r.id));
  if (!all.every((r) => r.state === 'connected' && r.owner_node !== null && nodes.has(r.owner_node as NodeId))) return undefined;
  const counts = await perNode();
  const even = paired.size / nodes.size;
  for (const id of nodes.keys()) if (Math.abs((counts[id] ?? 0) - even) > tolerance) return undefined;
  return counts;
}

/** Link a session through `via` by scanning its QR with a new sandbox phone. */
async function pair(sessionId: string, via: NodeId, phone: string): Promise<void> {
  const { client } = node(via);
  const qr = await client.qr(sessionId, 30_000);
  expect((await sandbox.control('POST', '/phones', { phoneNumber: phone })).status).toBe(201);
  expect((await sandbox.control('POST', `/phones/${phone}/scan`, { qr })).status).toBe(200);
  await client.waitForState(sessionId, 'connected', 30_000);
  paired.set(sessionId, phone);
}

function newestEventId(): number {
  return Math.max(0, ...watch.events().map((e) => e.id));
}

/** No session was shown a QR after `sinceId`, and each phone still has exactly the one linked device. */
async function expectNoRelinking(sinceId: number): Promise<void> {
  const qrs = watch.events().filter((e) => e.id > sinceId && e.type === 'auth.qr' && paired.has(e.sessionId));
  expect(qrs.map((e) => e.sessionId)).toEqual([]);
  for (const phone of paired.values()) {
    const devices = (await sandbox.control('GET', `/phones/${phone}/devices`)).body.data as unknown[];
    expect(devices).toHaveLength(1);
  }
}

beforeAll(async () => {
  db = await freshSchema();
  sandbox = await startSandboxProcess(['--idle-timeout-ms', '4000']);
  await start('A');
}, 120_000);

afterAll(async () => {
  watch.close();
  for (const gateway of nodes.values()) await gateway.kill().catch(() => undefined);
  await sandbox?.stop();
  await db?.drop();
});

describe('nodes joining, racing and restarting in turn', () => {
  it('a node that joins takes a share: six sessions on A end two per node, each move clean', async () => {
    const a = node('A').client;
    for (let i = 1; i <= 6; i++) {
      const id = `s${i}`;
      expect((await a.post('/api/v1/sessions', { sessionId: id })).status).toBe(201);
      expect((await a.post(`/api/v1/sessions/${id}/connect`)).status).toBeLessThan(300);
      await pair(id, 'A', `49151124000${i}`);
    }
    expect(await perNode()).toEqual({ A: 6 });
    const since = newestEventId();

    await start('B');
    await start('C');
    // ±0: six sessions on three nodes is exactly two each.
    const counts = await waitUntil('the spread over three nodes', () => settled(0), 60_000, 200);
    expect(counts).toEqual({ A: 2, B: 2, C: 2 });

    // Every moved session was handed over (closed, then connected by the new node), never shown a QR.
    const gaps = watch.gaps(since);
    for (const id of paired.keys()) expect(gaps.get(id)?.open ?? false).toBe(false);
    expect([...gaps.values()].reduce((n, g) => n + g.gapsMs.length, 0)).toBeGreaterThanOrEqual(4);
    await expectNoRelinking(since);
  }, 150_000);

  it('two nodes receiving a connect for an unowned session at the same moment: one owns it, the other forwards', async () => {
    const races: Array<[NodeId, NodeId]> = [
      ['A', 'B'],
      ['B', 'C'],
      ['C', 'A'],
    ];
    for (const [i, [first, second]] of races.entries()) {
      const id = `race${i + 1}`;
      expect((await node(first).client.post('/api/v1/sessions', { sessionId: id })).status).toBe(201);
      const [before] = (await rows()).filter((r) => r.id === id);
      expect(before!.owner_node).toBeNull();

      const answers = await Promise.all([node(first).client.post(`/api/v1/sessions/${id}/connect`), node(second).client.post(`/api/v1/sessions/${id}/connect`)]);
      // Both answer as if local: the loser of the claim forwarded to the winner.
      expect(answers.map((r) => (r.status < 300 ? 'ok' : `${r.status} ${JSON.stringify(r.body)}`))).toEqual(['ok', 'ok']);
      const [after] = (await rows()).filter((r) => r.id === id);
      expect([first, second]).toContain(after!.owner_node);
      // Claimed once: one epoch step, not two.
      expect(Number(after!.owner_epoch)).toBe(Number(before!.owner_epoch) + 1);
      // One connection: the QR is the owner's, the same through either node.
      const qrFirst = await node(first).client.qr(id, 30_000);
      expect(await node(second).client.qr(id, 30_000)).toBe(qrFirst);
      // Paired through the other node (forwarded if it lost). Once paired the balancer may move it: not asserted here.
      await pair(id, second, `49151124100${i + 1}`);
    }
  }, 150_000);

  it('a rolling restart keeps every session connected except for seconds, with no QR, and ends spread', async () => {
    // Nine sessions now; wait for the balancer to spread the three new ones (±1 around three per node).
    await waitUntil('the spread before the restarts', () => settled(1), 60_000, 200);
    const since = newestEventId();
    for (const id of NODE_IDS) {
      expect(await node(id).stop()).toBe(0);
      nodes.delete(id);
      // The two others have every session connected again (drained: released at once, no lease to wait out).
      await waitUntil(`every session connected without ${id}`, () => settled(Infinity), 60_000, 200);
      await start(id);
      // Back with the same node id, it takes a share before the next node restarts.
      await waitUntil(`${id} to take a share again`, async () => ((await perNode())[id] ?? 0) >= 2 || undefined, 60_000);
    }
    const counts = await waitUntil('the spread after the restarts', () => settled(1), 60_000, 200);
    for (const id of NODE_IDS) expect(counts[id]).toBeGreaterThanOrEqual(2);

    const gaps = watch.gaps(since);
    const report = [...paired.keys()].map((id) => ({ id, gapsMs: gaps.get(id)?.gapsMs ?? [], open: gaps.get(id)?.open ?? false }));
    for (const session of report) {
      expect(session.open, `${session.id} ends connected`).toBe(false);
      // Loose: a few seconds per move is what a user sees; 30 s would be a failover, not a hand-over.
      for (const gap of session.gapsMs) expect(gap, `${session.id} away ${gap} ms`).toBeLessThan(30_000);
    }
    const total = report.reduce((n, s) => n + s.gapsMs.reduce((m, g) => m + g, 0), 0);
    expect(total).toBeLessThan(paired.size * 60_000);
    // Every session moved at least once (each node restarted), each time without a new QR.
    expect(report.every((s) => s.gapsMs.length >= 1)).toBe(true);
    await expectNoRelinking(since);
    console.info('rolling restart gaps (ms):', JSON.stringify(report.map((s) => [s.id, s.gapsMs])));
  }, 240_000);

  it('the sandbox saw no second connection of any device and sent no 440', async () => {
    const stats = (await sandbox.control('GET', '/stats/logins')).body.data;
    expect(stats).toEqual({ concurrentLogins: 0, conflictsSent: 0, devices: [] });
  });
});
