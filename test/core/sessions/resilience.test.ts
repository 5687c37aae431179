/**
 * Nothing an engine event, a store write or a timer does may end the
 * process: each failure is logged with the session id, counted, and leaves
 * the session in a defined state, while the gateway keeps serving.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureAdminKey } from '../../../src/core/apiKeys.js';
import { createCore, type Core } from '../../../src/core/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { FakeEngine } from '../../support/fakeEngine.js';
import { eventually, TEST_ADMIN_KEY, TEST_MASTER_KEY } from '../../support/harness.js';

interface LogLine {
  level: number;
  msg: string;
  sessionId?: string;
  change?: string;
}

interface Rig {
  core: Core;
  store: Store;
  engine: FakeEngine;
  lines: LogLine[];
  dataDir: string;
  close(): Promise<void>;
}

const rigs: Rig[] = [];

async function rig(dataDir?: string): Promise<Rig> {
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), 'wagate-resilience-')));
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const store = await openStore({ url: `sqlite:${path.join(dir, 'wagate.db')}`, dataDir: dir, masterKey: TEST_MASTER_KEY });
  await ensureAdminKey(store, TEST_ADMIN_KEY);
  const engine = new FakeEngine();
  const core = await createCore({ store, engine, logger, sandbox: true, readyTimeoutMs: 1_000, backoff: { baseMs: 20, maxMs: 100 } });
  const r: Rig = {
    core,
    store,
    engine,
    lines,
    dataDir: dir,
    close: async () => {
      await core.sessions.shutdown();
      await store.close();
    },
  };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.close().catch(() => undefined);
    await rm(r.dataDir, { recursive: true, force: true });
  }
});

async function linkedSession(r: Rig, sessionId: string): Promise<void> {
  await r.core.sessions.create({ sessionId });
  await r.core.sessions.connect(sessionId);
  await eventually(() => expect(r.core.sessions.get(sessionId).state).toBe('qr'));
  await r.engine.last(sessionId).link('15550000001');
  await eventually(() => expect(r.core.sessions.get(sessionId).state).toBe('connected'));
}

describe('engine events that do not fit', () => {
  it('an impossible engine event is logged with the session id and counted; the session stays connected and the gateway serves', async () => {
    const r = await rig();
    await linkedSession(r, 'support');
    // A QR on a logged-in connection: connected → qr is not a transition the state machine allows.
    r.engine.last('support').emitQr();
    await eventually(() => expect(r.core.faults.count('engine_event')).toBe(1));
    const line = r.lines.find((l) => l.change === 'QR shown');
    expect(line).toMatchObject({ level: 50, sessionId: 'support' });
    expect(line?.msg).toContain('connected');
    expect(r.core.sessions.get('support')).toMatchObject({ state: 'connected', connected: true });
    expect((await r.store.sessions.get('support'))?.state).toBe('connected');
    // Still serving: other commands on the same and other sessions work.
    await r.core.sessions.create({ sessionId: 'other' });
    expect((await r.core.sessions.disconnect('support')).state).toBe('inactive');
  });

  it('events of a runtime that was stopped change nothing', async () => {
    const r = await rig();
    await r.core.sessions.create({ sessionId: 'a' });
    await r.core.sessions.connect('a');
    await eventually(() => expect(r.core.sessions.get('a').state).toBe('qr'));
    const stale = r.engine.last('a');
    await r.core.sessions.disconnect('a');
    stale.emitQr();
    stale.drop(408);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.core.sessions.get('a').state).toBe('created');
    expect(r.core.faults.count('engine_event')).toBe(0);
  });
});

/** Session rows and events (a state change commits both together) fail while `failure` returns an error. */
function failWrites(store: Store, failure: () => Error | undefined): void {
  const update = store.sessions.update.bind(store.sessions);
  const commit = store.events.commit.bind(store.events);
  store.sessions.update = async (id, patch) => {
    const err = failure();
    if (err) throw err;
    return update(id, patch);
  };
  store.events.commit = async (batch) => {
    const err = failure();
    if (err) throw err;
    return commit(batch);
  };
}

describe('a store that fails writes', () => {
  it('keeps the session in memory, logs and counts each failure with the session id, and persists it with the next write that works', async () => {
    const r = await rig();
    await r.core.sessions.create({ sessionId: 'flaky' });
    let failing = true;
    failWrites(r.store, () => (failing ? new Error('disk I/O error') : undefined));
    await r.core.sessions.connect('flaky');
    await eventually(() => expect(r.core.sessions.get('flaky').state).toBe('qr'));
    await r.engine.last('flaky').link('15550000002');
    await eventually(() => expect(r.core.sessions.get('flaky').state).toBe('connected'));
    expect(r.core.faults.count('store_write')).toBeGreaterThan(0);
    const failures = r.lines.filter((l) => l.msg.startsWith('could not persist a session change'));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((l) => l.sessionId === 'flaky' && l.level === 50)).toBe(true);
    // The store is behind, the session itself is fine.
    expect((await r.store.sessions.get('flaky'))?.state).toBe('created');
    expect(r.core.sessions.get('flaky')).toMatchObject({ paired: true, connected: true });

    failing = false;
    await r.core.sessions.disconnect('flaky');
    const row = await r.store.sessions.get('flaky');
    // The failed fields (the link) arrive with the first write that works.
    expect(row).toMatchObject({ state: 'inactive', meJid: '15550000002:3@s.whatsapp.net', lifetimeStatus: 'connected' });
  });

  it('a failed write never reaches the caller as an unhandled rejection, and the last state survives a restart', async () => {
    const r = await rig();
    await linkedSession(r, 'keep');
    let failures = 0;
    failWrites(r.store, () => (failures++ < 1 ? new Error('database is locked') : undefined));
    r.engine.last('keep').drop(503, 'Service Unavailable');
    await eventually(() => expect(r.core.sessions.get('keep').state).toBe('connected'));
    await r.close();
    rigs.splice(rigs.indexOf(r), 1);
    const again = await rig(r.dataDir);
    expect(again.core.sessions.get('keep')).toMatchObject({ paired: true, state: 'inactive' });
  });
});

describe('timers', () => {
  it('a pairing code that expires while the store fails moves the session back to qr and counts the write', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wagate-resilience-'));
    const store = await openStore({ url: `sqlite:${path.join(dir, 'wagate.db')}`, dataDir: dir, masterKey: TEST_MASTER_KEY });
    const engine = new FakeEngine();
    const core = await createCore({ store, engine, logger: pino({ level: 'silent' }), sandbox: true, pairingCodeTtlMs: 1_000 });
    rigs.push({ core, store, engine, lines: [], dataDir: dir, close: async () => (await core.sessions.shutdown(), await store.close()) });
    await core.sessions.create({ sessionId: 'code' });
    await core.sessions.connect('code');
    await eventually(() => expect(core.sessions.get('code').state).toBe('qr'));
    await core.sessions.requestPairingCode('code', '15550000003');
    expect(core.sessions.get('code').state).toBe('pairing_code');
    failWrites(store, () => new Error('read-only file system'));
    await eventually(() => expect(core.sessions.get('code').state).toBe('qr'));
    // The state changes in memory first; the failed write is counted when the store answers.
    await eventually(() => expect(core.faults.count('store_write')).toBeGreaterThan(0));
  });
});
