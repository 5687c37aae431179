/**
 * The Baileys engine against the simulated WhatsApp network (src/sandbox):
 * real wire protocol on loopback, unmodified Baileys.
 */
import { Socket } from 'node:net';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BaileysEngine, installFastCurve, trustSandboxRoot } from '../../src/engine/baileys/index.js';
import { EngineError } from '../../src/engine/errors.js';
import type { EngineConnection, EngineIdentity } from '../../src/engine/types.js';
import { createMemoryAuthStore } from '../../src/store/memoryAuthStore.js';
import type { AuthStore } from '../../src/store/types.js';
import { delay, eventually, EventLog } from './support/eventLog.js';

import { SandboxNetwork } from '../../src/sandbox/index.js';

type Sandbox = SandboxNetwork;

const silent = pino({ level: 'silent' });
let phoneCounter = 0;
const nextPhone = () => `1555${process.pid % 1000}${String(++phoneCounter).padStart(4, '0')}`;
const deviceIdOf = (jid: string) => Number(/:(\d+)@/.exec(jid)?.[1]);
const CODE_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';

/** Client-side TCP sockets of this process still connected to `port`. */
function clientSocketsTo(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof Socket && h.remotePort === port && !h.destroyed).length;
}

describe('BaileysEngine against the sandbox network', () => {
  let sandbox: Sandbox;
  let engine: BaileysEngine;
  const open: EngineConnection[] = [];
  let sessionCounter = 0;

  async function connect(auth: AuthStore, eng: BaileysEngine = engine) {
    const sessionId = auth.sessionId;
    const conn = await eng.connect({ sessionId, auth, deviceBrowser: 'Chrome', logger: silent.child({ sessionId }) });
    open.push(conn);
    return { conn, log: new EventLog(conn) };
  }

  function newAuth(): AuthStore {
    return createMemoryAuthStore(`s${++sessionCounter}`);
  }

  /** QR-pairs a fresh session and waits until it is open. */
  async function pairByQr(phone = nextPhone()) {
    const auth = newAuth();
    const { conn, log } = await connect(auth);
    const qr = await log.next('qr');
    await sandbox.scan(phone, qr.qr);
    const opened = await log.next('open');
    return { auth, conn, log, phone, identity: opened.identity };
  }

  beforeAll(async () => {
    sandbox = await SandboxNetwork.start({ port: 0 });
    trustSandboxRoot(sandbox.rootPublicKey, sandbox.rootSerial, silent);
    // Production runs with the WASM curve; its strict verify also proves the sandbox signs correctly.
    expect(installFastCurve(silent).installed).toBe(true);
    engine = new BaileysEngine({ socketUrl: sandbox.url, logger: silent });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('pairs by QR: qr → paired → restarting (515) → open with the linked identity', async () => {
    const phone = nextPhone();
    const auth = newAuth();
    const { conn, log } = await connect(auth);
    expect(conn.noiseKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    const qr = await log.next('qr');
    expect(qr.ttlMs).toBe(60_000);
    const device = await sandbox.scan(phone, qr.qr);

    const paired = await log.next('paired');
    expect(paired.identity).toEqual<EngineIdentity>({ jid: device.jid, lid: device.lid, name: null });
    const restarting = await log.next('restarting');
    expect(restarting.code).toBe(515);
    const opened = await log.next('open');
    expect(opened.identity.jid).toBe(device.jid);
    expect(opened.identity.lid).toBe(device.lid);

    expect(log.types().filter((t) => t !== 'qr')).toEqual(['paired', 'restarting', 'open']);
    expect(sandbox.devices(phone)).toEqual([
      expect.objectContaining({ jid: device.jid, platform: 'Chrome (wagate)', connected: true }),
    ]);
    expect(JSON.parse((await auth.readCreds())!).me.id).toBe(device.jid);
  });

  it('reports paired and open only once the linked credentials are stored (a kill in between leaves no half link)', async () => {
    const stored = newAuth();
    let slowWrites = 0;
    // The store takes 400 ms to commit the credentials of the link (those with a signed account).
    const slow: AuthStore = {
      ...stored,
      async writeCreds(json: string) {
        if (JSON.parse(json).account) {
          slowWrites++;
          await delay(400);
        }
        await stored.writeCreds(json);
      },
    };
    const { conn, log } = await connect(slow);
    // What the store holds when each event arrives (the core records the link on both).
    const storedAt: Array<[string, string | null]> = [];
    conn.on((event) => {
      if (event.type !== 'paired' && event.type !== 'open') return;
      void stored.readCreds().then((json) => storedAt.push([event.type, json === null ? null : (JSON.parse(json).me?.id ?? null)]));
    });
    const device = await sandbox.scan(nextPhone(), (await log.next('qr')).qr);
    await log.next('paired');
    await log.next('open');
    expect(slowWrites).toBeGreaterThan(0);
    await eventually(() => storedAt.length === 2);
    expect(storedAt.sort()).toEqual([
      ['open', device.jid],
      ['paired', device.jid],
    ]);
  });

  it('reconnects with the same AuthStore and logs in without a QR', async () => {
    const first = await pairByQr();
    await first.conn.close();

    const { conn, log } = await connect(first.auth);
    const opened = await log.next('open');
    expect(opened.identity.jid).toBe(first.identity.jid);
    expect(log.types()).toEqual(['open']);
    expect(conn.noiseKey).toBe(first.conn.noiseKey);
    // Frames from the server are timestamped (the /metrics ghost check reads it).
    expect(conn.lastFrameAt?.()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('pairs with a pairing code entered on the phone', async () => {
    const phone = nextPhone();
    const { conn, log } = await connect(newAuth());
    const code = await conn.requestPairingCode(phone);
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/);

    const device = await sandbox.enterCode(phone, code);
    const paired = await log.next('paired');
    expect(paired.identity.jid).toBe(device.jid);
    await log.next('restarting');
    const opened = await log.next('open');
    expect(opened.identity.jid).toBe(device.jid);
    expect(log.types()).not.toContain('close');
  });

  it('reports a wrong code as pairing_failed and keeps waiting for the right one', async () => {
    const phone = nextPhone();
    const { conn, log } = await connect(newAuth());
    const code = await conn.requestPairingCode(phone);
    const last = code[7]!;
    const wrong = code.slice(0, 7) + CODE_ALPHABET[(CODE_ALPHABET.indexOf(last) + 1) % CODE_ALPHABET.length];

    await expect(sandbox.enterCode(phone, wrong)).rejects.toThrow();
    const failed = await log.next('pairing_failed');
    expect(failed.reason).toBe('The code entered on the phone did not match');
    await delay(200);
    expect(log.types()).not.toContain('close');
    expect(log.types()).not.toContain('paired');

    // Still waiting: the right code links the device.
    await sandbox.enterCode(phone, code);
    await log.next('paired');
    await log.next('open');
  });

  it('after a wrong code the QR still links the device', async () => {
    const phone = nextPhone();
    const { conn, log } = await connect(newAuth());
    const code = await conn.requestPairingCode(phone);
    const wrong = (code[0] === 'A' ? 'B' : 'A') + code.slice(1);
    await expect(sandbox.enterCode(phone, wrong)).rejects.toThrow();
    await log.next('pairing_failed');

    // The latest QR carries the connection's original adv secret; it must still be the one that counts.
    const latestQr = [...log.events].reverse().find((e) => e.type === 'qr');
    if (latestQr?.type !== 'qr') throw new Error('no QR seen');
    const device = await sandbox.scan(phone, latestQr.qr);
    expect((await log.next('paired')).identity.jid).toBe(device.jid);
    await log.next('open');
  });

  it('refuses a pairing code once the session is paired', async () => {
    const { conn } = await pairByQr();
    await expect(conn.requestPairingCode('15550001111')).rejects.toMatchObject({ code: 'ALREADY_PAIRED' });
  });

  it('replays events raised before the first listener subscribed', async () => {
    const auth = newAuth();
    const conn = await engine.connect({ sessionId: auth.sessionId, auth, deviceBrowser: 'Firefox', logger: silent });
    open.push(conn);
    await delay(500);
    const log = new EventLog(conn);
    const qr = await log.next('qr', 1_000);
    expect(qr.qr).toContain(',3'); // Firefox's companion platform id ends the QR payload
  });

  it('logout before pairing ends the connection as logged out', async () => {
    const { conn, log } = await connect(newAuth());
    await log.next('qr');
    await conn.logout();
    expect(await log.next('close')).toMatchObject({ code: 401, loggedOut: true });
  });

  it('an unreachable server arrives as a close event, not an exception', async () => {
    const nowhere = new BaileysEngine({ socketUrl: 'ws://127.0.0.1:1/ws/chat', logger: silent, connectTimeoutMs: 2_000 });
    const { log } = await connect(newAuth(), nowhere);
    const closed = await log.next('close', 5_000);
    expect(closed.loggedOut).toBe(false);
    expect(closed.code).toBeGreaterThanOrEqual(400);
  });

  it('a server that accepts the WebSocket and never answers the handshake ends as a close 408, not a hang', async () => {
    const mute = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => mute.once('listening', resolve));
    try {
      const { port } = mute.address() as { port: number };
      const engineOfMute = new BaileysEngine({ socketUrl: `ws://127.0.0.1:${port}/ws/chat`, logger: silent, connectTimeoutMs: 1_000 });
      const { log } = await connect(newAuth(), engineOfMute);
      expect(await log.next('close', 5_000)).toMatchObject({ code: 408, loggedOut: false });
    } finally {
      for (const client of mute.clients) client.terminate();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('a silent server is detected by the keepalive (408)', async () => {
    const first = await pairByQr();
    await first.conn.close();
    const watchful = new BaileysEngine({ socketUrl: sandbox.url, logger: silent, keepAliveIntervalMs: 300 });
    const { conn, log } = await connect(first.auth, watchful);
    await log.next('open');
    expect(sandbox.fault(conn.noiseKey, 'silence')).toBe(true);
    // Baileys gives up after keepAliveIntervalMs + 5 s without any frame.
    expect(await log.next('close', 10_000)).toMatchObject({ code: 408, loggedOut: false });
  }, 20_000);

  it('rejects a pairing-code request for an invalid number and changes nothing', async () => {
    const { conn, log } = await connect(newAuth());
    await expect(conn.requestPairingCode('+1 555')).rejects.toMatchObject({ code: 'INVALID_ADDRESS' });
    await log.next('qr');
    expect(log.types()).not.toContain('close');
  });

  it('logout unlinks the device: final close with loggedOut, gone from the phone', async () => {
    const { conn, log, phone, identity } = await pairByQr();
    expect(sandbox.devices(phone).map((d) => d.jid)).toContain(identity.jid);

    await conn.logout();
    const closed = await log.next('close');
    expect(closed).toMatchObject({ code: 401, loggedOut: true });
    expect(await eventually(() => !sandbox.devices(phone).some((d) => d.jid === identity.jid))).toBe(true);
    await delay(100);
    expect(log.types().at(-1)).toBe('close');
  });

  it('a device removed on the phone closes with 401 loggedOut', async () => {
    const { log, phone, identity } = await pairByQr();
    expect(sandbox.removeDevice(phone, deviceIdOf(identity.jid))).toBe(true);
    const closed = await log.next('close');
    expect(closed).toMatchObject({ code: 401, loggedOut: true });
  });

  describe('server-side faults end the connection with their code and no reconnect', () => {
    let paired: AuthStore;

    beforeAll(async () => {
      const first = await pairByQr();
      paired = first.auth;
      await first.conn.close();
    });

    it.each([
      ['replaced', 440],
      ['unavailable', 503],
      ['closed', 428],
      ['timeout', 408],
      ['drop', 428],
    ] as const)('%s → close %i', async (kind, code) => {
      const { conn, log } = await connect(paired);
      await log.next('open');
      expect(sandbox.fault(conn.noiseKey, kind)).toBe(true);
      const closed = await log.next('close');
      expect(closed).toMatchObject({ code, loggedOut: false });

      // The adapter never reconnects by itself (except 515).
      await delay(300);
      expect(log.types()).toEqual(['open', 'close']);
      expect(sandbox.connections().some((c) => c.noiseKey === conn.noiseKey)).toBe(false);
    });

    it('restart-required (515) on a live connection restarts transparently', async () => {
      const { conn, log } = await connect(paired);
      await log.next('open');
      expect(sandbox.fault(conn.noiseKey, 'restart-required')).toBe(true);
      expect((await log.next('restarting')).code).toBe(515);
      await log.next('open');
      expect(log.types()).toEqual(['open', 'restarting', 'open']);
    });
  });

  it('closes with 408 when the QR refs run out', async () => {
    const quick = new BaileysEngine({ socketUrl: sandbox.url, logger: silent, qrTimeoutMs: 100 });
    const { log } = await connect(newAuth(), quick);
    const first = await log.next('qr');
    const second = await log.next('qr');
    expect([first.ttlMs, second.ttlMs]).toEqual([100, 100]);
    const closed = await log.next('close', 5_000);
    expect(closed).toMatchObject({ code: 408, loggedOut: false });
  });

  it('close() ends the socket, emits nothing more and leaves no connection behind', async () => {
    const { conn, log } = await pairByQr();
    const port = Number(new URL(sandbox.url).port);
    expect(clientSocketsTo(port)).toBe(1);
    const seen = log.events.length;
    await conn.close();
    await conn.close(); // idempotent
    expect(await eventually(() => clientSocketsTo(port) === 0)).toBe(true);
    expect(await eventually(() => !sandbox.connections().some((c) => c.noiseKey === conn.noiseKey))).toBe(true);
    await delay(300);
    expect(log.events.length).toBe(seen);
    await expect(conn.sendText('15550001111', 'hi')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(conn.requestPairingCode('15550001111')).rejects.toBeInstanceOf(EngineError);
    await expect(conn.logout()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('close() while waiting for a QR scan stops the QR cycle', async () => {
    const { conn, log } = await connect(newAuth());
    await log.next('qr');
    await conn.close();
    const seen = log.events.length;
    await delay(300);
    expect(log.events.length).toBe(seen);
    expect(sandbox.connections().some((c) => c.noiseKey === conn.noiseKey)).toBe(false);
  });

  it('lists the groups the account belongs to', async () => {
    const { conn, phone } = await pairByQr();
    const other = nextPhone();
    sandbox.getOrCreatePhone(other);
    const group = sandbox.addGroup('Team wagate', [phone, other]);
    const groups = await conn.groups();
    expect(groups).toContainEqual({ id: group.id, subject: 'Team wagate', participants: 2 });
  });

  it('refuses to send before open and validates the recipient', async () => {
    const { conn } = await connect(newAuth());
    await expect(conn.sendText('15550001111', 'hi')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(conn.sendText('12ab', 'hi')).rejects.toMatchObject({ code: 'INVALID_ADDRESS' });
    await expect(conn.groups()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });
});
