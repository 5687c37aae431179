import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { KeyWrite, Store } from '../../src/store/types.js';
import { createTarget, DIALECTS, sessionRow, type Target } from './targets.js';

/** Makes any insert of key id 'boom' fail inside the database, to simulate a crash mid-batch. */
async function installFailingTrigger(target: Target): Promise<void> {
  if (target.dialect === 'sqlite') {
    await target.query(
      `CREATE TRIGGER fail_boom BEFORE INSERT ON signal_keys WHEN NEW.key_id = 'boom'
       BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`,
    );
  } else {
    await target.query(
      `CREATE FUNCTION fail_boom() RETURNS trigger AS $$
       BEGIN IF NEW.key_id = 'boom' THEN RAISE EXCEPTION 'simulated failure'; END IF; RETURN NEW; END
       $$ LANGUAGE plpgsql`,
    );
    await target.query(
      'CREATE TRIGGER fail_boom BEFORE INSERT ON signal_keys FOR EACH ROW EXECUTE FUNCTION fail_boom()',
    );
  }
}

describe.each(DIALECTS)('AuthStore (%s)', (dialect) => {
  let target: Target;
  let store: Store;

  beforeEach(async () => {
    target = await createTarget(dialect);
    store = await openStore(target.options());
    await store.sessions.create(sessionRow('s1'));
    await store.sessions.create(sessionRow('s2'));
  });

  afterEach(async () => {
    await store?.close();
    await target?.cleanup();
  });

  it('round-trips credentials and reports hasCreds', async () => {
    const auth = store.auth.forSession('s1');
    expect(auth.sessionId).toBe('s1');
    expect(await auth.hasCreds()).toBe(false);
    expect(await auth.readCreds()).toBeNull();

    const creds = JSON.stringify({ noiseKey: { private: 'abc' }, me: { id: '1555:1@s.whatsapp.net' }, emoji: 'ü✓' });
    await auth.writeCreds(creds);
    expect(await auth.hasCreds()).toBe(true);
    expect(await auth.readCreds()).toBe(creds);

    await auth.writeCreds('{"v":2}');
    expect(await auth.readCreds()).toBe('{"v":2}');
    expect(await store.auth.forSession('s2').hasCreds()).toBe(false);
  });

  it('writes, reads and deletes keys (null deletes), per type and per session', async () => {
    const s1 = store.auth.forSession('s1');
    const s2 = store.auth.forSession('s2');
    await s1.writeKeys([
      { type: 'pre-key', id: '1', value: 'p1' },
      { type: 'pre-key', id: '2', value: 'p2' },
      { type: 'session', id: '1', value: 'sess1' },
    ]);
    await s2.writeKeys([{ type: 'pre-key', id: '1', value: 'other session' }]);

    expect(await s1.readKeys('pre-key', ['1', '2', '3'])).toEqual({ '1': 'p1', '2': 'p2' });
    expect(await s1.readKeys('session', ['1', '2'])).toEqual({ '1': 'sess1' });
    expect(await s1.readKeys('sender-key', ['1'])).toEqual({});
    expect(await s1.readKeys('pre-key', [])).toEqual({});
    expect(await s2.readKeys('pre-key', ['1', '2'])).toEqual({ '1': 'other session' });

    // Overwrite, delete and insert in one batch.
    await s1.writeKeys([
      { type: 'pre-key', id: '1', value: null },
      { type: 'pre-key', id: '2', value: 'p2 new' },
      { type: 'pre-key', id: '3', value: 'p3' },
    ]);
    expect(await s1.readKeys('pre-key', ['1', '2', '3'])).toEqual({ '2': 'p2 new', '3': 'p3' });
    expect(await s2.readKeys('pre-key', ['1'])).toEqual({ '1': 'other session' });

    // Within a batch the last write of an id wins.
    await s1.writeKeys([
      { type: 'pre-key', id: '4', value: 'first' },
      { type: 'pre-key', id: '4', value: 'second' },
      { type: 'pre-key', id: '3', value: 'gone soon' },
      { type: 'pre-key', id: '3', value: null },
    ]);
    expect(await s1.readKeys('pre-key', ['3', '4'])).toEqual({ '4': 'second' });
    await s1.writeKeys([]);
  });

  it('handles batches larger than one statement (restore-sized)', async () => {
    const auth = store.auth.forSession('s1');
    const ids = Array.from({ length: 1234 }, (_, i) => `id:${i}@s.whatsapp.net`);
    await auth.writeKeys(ids.map((id) => ({ type: 'session', id, value: `value ${id}` })));
    const read = await auth.readKeys('session', [...ids, 'missing']);
    expect(Object.keys(read)).toHaveLength(ids.length);
    expect(read[ids[1000]]).toBe(`value ${ids[1000]}`);

    await auth.writeKeys(ids.slice(0, 700).map((id) => ({ type: 'session', id, value: null })));
    expect(Object.keys(await auth.readKeys('session', ids))).toHaveLength(ids.length - 700);
  });

  it('writes nothing of a batch that fails part-way in the database', async () => {
    const auth = store.auth.forSession('s1');
    await auth.writeKeys([
      { type: 'pre-key', id: 'existing', value: 'old' },
      { type: 'pre-key', id: 'doomed', value: 'still here' },
    ]);
    await installFailingTrigger(target);

    // Large enough that several statements run before the failing row.
    const batch: KeyWrite[] = [
      { type: 'pre-key', id: 'doomed', value: null },
      { type: 'pre-key', id: 'existing', value: 'new' },
      ...Array.from({ length: 450 }, (_, i) => ({ type: 'session', id: `n${i}`, value: `v${i}` })),
      { type: 'session', id: 'boom', value: 'fails' },
    ];
    await expect(auth.writeKeys(batch)).rejects.toThrow(/simulated failure/);

    expect(await auth.readKeys('pre-key', ['existing', 'doomed'])).toEqual({ existing: 'old', doomed: 'still here' });
    expect(await auth.readKeys('session', ['n0', 'n449', 'boom'])).toEqual({});
    const rows = await target.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM signal_keys');
    expect(Number(rows[0].n)).toBe(2);

    // The store is still usable afterwards.
    await auth.writeKeys([{ type: 'session', id: 'ok', value: 'fine' }]);
    expect(await auth.readKeys('session', ['ok'])).toEqual({ ok: 'fine' });
  });

  it('rejects malformed writes and changes nothing', async () => {
    const auth = store.auth.forSession('s1');
    const bad = [
      { type: 'pre-key', id: '1', value: 'ok' },
      { type: 'pre-key', id: '2', value: { not: 'a string' } },
    ] as unknown as KeyWrite[];
    await expect(auth.writeKeys(bad)).rejects.toThrow(TypeError);
    expect(await auth.readKeys('pre-key', ['1'])).toEqual({});
  });

  it('wipe removes this session’s credentials and keys only', async () => {
    const s1 = store.auth.forSession('s1');
    const s2 = store.auth.forSession('s2');
    for (const auth of [s1, s2]) {
      await auth.writeCreds('{"c":1}');
      await auth.writeKeys([
        { type: 'pre-key', id: '1', value: 'x' },
        { type: 'app-state-sync-key', id: 'AAA=', value: 'y' },
      ]);
    }
    await s1.wipe();
    expect(await s1.hasCreds()).toBe(false);
    expect(await s1.readCreds()).toBeNull();
    expect(await s1.readKeys('pre-key', ['1'])).toEqual({});
    expect(await s1.readKeys('app-state-sync-key', ['AAA='])).toEqual({});
    expect(await s2.readCreds()).toBe('{"c":1}');
    expect(await s2.readKeys('app-state-sync-key', ['AAA='])).toEqual({ 'AAA=': 'y' });
    // The session row itself stays (logout keeps the session).
    expect(await store.sessions.get('s1')).toBeDefined();
  });

  it('replaceCreds drops this session’s keys and stores the new credentials in one step', async () => {
    const s1 = store.auth.forSession('s1');
    const s2 = store.auth.forSession('s2');
    for (const auth of [s1, s2]) {
      await auth.writeCreds('{"c":1}');
      await auth.writeKeys([{ type: 'pre-key', id: '1', value: 'x' }]);
    }
    await s1.replaceCreds('{"c":2}');
    expect(await s1.readCreds()).toBe('{"c":2}');
    expect(await s1.readKeys('pre-key', ['1'])).toEqual({});
    expect(await s2.readCreds()).toBe('{"c":1}');
    expect(await s2.readKeys('pre-key', ['1'])).toEqual({ '1': 'x' });
    // Also on a session that had nothing stored yet.
    await s1.wipe();
    await s1.replaceCreds('{"c":3}');
    expect(await s1.readCreds()).toBe('{"c":3}');
  });
  it('credential writes of several sessions in one turn all land; each session keeps its call order', async () => {
    const s1 = store.auth.forSession('s1');
    const s2 = store.auth.forSession('s2');
    await s2.writeCreds('{"c":1}');
    await s2.writeKeys([{ type: 'pre-key', id: 'old', value: 'x' }]);
    // Same turn: s1 twice (the last wins), s2 replaced, then a key written and reads issued after them.
    const writes = [s1.writeCreds('{"c":"a"}'), s1.writeCreds('{"c":"b"}'), s2.replaceCreds('{"c":2}')];
    const readAfter = s1.readCreds();
    const keyAfter = s2.writeKeys([{ type: 'pre-key', id: 'new', value: 'y' }]);
    await Promise.all([...writes, keyAfter]);
    expect(await readAfter).toBe('{"c":"b"}');
    expect(await s1.readCreds()).toBe('{"c":"b"}');
    expect(await s2.readCreds()).toBe('{"c":2}');
    // The replace dropped the key written before it, not the one written after it.
    expect(await s2.readKeys('pre-key', ['old', 'new'])).toEqual({ new: 'y' });
  });

  it('a credential write that fails fails alone; the others of its turn land', async () => {
    const s1 = store.auth.forSession('s1');
    const ghost = store.auth.forSession('no-such-session'); // no session row: the database refuses its credentials
    const results = await Promise.allSettled([s1.writeCreds('{"ok":1}'), ghost.writeCreds('{"ok":0}'), store.auth.forSession('s2').replaceCreds('{"ok":2}')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await s1.readCreds()).toBe('{"ok":1}');
    expect(await store.auth.forSession('s2').readCreds()).toBe('{"ok":2}');
    expect(await ghost.hasCreds()).toBe(false);
  });

  it('close waits for credential writes already queued', async () => {
    const write = store.auth.forSession('s1').writeCreds('{"late":true}');
    await store.close();
    await write;
    store = await openStore(target.options());
    expect(await store.auth.forSession('s1').readCreds()).toBe('{"late":true}');
  });
});
