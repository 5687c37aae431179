/**
 * What is on disk is the owner's alone, and a copied database does not give
 * away API keys: file modes after a start (as a user runs it, and when an
 * older version left them readable) and keyed API key hashes in a real store.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureAdminKey, hashApiKey, API_KEY_HASH_PURPOSE, StoreApiKeyService } from '../../src/core/apiKeys.js';
import { openStore } from '../../src/store/index.js';
import { spawnGateway } from '../support/e2e.js';
import { silentLogger, TEST_MASTER_KEY } from '../support/harness.js';
import { sessionRow } from './targets.js';

const posix = process.platform !== 'win32';
const mode = (file: string): number => fs.statSync(file).mode & 0o777;
const sha256 = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wagate-rest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.runIf(posix)('file modes', () => {
  it('a started gateway keeps its data dir 0700 and its database, WAL, key and sandbox state 0600', async () => {
    const dataDir = path.join(dir, 'data');
    // No WAGATE_MASTER_KEY: the gateway writes master.key itself.
    const gw = await spawnGateway(dataDir, { WAGATE_MASTER_KEY: '' });
    try {
      await gw.client.post('/api/v1/sessions', { sessionId: 'modes' });
      const own = path.join(dataDir, 'sandbox');
      expect(mode(own)).toBe(0o700);
      for (const name of ['wagate.db', 'wagate.db-wal', 'wagate.db-shm', 'master.key']) {
        expect({ name, mode: mode(path.join(own, name)).toString(8) }).toEqual({ name, mode: '600' });
      }
      expect(mode(path.join(own, 'network'))).toBe(0o700);
      const state = path.join(own, 'network', 'sandbox-state.json');
      expect(mode(state)).toBe(0o600);
    } finally {
      await gw.stop();
    }
  });

  it('files an older version left readable are tightened when the store opens', async () => {
    const file = path.join(dir, 'wagate.db');
    let store = await openStore({ url: `sqlite:${file}`, dataDir: dir, masterKey: TEST_MASTER_KEY }, silentLogger);
    await store.settings.set('probe', 'x');
    await store.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(f)) fs.chmodSync(f, 0o644);
    fs.writeFileSync(`${file}-wal`, '', { flag: 'a', mode: 0o644 });
    fs.chmodSync(`${file}-wal`, 0o644);
    store = await openStore({ url: `sqlite:${file}`, dataDir: dir, masterKey: TEST_MASTER_KEY }, silentLogger);
    try {
      expect(mode(file)).toBe(0o600);
      expect(mode(`${file}-wal`)).toBe(0o600);
      expect(await store.settings.get('probe')).toBe('x');
    } finally {
      await store.close();
    }
  });

  it('a new database is 0600 even without a restrictive umask, and so are its WAL and shared memory', async () => {
    const file = path.join(dir, 'nested', 'wagate.db');
    const store = await openStore({ url: `sqlite:${file}`, dataDir: dir, masterKey: TEST_MASTER_KEY }, silentLogger);
    try {
      await store.settings.set('probe', 'x');
      expect(mode(path.dirname(file))).toBe(0o700);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f)).toBe(0o600);
    } finally {
      await store.close();
    }
  });
});

describe('API key hashes in the store', () => {
  it('are not sha256(key), and an old-form hash works once and is rewritten keyed', async () => {
    const url = `sqlite:${path.join(dir, 'wagate.db')}`;
    let store = await openStore({ url, dataDir: dir, masterKey: TEST_MASTER_KEY }, silentLogger);
    await ensureAdminKey(store, 'admin-pass');
    // A session key written by an older version: plain SHA-256.
    await store.sessions.create(sessionRow('s1'));
    await store.apiKeys.create({ id: 'key_old', sessionId: 's1', hash: sha256('wgs_legacy'), label: null, createdAt: new Date().toISOString(), lastUsedAt: null });
    const secret = store.deriveSecret(API_KEY_HASH_PURPOSE);
    expect(await store.apiKeys.findByHash(sha256('admin-pass'))).toBeUndefined();
    expect(await store.apiKeys.findByHash(hashApiKey('admin-pass', secret))).toMatchObject({ sessionId: null });

    const service = new StoreApiKeyService(store);
    expect(await service.verify('wgs_legacy')).toMatchObject({ kind: 'session', sessionId: 's1' });
    expect(await store.apiKeys.findByHash(sha256('wgs_legacy'))).toBeUndefined();
    expect(await store.apiKeys.findByHash(hashApiKey('wgs_legacy', secret))).toMatchObject({ id: 'key_old' });
    await store.close();

    // After a restart the rewritten key still works.
    store = await openStore({ url, dataDir: dir, masterKey: TEST_MASTER_KEY }, silentLogger);
    try {
      expect(await new StoreApiKeyService(store).verify('wgs_legacy')).toMatchObject({ kind: 'session', sessionId: 's1' });
      expect(await new StoreApiKeyService(store).verify('admin-pass')).toEqual({ kind: 'admin' });
    } finally {
      await store.close();
    }
  });
});
