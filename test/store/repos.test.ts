import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/store/connect.js';
import { StoreError } from '../../src/store/errors.js';
import { createEventRepo } from '../../src/store/eventRepo.js';
import { openStore } from '../../src/store/index.js';
import { migrateToLatest, migrationProvider } from '../../src/store/migrations.js';
import type { MessageRow, Store } from '../../src/store/types.js';
import { createTarget, DIALECTS, sessionRow, type Target } from './targets.js';

describe.each(DIALECTS)('store repos (%s)', (dialect) => {
  let target: Target;
  let store: Store;

  beforeEach(async () => {
    target = await createTarget(dialect);
    store = await openStore(target.options());
  });

  afterEach(async () => {
    await store?.close();
    await target?.cleanup();
  });

  it('reports its dialect', () => {
    expect(store.dialect).toBe(dialect);
  });

  describe('sessions', () => {
    it('creates, reads and lists sessions with every field intact', async () => {
      const full = sessionRow('full', {
        displayName: 'Sales',
        deviceBrowser: 'Firefox',
        state: 'connected',
        lifetimeStatus: 'connected',
        wantConnected: true,
        meJid: '15551234567:7@s.whatsapp.net',
        meLid: '123456789:7@lid',
        meName: 'Ann',
        lastDisconnectCode: 428,
        lastDisconnectReason: 'connection closed',
        lastDisconnectAt: '2024-01-02T03:04:05.000Z',
        createdAt: '2024-01-01T00:00:00.000Z',
        updatedAt: '2024-01-02T00:00:00.000Z',
        connectedAt: '2024-01-01T00:00:01.000Z',
      });
      await store.sessions.create(full);
      await store.sessions.create(sessionRow('bare', { createdAt: '2024-01-03T00:00:00.000Z' }));

      expect(await store.sessions.get('full')).toEqual(full);
      expect(await store.sessions.get('missing')).toBeUndefined();
      const list = await store.sessions.list();
      expect(list.map((s) => s.id)).toEqual(['full', 'bare']);
      expect(list[1].wantConnected).toBe(false);
      expect(list[1].displayName).toBeNull();
    });

    it('rejects a duplicate id with its own DUPLICATE error (no HTTP meaning) and keeps the original', async () => {
      await store.sessions.create(sessionRow('dup', { displayName: 'first' }));
      const err = await store.sessions.create(sessionRow('dup', { displayName: 'second' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('DUPLICATE');
      expect(err).not.toHaveProperty('status');
      expect((await store.sessions.get('dup'))?.displayName).toBe('first');
    });

    it('updates only the patched fields', async () => {
      const row = sessionRow('s1', { displayName: 'keep me' });
      await store.sessions.create(row);
      await store.sessions.update('s1', {
        state: 'qr',
        wantConnected: true,
        lastDisconnectCode: 401,
        updatedAt: '2030-01-01T00:00:00.000Z',
      });
      expect(await store.sessions.get('s1')).toEqual({
        ...row,
        state: 'qr',
        wantConnected: true,
        lastDisconnectCode: 401,
        updatedAt: '2030-01-01T00:00:00.000Z',
      });
      // Explicit nulls clear; wantConnected false round-trips.
      await store.sessions.update('s1', { displayName: null, wantConnected: false, lastDisconnectCode: null });
      const after = await store.sessions.get('s1');
      expect(after?.displayName).toBeNull();
      expect(after?.wantConnected).toBe(false);
      expect(after?.lastDisconnectCode).toBeNull();
      // An empty patch and an unknown id change nothing and do not throw.
      await store.sessions.update('s1', {});
      await store.sessions.update('nobody', { state: 'error' });
      expect(await store.sessions.get('nobody')).toBeUndefined();
    });

    it('delete removes the session with its credentials, keys, scoped API keys and events, and nothing else', async () => {
      for (const id of ['gone', 'stays']) {
        await store.sessions.create(sessionRow(id));
        const auth = store.auth.forSession(id);
        await auth.writeCreds(`{"id":"${id}"}`);
        await auth.writeKeys([{ type: 'pre-key', id: '1', value: `${id}-key` }]);
        await store.apiKeys.create({
          id: `key-${id}`,
          sessionId: id,
          hash: `hash-${id}`,
          label: null,
          createdAt: new Date().toISOString(),
          lastUsedAt: null,
        });
        await store.events.append({ sessionId: id, type: 'state', data: '{}', createdAt: new Date().toISOString() });
      }
      await store.apiKeys.create({
        id: 'admin',
        sessionId: null,
        hash: 'hash-admin',
        label: 'admin',
        createdAt: new Date().toISOString(),
        lastUsedAt: null,
      });

      await store.sessions.delete('gone');

      expect(await store.sessions.get('gone')).toBeUndefined();
      const gone = store.auth.forSession('gone');
      expect(await gone.hasCreds()).toBe(false);
      expect(await gone.readKeys('pre-key', ['1'])).toEqual({});
      expect(await store.apiKeys.findByHash('hash-gone')).toBeUndefined();
      expect(await store.events.list('gone', 10)).toEqual([]);
      for (const table of ['credentials', 'signal_keys', 'api_keys', 'events']) {
        const rows = await target.query(`SELECT * FROM ${table} WHERE session_id = ?`, ['gone']);
        expect(rows, table).toHaveLength(0);
      }

      const stays = store.auth.forSession('stays');
      expect(await stays.readCreds()).toBe('{"id":"stays"}');
      expect(await stays.readKeys('pre-key', ['1'])).toEqual({ '1': 'stays-key' });
      expect((await store.apiKeys.findByHash('hash-stays'))?.id).toBe('key-stays');
      expect(await store.apiKeys.findByHash('hash-admin')).toBeDefined();
      expect(await store.events.list('stays', 10)).toHaveLength(1);

      // Deleting an unknown session is harmless.
      await store.sessions.delete('gone');
    });
  });

  describe('api keys', () => {
    it('creates, finds by hash, lists by scope, touches and deletes', async () => {
      await store.sessions.create(sessionRow('s1'));
      const admin = { id: 'k1', sessionId: null, hash: 'a'.repeat(64), label: 'ops', createdAt: '2024-01-01T00:00:00.000Z', lastUsedAt: null };
      const scoped = { id: 'k2', sessionId: 's1', hash: 'b'.repeat(64), label: null, createdAt: '2024-01-02T00:00:00.000Z', lastUsedAt: null };
      await store.apiKeys.create(admin);
      await store.apiKeys.create(scoped);

      expect(await store.apiKeys.findByHash('a'.repeat(64))).toEqual(admin);
      expect(await store.apiKeys.findByHash('c'.repeat(64))).toBeUndefined();
      expect(await store.apiKeys.listForSession(null)).toEqual([admin]);
      expect(await store.apiKeys.listForSession('s1')).toEqual([scoped]);
      expect(await store.apiKeys.listForSession('other')).toEqual([]);

      await store.apiKeys.touch('k2', '2024-02-02T00:00:00.000Z');
      expect((await store.apiKeys.findByHash('b'.repeat(64)))?.lastUsedAt).toBe('2024-02-02T00:00:00.000Z');

      expect(await store.apiKeys.delete('k1')).toBe(true);
      expect(await store.apiKeys.delete('k1')).toBe(false);
      expect(await store.apiKeys.findByHash('a'.repeat(64))).toBeUndefined();
    });
  });

  describe('events', () => {
    it('lists the newest events of one session, newest last', async () => {
      for (let i = 1; i <= 5; i++) {
        await store.events.append({ sessionId: 's1', type: `t${i}`, data: JSON.stringify({ i }), createdAt: new Date().toISOString() });
        await store.events.append({ sessionId: 's2', type: 'other', data: '{}', createdAt: new Date().toISOString() });
      }
      const last3 = await store.events.list('s1', 3);
      expect(last3.map((e) => e.type)).toEqual(['t3', 't4', 't5']);
      expect(last3.map((e) => JSON.parse(e.data).i)).toEqual([3, 4, 5]);
      expect(last3.every((e) => e.sessionId === 's1' && typeof e.id === 'number')).toBe(true);
      expect(last3[0].id! < last3[1].id! && last3[1].id! < last3[2].id!).toBe(true);
      expect(await store.events.list('s1', 100)).toHaveLength(5);
      expect(await store.events.list('s1', 0)).toEqual([]);
      expect(await store.events.list('nobody', 10)).toEqual([]);
    });

    it('commits a group whose batches change several session rows, one of them twice, as updates one by one would', async () => {
      for (const id of ['g1', 'g2', 'g3', 'g4']) await store.sessions.create(sessionRow(id));
      const at = '2026-01-01T00:00:00.000Z';
      const change = (id: string, seq: number, patch: Record<string, unknown>) => ({
        session: { id, patch },
        events: [{ id: 100 + seq, sessionId: id, type: 'connection.state', seq, createdAt: at, data: '{}', history: true }],
        deliveries: [],
      });
      await store.events.commit([
        change('g1', 1, { state: 'connecting', wantConnected: true, updatedAt: 'a' }),
        change('g2', 2, { state: 'connecting', wantConnected: true, updatedAt: 'b' }),
        change('g3', 3, { displayName: 'three', lastDisconnectCode: 428 }),
        change('g1', 4, { state: 'qr', updatedAt: 'c' }),
        change('g4', 5, {}),
        change('gone', 6, { state: 'qr', updatedAt: 'd' }),
      ]);
      const rows = new Map((await store.sessions.list()).map((r) => [r.id, r]));
      expect(rows.get('g1')).toMatchObject({ state: 'qr', wantConnected: true, updatedAt: 'c' });
      expect(rows.get('g2')).toMatchObject({ state: 'connecting', wantConnected: true, updatedAt: 'b' });
      expect(rows.get('g3')).toMatchObject({ state: 'created', displayName: 'three', lastDisconnectCode: 428, wantConnected: false });
      expect(rows.get('g4')).toEqual(sessionRow('g4', { createdAt: rows.get('g4')!.createdAt, updatedAt: rows.get('g4')!.updatedAt }));
      expect(rows.has('gone')).toBe(false);
    });
  });

  describe('settings', () => {
    it('sets, overwrites, reads and deletes plain and secret values', async () => {
      expect(await store.settings.get('missing')).toBeUndefined();
      await store.settings.set('plain', 'one');
      await store.settings.set('plain', 'two');
      expect(await store.settings.get('plain')).toBe('two');

      await store.settings.set('totp', 'JBSWY3DPEHPK3PXP', { secret: true });
      expect(await store.settings.get('totp')).toBe('JBSWY3DPEHPK3PXP');
      // A secret can become plain and back again.
      await store.settings.set('totp', 'plain now');
      expect(await store.settings.get('totp')).toBe('plain now');
      await store.settings.set('totp', 'secret again ✓', { secret: true });
      expect(await store.settings.get('totp')).toBe('secret again ✓');

      await store.settings.delete('plain');
      expect(await store.settings.get('plain')).toBeUndefined();
      await store.settings.delete('never-set');
    });
  });

  describe('messages', () => {
    const outgoing = (sessionId: string, id: string, status: string): MessageRow => ({
      sessionId,
      id,
      chatJid: '15550000002@s.whatsapp.net',
      chatAlt: null,
      senderJid: '15550000001@s.whatsapp.net',
      senderAlt: null,
      fromMe: true,
      contentType: 'text',
      body: '{"view":{"type":"text","text":"hi"}}',
      payload: null,
      status,
      statuses: [{ status, at: '2026-01-01T00:00:00.000Z' }],
      error: null,
      replyTo: null,
      waTimestamp: 1_767_225_600,
      idempotencyKey: null,
      requestHash: null,
      attempts: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });

    it('names the ids of a session\'s messages still to send, as pending() finds them', async () => {
      await store.sessions.create(sessionRow('s1'));
      await store.sessions.create(sessionRow('s2'));
      for (const row of [outgoing('s1', 'A', 'pending'), outgoing('s1', 'B', 'sent'), outgoing('s1', 'C', 'pending'), outgoing('s2', 'D', 'pending')]) {
        await store.messages.insert(row);
      }
      expect((await store.messages.pendingIds('s1')).sort()).toEqual(['A', 'C']);
      expect((await store.messages.pending('s1')).map((r) => r.id).sort()).toEqual(['A', 'C']);
      expect(await store.messages.pendingIds('s3')).toEqual([]);
    });
  });

  describe('pairing requests', () => {
    it('records issued codes and reads back those of a window, oldest first', async () => {
      const t0 = Date.parse('2026-01-01T10:00:00.000Z');
      const at = (min: number) => new Date(t0 + min * 60_000).toISOString();
      await store.pairingRequests.record('15550000001', at(0));
      await store.pairingRequests.record('15550000002', at(5));
      await store.pairingRequests.record('15550000001', at(9));
      expect(await store.pairingRequests.since(at(5))).toEqual([
        { phone: '15550000002', requestedAt: at(5) },
        { phone: '15550000001', requestedAt: at(9) },
      ]);
      // Only the last day is kept.
      await store.pairingRequests.record('15550000003', at(25 * 60));
      expect((await store.pairingRequests.since(at(0))).map((r) => r.phone)).toEqual(['15550000003']);
    });
  });

  describe('migrations', () => {
    it('are idempotent: reopening keeps the data and applies nothing twice', async () => {
      await store.sessions.create(sessionRow('s1'));
      await store.auth.forSession('s1').writeCreds('{"me":1}');
      await store.close();

      store = await openStore(target.options());
      expect((await store.sessions.get('s1'))?.id).toBe('s1');
      expect(await store.auth.forSession('s1').readCreds()).toBe('{"me":1}');
      await store.close();

      store = await openStore(target.options());
      const applied = await target.query<{ name: string }>('SELECT name FROM kysely_migration');
      const all = Object.keys(await migrationProvider(dialect).getMigrations());
      expect(all[0]).toBe('0001_initial');
      expect(applied.map((r) => r.name)).toEqual(all);
    });
  });
});

describe.each(DIALECTS)('event retention (%s)', (dialect) => {
  it('keeps only the newest events of each session', async () => {
    const target = await createTarget(dialect);
    const { db } = connect(target.url);
    try {
      await migrateToLatest(db, dialect);
      const events = createEventRepo(db, 3);
      for (let i = 1; i <= 6; i++) {
        await events.append({ sessionId: 'a', type: `t${i}`, data: '{}', createdAt: new Date().toISOString() });
      }
      await events.append({ sessionId: 'b', type: 'only', data: '{}', createdAt: new Date().toISOString() });
      expect((await events.list('a', 10)).map((e) => e.type)).toEqual(['t4', 't5', 't6']);
      expect((await events.list('b', 10)).map((e) => e.type)).toEqual(['only']);
      const rows = await target.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM events');
      expect(Number(rows[0].n)).toBe(4);
    } finally {
      await db.destroy();
      await target.cleanup();
    }
  });

  it('trims a large allowance in steps: never more than a tenth over it, the newest always kept', async () => {
    const target = await createTarget(dialect);
    const { db } = connect(target.url);
    try {
      await migrateToLatest(db, dialect);
      const events = createEventRepo(db, 50);
      const count = async () => Number((await target.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM events'))[0].n);
      let most = 0;
      for (let i = 1; i <= 120; i++) {
        await events.append({ sessionId: 'a', type: `t${i}`, data: '{}', createdAt: new Date().toISOString() });
        most = Math.max(most, await count());
      }
      expect(most).toBeGreaterThan(50);
      expect(most).toBeLessThanOrEqual(55);
      const kept = (await events.list('a', 100)).map((e) => e.type);
      expect(kept.at(-1)).toBe('t120');
      expect(kept.length).toBeLessThanOrEqual(55);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => `t${121 - kept.length + k}`));
    } finally {
      await db.destroy();
      await target.cleanup();
    }
  });
});
