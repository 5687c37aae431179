/**
 * End to end: the gateway as its own process, stopped (SIGTERM) or killed
 * (SIGKILL) and started again on the same data dir, brings paired sessions
 * back connected with no QR.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnGateway, type SpawnedGateway } from '../support/e2e.js';

let dataDir: string;
let running: SpawnedGateway | undefined;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-restart-'));
});
afterAll(async () => {
  await running?.kill().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

async function pair(gw: SpawnedGateway, id: string, phone: string): Promise<void> {
  expect((await gw.client.post('/api/v1/sessions', { sessionId: id })).status).toBe(201);
  await gw.client.post(`/api/v1/sessions/${id}/connect`);
  const scan = await gw.client.post(`/sandbox/phones/${phone}/scan`, { qr: await gw.client.qr(id) });
  expect(scan.status).toBe(200);
}

describe('restart', () => {
  it('SIGTERM exits 0; the next start restores the session connected, no QR', async () => {
    running = await spawnGateway(dataDir);
    await pair(running, 'graceful', '15559990001');
    await running.client.waitForState('graceful', 'connected');
    expect(await running.stop()).toBe(0);
    running = await spawnGateway(dataDir);
    const sse = running.client.events('/api/v1/events');
    const status = await running.client.waitForState('graceful', 'connected', 30_000);
    expect(status.paired).toBe(true);
    sse.close();
    expect(sse.events.some((e) => e.type === 'auth.qr')).toBe(false);
    expect(running.output()).not.toMatch(/Admin API key/);
  }, 120_000);

  it('kill -9 right after pairing: the next start restores it connected', async () => {
    await pair(running!, 'killed', '15559990002');
    await running!.client.waitFor('killed', (s) => s.paired === true, 20_000);
    await running!.kill();
    running = await spawnGateway(dataDir);
    const status = await running.client.waitForState('killed', 'connected', 30_000);
    expect(status.me.phoneNumber).toBe('15559990002');
    expect((await running.client.status('graceful')).state).toBe('connected');
  }, 120_000);

  it('a linked session whose credentials were lost comes back unlinked with a QR, and links again', async () => {
    await pair(running!, 'lost', '15559990003');
    await running!.client.waitForState('lost', 'connected', 20_000);
    expect(await running!.stop()).toBe(0);
    const db = new Database(path.join(dataDir, 'sandbox', 'wagate.db'));
    db.prepare("DELETE FROM credentials WHERE session_id = 'lost'").run();
    db.close();

    running = await spawnGateway(dataDir);
    const unlinked = await running.client.waitForState('lost', 'qr', 30_000);
    expect(unlinked.paired).toBe(false);
    expect(unlinked.me).toBeNull();
    const scan = await running.client.post('/sandbox/phones/15559990003/scan', { qr: await running.client.qr('lost') });
    expect(scan.status).toBe(200);
    const linked = await running.client.waitForState('lost', 'connected', 30_000);
    expect(linked.paired).toBe(true);
  }, 120_000);
});
