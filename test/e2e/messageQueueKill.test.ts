/**
 * A send accepted is never lost and never sent twice: the gateway is
 * killed (SIGKILL) while a message waits in its session's queue; after the
 * restart the message goes out once, with the id it was accepted under.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, spawnGateway, type SpawnedGateway } from '../support/e2e.js';

const OWNER = '15559970001';
const FRIEND = '15559970002';
let dataDir: string;
let running: SpawnedGateway | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-queue-kill-'));
});
afterAll(async () => {
  await running?.kill().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

async function inbox(gw: SpawnedGateway, phone: string): Promise<Array<{ id: string; text: string }>> {
  const res = await gw.client.get<{ data: Array<{ id: string; text: string }> }>(`/sandbox/phones/${phone}/messages`);
  return res.status === 200 ? res.body.data : [];
}

describe('kill -9 with a message in the queue', () => {
  it('is sent after the restart, once, under the id it was accepted with', async () => {
    // One message a minute: the second send waits in the queue long enough to kill the gateway under it.
    const env = { WAGATE_SEND_RATE_PER_MINUTE: '1' };
    running = await spawnGateway(dataDir, env);
    expect((await running.client.post('/sandbox/phones', { phoneNumber: FRIEND, name: 'Friend' })).status).toBe(201);
    expect((await running.client.post('/api/v1/sessions', { sessionId: 'queue' })).status).toBe(201);
    await running.client.post('/api/v1/sessions/queue/connect');
    expect((await running.client.post(`/sandbox/phones/${OWNER}/scan`, { qr: await running.client.qr('queue') })).status).toBe(200);
    await running.client.waitForState('queue', 'connected');

    const first = await running.client.post<{ data: { messageId: string; status: string } }>('/api/v1/sessions/queue/messages', {
      to: FRIEND,
      content: { type: 'text', text: 'first' },
    });
    // The phone's delivery receipt may already be in when the send answers.
    expect(['sent', 'delivered']).toContain(first.body.data.status);
    const second = await running.client.post<{ data: { messageId: string; status: string } }>('/api/v1/sessions/queue/messages', {
      to: FRIEND,
      content: { type: 'text', text: 'second' },
    });
    expect(second.status).toBe(201);
    expect(second.body.data.status).toBe('pending');
    await running.kill();

    running = await spawnGateway(dataDir, env);
    await running.client.waitForState('queue', 'connected', 30_000);
    const deadline = Date.now() + 20_000;
    let messages = await inbox(running, FRIEND);
    while (!messages.some((m) => m.id === second.body.data.messageId) && Date.now() < deadline) {
      await sleep(100);
      messages = await inbox(running, FRIEND);
    }
    expect(messages.filter((m) => m.id === second.body.data.messageId)).toEqual([expect.objectContaining({ text: 'second' })]);
    // What was sent before the kill is not sent again.
    expect(messages.filter((m) => m.id === first.body.data.messageId).length).toBeLessThanOrEqual(1);
    const record = await running.client.get<{ data: { status: string; statuses: Array<{ status: string }> } }>(
      `/api/v1/sessions/queue/messages/${second.body.data.messageId}`,
    );
    // Sent once, then the phone's delivery receipt (which may not be in yet).
    expect(['sent', 'delivered']).toContain(record.body.data.status);
    expect(record.body.data.statuses.filter((s) => s.status === 'sent')).toHaveLength(1);
    await sleep(500);
    const later = await inbox(running, FRIEND);
    expect(later.filter((m) => m.text === 'second')).toHaveLength(1);
  }, 120_000);
});
