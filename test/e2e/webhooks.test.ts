/**
 * End to end: the gateway as its own process is killed (SIGKILL) while a
 * webhook delivery is in flight; the next start delivers the same event,
 * with the same webhook-id, and the events after it in order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnGateway, type SpawnedGateway } from '../support/e2e.js';
import { startReceiver, type Receiver } from '../support/webhookReceiver.js';

let dataDir: string;
let running: SpawnedGateway | undefined;
let rx: Receiver;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-webhooks-e2e-'));
  rx = await startReceiver(() => ({ hang: true }));
});
afterAll(async () => {
  await running?.kill().catch(() => undefined);
  await rx.close();
  await rm(dataDir, { recursive: true, force: true });
});

const ENV = { WAGATE_WEBHOOK_ALLOW_PRIVATE: '1' };

describe('webhooks across a kill -9', () => {
  it('a delivery in flight when the process is killed is delivered after the restart with the same webhook-id', { timeout: 120_000 }, async () => {
    running = await spawnGateway(dataDir, ENV);
    const created = await running.client.post('/api/v1/webhooks', { url: rx.url, events: ['session.created', 'session.deleted'] });
    expect(created.status).toBe(201);
    expect((await running.client.post('/api/v1/sessions', { sessionId: 'first' })).status).toBe(201);
    await rx.waitForCount(1, 20_000);
    const inFlight = rx.requests[0]!;
    expect(JSON.parse(inFlight.body)).toMatchObject({ type: 'session.created', sessionId: 'first', seq: 1 });
    // Queued behind it in the same lane: never sent before the kill.
    expect((await running.client.call('DELETE', '/api/v1/sessions/first')).status).toBe(200);
    await running.kill();

    rx.respond = () => ({ status: 200 });
    running = await spawnGateway(dataDir, ENV);
    await rx.waitForCount(3, 30_000);
    const after = rx.requests.slice(1).map((r) => ({ id: r.headers['webhook-id'], body: JSON.parse(r.body) as { type: string; seq: number } }));
    expect(after[0]!.id).toBe(inFlight.headers['webhook-id']);
    expect(after.map((a) => [a.body.type, a.body.seq])).toEqual([
      ['session.created', 1],
      ['session.deleted', 2],
    ]);
    const hookId = created.body.data.id as string;
    const deliveries = await running.client.get(`/api/v1/webhooks/${hookId}/deliveries`);
    expect(deliveries.body.data.map((d: { status: string }) => d.status)).toEqual(['delivered', 'delivered']);
  });
});
