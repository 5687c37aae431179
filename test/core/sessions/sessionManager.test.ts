import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../src/core/model.js';
import { PairingRateLimiter } from '../../../src/core/sessions/pairingRateLimiter.js';
import { createTestGateway, eventually, type TestGateway } from '../../support/harness.js';

let gw: TestGateway;
let events: GatewayEvent[];

async function start(opts: Parameters<typeof createTestGateway>[0] = {}): Promise<void> {
  gw = await createTestGateway(opts);
  events = [];
  gw.core.events.subscribe(undefined, (e) => events.push(e));
}

function states(sessionId: string): string[] {
  return events.filter((e) => e.sessionId === sessionId && e.type === 'connection.state').map((e) => String(e.data.state));
}


/** A session linked through the fake engine and connected. */
async function pairedSession(phone = '15550000001'): Promise<string> {
  const { sessionId } = await gw.core.sessions.create({});
  await gw.core.sessions.connect(sessionId);
  await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
  await gw.engine.last(sessionId).link(phone);
  await eventually(() => expect(gw.core.sessions.get(sessionId).connected).toBe(true));
  return sessionId;
}

describe('SessionManager', () => {
  beforeEach(async () => start());
  afterEach(async () => gw.close());

  it('creates sessions with UUIDv7 ids and seed 000 fields', async () => {
    const view = await gw.core.sessions.create({ displayName: 'Support line', deviceBrowser: 'Chrome' });
    expect(view.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(view).toMatchObject({
      displayName: 'Support line',
      status: 'created',
      state: 'created',
      paired: false,
      active: false,
      connected: false,
      connectionState: 'created',
      lastDisconnect: null,
    });
    expect(events.map((e) => e.type)).toEqual(['session.created']);
  });

  it('rejects duplicate and invalid ids without creating anything', async () => {
    await gw.core.sessions.create({ sessionId: 'sales' });
    await expect(gw.core.sessions.create({ sessionId: 'sales' })).rejects.toMatchObject({ code: 'SESSION_EXISTS' });
    await expect(gw.core.sessions.create({ sessionId: 'bad id!' })).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
    await expect(gw.core.sessions.create({ sessionId: 'x'.repeat(65) })).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
    expect(gw.core.sessions.list().map((s) => s.sessionId)).toEqual(['sales']);
  });

  it('links by QR: connecting → qr → connecting → connected, one connected event, 515 invisible', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    const qr = gw.core.sessions.getQr(sessionId);
    expect(qr.qr).toMatch(/^2@/);
    expect(Date.parse(qr.expiresAt) - Date.parse(qr.createdAt)).toBe(qr.ttlMs);
    await gw.engine.last(sessionId).link('15550000001');
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('connected'));
    const view = gw.core.sessions.get(sessionId);
    expect(view).toMatchObject({ paired: true, active: true, connected: true, status: 'connected', connectionState: 'connected' });
    expect(view.me).toMatchObject({ phoneNumber: '15550000001', jid: '15550000001:3@s.whatsapp.net' });
    expect(states(sessionId)).toEqual(['connecting', 'qr', 'connecting', 'connected']);
    const types = events.filter((e) => e.sessionId === sessionId).map((e) => e.type);
    expect(types.indexOf('auth.qr')).toBeLessThan(types.indexOf('auth.paired'));
    expect(types.filter((t) => t === 'connection.state').length).toBe(4);
    expect(states(sessionId)).not.toContain('error');
    expect(() => gw.core.sessions.getQr(sessionId)).toThrow(expect.objectContaining({ code: 'ALREADY_PAIRED' }));
  });

  it('two concurrent connects give one runtime', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    const [a, b] = await Promise.all([gw.core.sessions.connect(sessionId), gw.core.sessions.connect(sessionId)]);
    expect(a.active && b.active).toBe(true);
    expect(gw.engine.connections.filter((c) => c.sessionId === sessionId)).toHaveLength(1);
  });

  it('QR before connect is 422 with the current and expected states', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    try {
      gw.core.sessions.getQr(sessionId);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'SESSION_NOT_READY', status: 422, details: { state: 'created', expected: ['qr', 'pairing_code'] } });
    }
  });

  it('links by pairing code; a wrong code leaves it waiting and says so', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.core.sessions.connect(sessionId);
    const code = await gw.core.sessions.requestPairingCode(sessionId, '+1 555 123 4567');
    expect(code.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(code.phoneNumber).toBe('15551234567');
    expect(gw.core.sessions.get(sessionId).state).toBe('pairing_code');
    // Same number while the code lives: the same code, no new request to WhatsApp.
    expect((await gw.core.sessions.requestPairingCode(sessionId, '15551234567')).code).toBe(code.code);
    await gw.engine.last(sessionId).enterCode('WRONG123');
    expect(events.some((e) => e.type === 'auth.pairing_failed' && e.sessionId === sessionId)).toBe(true);
    expect(gw.core.sessions.get(sessionId).state).toBe('pairing_code');
    await gw.engine.last(sessionId).enterCode(code.code);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('connected'));
    expect(gw.core.sessions.get(sessionId).me?.phoneNumber).toBe('15551234567');
  });

  it('pairing code: validates the number first, 409 when paired, 422 when not connecting', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await expect(gw.core.sessions.requestPairingCode(sessionId, '12')).rejects.toMatchObject({ code: 'INVALID_PHONE_NUMBER' });
    await expect(gw.core.sessions.requestPairingCode(sessionId, '15551234567')).rejects.toMatchObject({ code: 'SESSION_NOT_READY' });
    expect(gw.core.sessions.get(sessionId).state).toBe('created');
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    await gw.engine.last(sessionId).link();
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('connected'));
    await expect(gw.core.sessions.requestPairingCode(sessionId, '15551234567')).rejects.toMatchObject({ code: 'ALREADY_PAIRED' });
  });

  it('rate limits pairing codes per phone number across sessions', async () => {
    await gw.close();
    await start({ rateLimiter: new PairingRateLimiter({ limit: 3, windowMs: 600_000 }) });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { sessionId } = await gw.core.sessions.create({});
      await gw.core.sessions.connect(sessionId);
      ids.push(sessionId);
    }
    await eventually(() => ids.forEach((id) => expect(gw.core.sessions.get(id).state).toBe('qr')));
    for (const id of ids.slice(0, 3)) await gw.core.sessions.requestPairingCode(id, '15557654321');
    await expect(gw.core.sessions.requestPairingCode(ids[3]!, '15557654321')).rejects.toMatchObject({
      code: 'PAIRING_RATE_LIMITED',
      status: 429,
    });
    expect(gw.core.sessions.get(ids[3]!).state).toBe('qr');
  });

  it('disconnect keeps credentials (inactive); connect reconnects without a QR', async () => {
    const sessionId = await pairedSession();
    const after = await gw.core.sessions.disconnect(sessionId);
    expect(after).toMatchObject({ state: 'inactive', paired: true, active: false, connected: false, connectionState: 'inactive' });
    events.length = 0;
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('connected'));
    expect(events.some((e) => e.type === 'auth.qr')).toBe(false);
  });

  it('logout unlinks on WhatsApp, wipes credentials and ends logged_out', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    const conn = gw.engine.last(sessionId);
    await conn.link();
    await eventually(() => expect(gw.core.sessions.get(sessionId).connected).toBe(true));
    const view = await gw.core.sessions.logout(sessionId);
    expect(conn.loggedOut).toBe(true);
    expect(view).toMatchObject({ state: 'logged_out', paired: false, active: false, me: null, connectionState: 'disconnected' });
    expect(await gw.store.auth.forSession(sessionId).hasCreds()).toBe(false);
    expect(events.some((e) => e.type === 'auth.logged_out')).toBe(true);
  });

  it('logout of an inactive paired session connects briefly to unlink the device', async () => {
    const sessionId = await pairedSession();
    await gw.core.sessions.disconnect(sessionId);
    await gw.core.sessions.logout(sessionId);
    expect(gw.engine.last(sessionId).loggedOut).toBe(true);
    expect(gw.core.sessions.get(sessionId).state).toBe('logged_out');
  });

  it('logout of a session that was never linked and is not running changes nothing and answers with the session', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.store.auth.forSession(sessionId).writeCreds('{"leftover":true}');
    events.length = 0;
    const view = await gw.core.sessions.logout(sessionId);
    expect(view).toMatchObject({ state: 'created', paired: false, active: false });
    expect(events).toEqual([]);
    expect((await gw.store.sessions.get(sessionId))?.state).toBe('created');
    expect(await gw.core.events.history(sessionId, 50)).toHaveLength(1); // session.created only
    // A second logout of a logged-out session is the same no-op.
    const paired = await pairedSession('15550000009');
    await gw.core.sessions.logout(paired);
    events.length = 0;
    expect((await gw.core.sessions.logout(paired)).state).toBe('logged_out');
    expect(events).toEqual([]);
  });

  it('connect of a never-linked session starts from new credentials: leftovers and their keys are replaced before the QR', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    const auth = gw.store.auth.forSession(sessionId);
    await auth.writeCreds('{"leftover":true}');
    await auth.writeKeys([{ type: 'pre-key', id: '1', value: '"old"' }]);
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    const stored = JSON.parse((await auth.readCreds())!) as { noiseKey?: string; leftover?: boolean };
    expect(stored.leftover).toBeUndefined();
    expect(stored.noiseKey).toBe(gw.engine.last(sessionId).noiseKey);
    expect(await auth.readKeys('pre-key', ['1'])).toEqual({});
    // The connecting state and the wish to stay connected land together.
    expect(await gw.store.sessions.get(sessionId)).toMatchObject({ wantConnected: true });
  });

  it('logout of a session waiting for a QR scan stops it and ends logged_out', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    const view = await gw.core.sessions.logout(sessionId);
    expect(view).toMatchObject({ state: 'logged_out', active: false });
    expect(gw.engine.last(sessionId).closed).toBe(true);
  });

  it('removal from the phone (401) → logged_out with the reason, no reconnect', async () => {
    const sessionId = await pairedSession();
    const before = gw.engine.connections.length;
    gw.engine.last(sessionId).drop(401, 'Connection Failure');
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('logged_out'));
    const view = gw.core.sessions.get(sessionId);
    expect(view.lastDisconnect).toMatchObject({ code: 401 });
    expect(view.paired).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.engine.connections.length).toBe(before);
    expect(events.find((e) => e.type === 'auth.logged_out')?.data).toMatchObject({ code: 401 });
  });

  it('440 → conflict without a reconnect loop', async () => {
    const sessionId = await pairedSession();
    const before = gw.engine.connections.length;
    gw.engine.last(sessionId).drop(440, 'Stream Errored (conflict)');
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('conflict'));
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.engine.connections.length).toBe(before);
    expect(gw.core.sessions.get(sessionId)).toMatchObject({ paired: true, active: false, lastDisconnect: { code: 440 } });
  });

  it('503, 428, 408 and drops reconnect by themselves with backoff', async () => {
    const sessionId = await pairedSession();
    for (const code of [503, 428, 408, 500]) {
      const before = gw.engine.connections.length;
      gw.engine.last(sessionId).drop(code);
      await eventually(() => expect(gw.engine.connections.length).toBe(before + 1));
      await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('connected'));
      expect(gw.core.sessions.get(sessionId).lastDisconnect?.code).toBe(code);
    }
  });

  it('unpaired: QR refs running out ends as error with a timeout reason, not a logout', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    gw.engine.last(sessionId).drop(408, 'QR refs attempts ended');
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('error'));
    expect(gw.core.sessions.get(sessionId).lastDisconnect).toMatchObject({ code: 408, reason: expect.stringMatching(/QR/) });
    expect(events.some((e) => e.type === 'auth.logged_out')).toBe(false);
  });

  it('restores paired sessions after a restart, paced, with no QR', async () => {
    const dataDir = gw.dataDir;
    await gw.stop();
    await start({ dataDir, restoreConcurrency: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { sessionId } = await gw.core.sessions.create({});
      await gw.core.sessions.connect(sessionId);
      await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
      await gw.engine.last(sessionId).link(`1555000010${i}`);
      ids.push(sessionId);
    }
    await eventually(() => ids.forEach((id) => expect(gw.core.sessions.get(id).connected).toBe(true)));
    const unpaired = await gw.core.sessions.create({ sessionId: 'never-linked' });
    await gw.core.sessions.connect(unpaired.sessionId);
    await gw.stop();

    await start({ dataDir, restoreConcurrency: 2 });
    gw.engine.bootDelayMs = 20;
    for (const id of ids) expect(gw.core.sessions.get(id)).toMatchObject({ state: 'inactive', paired: true });
    expect(gw.core.sessions.get('never-linked').state).toBe('created');
    const result = await gw.core.sessions.restore();
    expect(result.started).toBe(6);
    expect(gw.engine.maxInFlight).toBeLessThanOrEqual(2);
    for (const id of ids) expect(gw.core.sessions.get(id)).toMatchObject({ state: 'connected', paired: true });
    expect(events.some((e) => e.type === 'auth.qr')).toBe(false);
    expect(gw.core.sessions.get('never-linked').state).toBe('created');
  });

  it('records every transition with its reason in the persisted history', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    await gw.core.sessions.disconnect(sessionId);
    const history = await gw.core.events.history(sessionId, 50);
    const transitions = history.filter((e) => e.type === 'connection.state').map((e) => e.data);
    expect(transitions).toEqual([
      expect.objectContaining({ state: 'connecting', previous: 'created', reason: 'connect requested' }),
      expect.objectContaining({ state: 'qr', previous: 'connecting' }),
      expect.objectContaining({ state: 'created', previous: 'qr', reason: 'disconnect requested' }),
    ]);
  });

  it('delete logs out a paired session and removes its data', async () => {
    const { sessionId } = await gw.core.sessions.create({});
    await gw.core.sessions.connect(sessionId);
    await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
    const conn = gw.engine.last(sessionId);
    await conn.link();
    await eventually(() => expect(gw.core.sessions.get(sessionId).connected).toBe(true));
    await gw.core.sessions.delete(sessionId);
    expect(conn.loggedOut).toBe(true);
    expect(gw.core.sessions.has(sessionId)).toBe(false);
    expect(await gw.store.sessions.get(sessionId)).toBeUndefined();
    expect(await gw.store.auth.forSession(sessionId).hasCreds()).toBe(false);
    expect(() => gw.core.sessions.get(sessionId)).toThrow(expect.objectContaining({ code: 'SESSION_NOT_FOUND' }));
    expect(events.at(-1)?.type).toBe('session.deleted');
  });
});
