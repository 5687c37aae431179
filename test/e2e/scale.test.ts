/**
 * End to end: ten sessions paired at once in one gateway, each to its own phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from '../support/e2e.js';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.close());

describe('many sessions', () => {
  it('ten sessions pair at once, each to its own phone, all connected', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `many-${i}`);
    await Promise.all(ids.map((id) => e2e.client.post('/api/v1/sessions', { sessionId: id })));
    await Promise.all(ids.map((id) => e2e.client.post(`/api/v1/sessions/${id}/connect`)));
    await Promise.all(
      ids.map(async (id, i) => {
        const qr = await e2e.client.qr(id, 30_000);
        const res = await e2e.client.post(`/sandbox/phones/155560000${String(i).padStart(2, '0')}/scan`, { qr });
        expect(res.status).toBe(200);
      }),
    );
    const statuses = await Promise.all(ids.map((id) => e2e.client.waitForState(id, 'connected', 30_000)));
    const phones = statuses.map((s) => s.me.phoneNumber);
    expect(new Set(phones).size).toBe(10);
    const list = await e2e.client.get('/api/v1/sessions');
    expect(list.body.data.filter((s: { connected: boolean }) => s.connected)).toHaveLength(10);
  });
});
