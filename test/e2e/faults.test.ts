/**
 * End to end: every kind of disconnect the network can cause, injected by
 * the sandbox, drives the session the right way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startE2E, type E2E } from '../support/e2e.js';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.close());

let counter = 0;
async function pairedSession(phone: string): Promise<{ id: string; me: { jid: string } }> {
  const id = `fault-${++counter}`;
  await e2e.client.post('/api/v1/sessions', { sessionId: id });
  await e2e.client.post(`/api/v1/sessions/${id}/connect`);
  await e2e.client.post(`/sandbox/phones/${phone}/scan`, { qr: await e2e.client.qr(id) });
  const status = await e2e.client.waitForState(id, 'connected');
  return { id, me: status.me };
}

describe('disconnects end to end', () => {
  it('removal from the phone (401) → logged_out with the reason, no reconnect attempts', async () => {
    const { id, me } = await pairedSession('15558880001');
    const sse = e2e.client.events(`/api/v1/sessions/${id}/events`);
    const deviceId = Number(me.jid.split(':')[1]!.split('@')[0]);
    const res = await e2e.client.call('DELETE', `/sandbox/phones/15558880001/devices/${deviceId}`);
    expect(res.status).toBe(200);
    const status = await e2e.client.waitForState(id, 'logged_out');
    expect(status.lastDisconnect.code).toBe(401);
    const loggedOut = await sse.waitFor((e) => e.type === 'auth.logged_out');
    expect(loggedOut.data.code).toBe(401);
    await sleep(1_500);
    expect(sse.events.filter((e) => e.type === 'connection.state' && e.data.state === 'connecting')).toHaveLength(0);
    expect((await e2e.client.status(id)).state).toBe('logged_out');
    sse.close();
  });

  it('440 replaced → conflict, no reconnect loop', async () => {
    const { id } = await pairedSession('15558880002');
    const res = await e2e.client.post(`/sandbox/connections/${id}/fault`, { kind: 'replaced' });
    expect(res.status).toBe(200);
    const status = await e2e.client.waitForState(id, 'conflict');
    expect(status).toMatchObject({ paired: true, active: false, lastDisconnect: { code: 440 } });
    await sleep(1_500);
    expect((await e2e.client.status(id)).state).toBe('conflict');
  });

  for (const [kind, code] of [
    ['unavailable', 503],
    ['closed', 428],
    ['timeout', 408],
    ['drop', 428],
  ] as const) {
    it(`${kind} (${code}) → back to connected by itself`, async () => {
      const { id } = await pairedSession('15558880003');
      const sse = e2e.client.events(`/api/v1/sessions/${id}/events`);
      await sleep(50);
      expect((await e2e.client.post(`/sandbox/connections/${id}/fault`, { kind })).status).toBe(200);
      await sse.waitFor((e) => e.type === 'connection.state' && e.data.state === 'connecting' && e.data.code === code);
      await sse.waitFor((e) => e.type === 'connection.state' && e.data.state === 'connected', 15_000);
      expect((await e2e.client.status(id)).connected).toBe(true);
      sse.close();
    });
  }

  it('restart-required (515) is handled inside the engine: the session stays connected, no error', async () => {
    const { id } = await pairedSession('15558880005');
    const before = e2e.gateway.sandbox!.connections().filter((c) => c.phase === 'logged_in').length;
    const sse = e2e.client.events(`/api/v1/sessions/${id}/events`);
    await sleep(50);
    expect((await e2e.client.post(`/sandbox/connections/${id}/fault`, { kind: 'restart-required' })).status).toBe(200);
    await sleep(1_500);
    expect((await e2e.client.status(id)).state).toBe('connected');
    expect(e2e.gateway.sandbox!.connections().filter((c) => c.phase === 'logged_in').length).toBe(before);
    // Never surfaced as a disconnect: no transition carries the 515, none is an error.
    const transitions = sse.events.filter((e) => e.type === 'connection.state').map((e) => e.data);
    expect(transitions.filter((t) => t.code === 515 || t.state === 'error' || t.state === 'logged_out')).toEqual([]);
    sse.close();
  });

  it('silence (half-open) is detected and recovered', async () => {
    const { id } = await pairedSession('15558880004');
    const sse = e2e.client.events(`/api/v1/sessions/${id}/events`);
    await sleep(50);
    expect((await e2e.client.post(`/sandbox/connections/${id}/fault`, { kind: 'silence' })).status).toBe(200);
    await sse.waitFor((e) => e.type === 'connection.state' && e.data.state === 'connecting', 30_000);
    await sse.waitFor((e) => e.type === 'connection.state' && e.data.state === 'connected', 30_000);
    sse.close();
  });
});
