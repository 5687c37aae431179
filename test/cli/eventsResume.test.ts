/**
 * `wagate events` across a gateway restart: the stream drops, the command
 * keeps trying, and once the gateway is back it resumes with Last-Event-ID,
 * so an event that happened while it was away is shown once and none twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { E2E_ADMIN_KEY, startE2E, type E2E } from '../support/e2e.js';
import { startCli } from './runCli.js';

let dataDir: string | undefined;
let running: E2E | undefined;

afterAll(async () => {
  await running?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('wagate events', () => {
  it('reconnects after a gateway restart and resumes where it left off', { timeout: 180_000 }, async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-cli-events-'));
    running = await startE2E({ dataDir });
    const port = running.gateway.port;
    const env = { WAGATE_URL: running.client.baseUrl, WAGATE_API_KEY: E2E_ADMIN_KEY };
    const events = startCli(['events'], env);
    try {
      await events.waitFor(/Following events/, 60_000, 'stderr');
      expect((await running.client.post('/api/v1/sessions', { sessionId: 'before' })).status).toBe(201);
      await events.waitFor(/before\s+session\.created/);

      await running.close();
      running = undefined;
      await events.waitFor(/Stream dropped/, 60_000, 'stderr');
      running = await startE2E({ dataDir, env: { PORT: String(port) } });
      expect((await running.client.post('/api/v1/sessions', { sessionId: 'after' })).status).toBe(201);

      await events.waitFor(/Reconnected; resuming/, 60_000, 'stderr');
      await events.waitFor(/after\s+session\.created/);
    } finally {
      await events.stop();
    }
    const lines = events.stdout().split('\n');
    expect(lines.filter((l) => /\sbefore\s+session\.created/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /\safter\s+session\.created/.test(l))).toHaveLength(1);
  });
});
