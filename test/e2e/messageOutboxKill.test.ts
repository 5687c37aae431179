/**
 * A received message and its webhook commit together: the gateway (its own
 * process) is killed (SIGKILL) while a phone is writing to it and its
 * webhook receiver holds the first delivery; after the restart every stored
 * message has had its `message.received` delivered, and every delivered one
 * is stored: a kill between the two loses neither.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, spawnGateway, type SpawnedGateway } from '../support/e2e.js';
import { startReceiver, type Receiver } from '../support/webhookReceiver.js';

const OWNER = '15559960001';
const FRIEND = '15559960002';
const ENV = { WAGATE_WEBHOOK_ALLOW_PRIVATE: '1' };

let dataDir: string;
let running: SpawnedGateway | undefined;
let rx: Receiver;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-outbox-kill-'));
  rx = await startReceiver(() => ({ hang: true }));
});
afterAll(async () => {
  await running?.kill().catch(() => undefined);
  await rx.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Ids of the phone's messages the gateway stored. */
async function storedIds(gw: SpawnedGateway): Promise<string[]> {
  const res = await gw.client.get<{ data: Array<{ messageId: string; fromMe: boolean }> }>(`/api/v1/sessions/outbox/chats/${FRIEND}/messages?limit=100`);
  return (res.body.data ?? []).filter((m) => !m.fromMe).map((m) => m.messageId);
}

/** Ids of the messages whose message.received reached the receiver (answered or not). */
function deliveredIds(): string[] {
  return [
    ...new Set(
      rx.requests
        .map((r) => JSON.parse(r.body) as { type: string; data: { message?: { messageId: string } } })
        .filter((b) => b.type === 'message.received')
        .map((b) => b.data.message!.messageId),
    ),
  ];
}

describe('message rows and their webhooks across a kill -9', () => {
  it('every stored message is delivered after the restart, and every delivered one is stored', { timeout: 150_000 }, async () => {
    running = await spawnGateway(dataDir, ENV);
    for (const phoneNumber of [OWNER, FRIEND]) expect((await running.client.post('/sandbox/phones', { phoneNumber })).status).toBe(201);
    expect((await running.client.post('/api/v1/sessions', { sessionId: 'outbox' })).status).toBe(201);
    await running.client.post('/api/v1/sessions/outbox/connect');
    expect((await running.client.post(`/sandbox/phones/${OWNER}/scan`, { qr: await running.client.qr('outbox') })).status).toBe(200);
    await running.client.waitForState('outbox', 'connected');
    expect((await running.client.post('/api/v1/webhooks', { url: rx.url, events: ['message.received'] })).status).toBe(201);

    // The phone keeps writing; the kill lands while messages are arriving and their events are being stored.
    const client = running.client;
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 200; i++) {
        await client.post(`/sandbox/phones/${FRIEND}/messages`, { to: OWNER, text: `burst ${i}` }).catch(() => undefined);
      }
    })();
    await rx.waitForCount(1, 30_000);
    await sleep(150);
    await running.kill();
    writing = false;
    await writer;
    const beforeRestart = deliveredIds().length;
    expect(beforeRestart).toBeGreaterThan(0);

    rx.respond = () => ({ status: 204 });
    running = await spawnGateway(dataDir, ENV);
    await running.client.waitForState('outbox', 'connected', 30_000);
    // Deliveries drain (the outbox was kept); messages the network still held may arrive too.
    const deadline = Date.now() + 60_000;
    let stored = await storedIds(running);
    while (Date.now() < deadline) {
      stored = await storedIds(running);
      const delivered = new Set(deliveredIds());
      if (stored.length > 0 && stored.every((id) => delivered.has(id)) && delivered.size === stored.length) break;
      await sleep(250);
    }
    expect(stored.length).toBeGreaterThan(0);
    expect(new Set(deliveredIds())).toEqual(new Set(stored));
  });
});
