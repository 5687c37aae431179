import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ADMIN_KEY_ID, API_KEY_HASH_PURPOSE, StoreApiKeyService, ensureAdminKey, hashApiKey, type ApiKeyStore } from '../../src/core/apiKeys.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ApiKeyRepo, ApiKeyRow } from '../../src/store/types.js';

/** In-memory ApiKeyRepo that counts writes. */
class MemoryApiKeyRepo implements ApiKeyRepo {
  rows = new Map<string, ApiKeyRow>();
  touches: Array<{ id: string; at: string }> = [];
  async create(row: ApiKeyRow): Promise<void> {
    if (this.rows.has(row.id)) throw new Error(`duplicate id ${row.id}`);
    this.rows.set(row.id, { ...row });
  }
  async findByHash(hash: string): Promise<ApiKeyRow | undefined> {
    const row = [...this.rows.values()].find((r) => r.hash === hash);
    return row && { ...row };
  }
  async listForSession(sessionId: string | null): Promise<ApiKeyRow[]> {
    return [...this.rows.values()].filter((r) => r.sessionId === sessionId).map((r) => ({ ...r }));
  }
  async updateHash(id: string, hash: string): Promise<void> {
    const row = this.rows.get(id);
    if (row) row.hash = hash;
  }
  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }
  async touch(id: string, at: string): Promise<void> {
    this.touches.push({ id, at });
    const row = this.rows.get(id);
    if (row) row.lastUsedAt = at;
  }
}

const SECRET = Buffer.alloc(32, 7);
const purposes: string[] = [];

/** The repo plus the master-key-derived secret, as the store hands them out. */
function keyStore(apiKeys: ApiKeyRepo): ApiKeyStore {
  return {
    apiKeys,
    deriveSecret: (purpose) => {
      purposes.push(purpose);
      return SECRET;
    },
  };
}

const sha256 = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

describe('ensureAdminKey', () => {
  it('generates a wg_ key once at first start and stores only its hash', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    const first = await ensureAdminKey(keyStore(apiKeys), undefined);
    expect(first.generatedKey).toMatch(/^wg_[A-Za-z0-9_-]{32}$/);
    const rows = [...apiKeys.rows.values()];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: ADMIN_KEY_ID, sessionId: null, hash: hashApiKey(first.generatedKey!, SECRET) });
    expect(JSON.stringify(rows)).not.toContain(first.generatedKey!);

    const second = await ensureAdminKey(keyStore(apiKeys), undefined);
    expect(second.generatedKey).toBeUndefined();
    expect(apiKeys.rows.size).toBe(1);

    const service = new StoreApiKeyService(keyStore(apiKeys));
    expect(await service.verify(first.generatedKey!)).toEqual({ kind: 'admin' });
  });

  it('makes a configured key the admin key, replacing a generated one', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    const { generatedKey } = await ensureAdminKey(keyStore(apiKeys), undefined);
    const result = await ensureAdminKey(keyStore(apiKeys), 'operator-secret');
    expect(result.generatedKey).toBeUndefined();
    const service = new StoreApiKeyService(keyStore(apiKeys));
    expect(await service.verify('operator-secret')).toEqual({ kind: 'admin' });
    expect(await service.verify(generatedKey!)).toBeUndefined();
    expect(await apiKeys.listForSession(null)).toHaveLength(1);
    // Same key again: nothing changes.
    const before = [...apiKeys.rows.values()];
    await ensureAdminKey(keyStore(apiKeys), 'operator-secret');
    expect([...apiKeys.rows.values()]).toEqual(before);
  });

  it('leaves session keys alone when the admin key changes', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    const service = new StoreApiKeyService(keyStore(apiKeys));
    const scoped = await service.createSessionKey('s1');
    await ensureAdminKey(keyStore(apiKeys), 'a');
    await ensureAdminKey(keyStore(apiKeys), 'b');
    expect(await service.verify(scoped.key)).toMatchObject({ kind: 'session', sessionId: 's1' });
  });
});

describe('StoreApiKeyService', () => {
  it('creates session keys shown once, scoped to their session', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    const service = new StoreApiKeyService(keyStore(apiKeys));
    const created = await service.createSessionKey('s1', 'ci');
    expect(created.key).toMatch(/^wgs_[A-Za-z0-9_-]{32}$/);
    expect(created).toMatchObject({ sessionId: 's1', label: 'ci', lastUsedAt: null });
    expect(await service.verify(created.key)).toEqual({ kind: 'session', sessionId: 's1', keyId: created.keyId });

    const listed = await service.listSessionKeys('s1');
    expect(listed).toEqual([
      { keyId: created.keyId, sessionId: 's1', label: 'ci', createdAt: created.createdAt, lastUsedAt: expect.any(String) },
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(await service.listSessionKeys('s2')).toEqual([]);
  });

  it('rejects unknown and empty keys', async () => {
    const service = new StoreApiKeyService(keyStore(new MemoryApiKeyRepo()));
    expect(await service.verify('wgs_nope')).toBeUndefined();
    expect(await service.verify('')).toBeUndefined();
  });

  it('revokes a key immediately; unknown or other-session key ids are KEY_NOT_FOUND', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    const service = new StoreApiKeyService(keyStore(apiKeys));
    const a = await service.createSessionKey('s1');
    const b = await service.createSessionKey('s2');
    await expect(service.revokeSessionKey('s1', b.keyId)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(service.revokeSessionKey('s1', 'key_missing')).rejects.toBeInstanceOf(GatewayError);
    expect(await service.verify(b.key)).toBeDefined();
    await service.revokeSessionKey('s1', a.keyId);
    expect(await service.verify(a.key)).toBeUndefined();
    expect(await service.listSessionKeys('s1')).toEqual([]);
  });

  it('writes lastUsedAt at most once a minute per key', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    let t = Date.parse('2025-01-01T00:00:00Z');
    const service = new StoreApiKeyService(keyStore(apiKeys), () => t);
    const k = await service.createSessionKey('s1');
    for (let i = 0; i < 10; i++) await service.verify(k.key);
    expect(apiKeys.touches).toHaveLength(1);
    t += 59_000;
    await service.verify(k.key);
    expect(apiKeys.touches).toHaveLength(1);
    t += 1_000;
    await service.verify(k.key);
    expect(apiKeys.touches).toHaveLength(2);
    expect(apiKeys.touches[1]!.at).toBe('2025-01-01T00:01:00.000Z');
  });
});

describe('admin key verification cache', () => {
  it('asks the store once per 30 s for the admin key, never for session keys, and forgets a replaced admin key', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    let lookups = 0;
    const find = apiKeys.findByHash.bind(apiKeys);
    apiKeys.findByHash = async (hash) => {
      lookups += 1;
      return find(hash);
    };
    let now = 1_000_000;
    await ensureAdminKey(keyStore(apiKeys), 'wg_admin_one');
    const service = new StoreApiKeyService(keyStore(apiKeys), () => now);
    for (let i = 0; i < 5; i++) expect(await service.verify('wg_admin_one')).toEqual({ kind: 'admin' });
    expect(lookups).toBe(1);
    const scoped = await service.createSessionKey('s1');
    await service.verify(scoped.key);
    await service.verify(scoped.key);
    expect(lookups).toBe(3);
    await service.revokeSessionKey('s1', scoped.keyId);
    expect(await service.verify(scoped.key)).toBeUndefined();
    // Another node restarts with a new admin key: the old one stops working within the TTL.
    await ensureAdminKey(keyStore(apiKeys), 'wg_admin_two');
    now += 30_001;
    expect(await service.verify('wg_admin_one')).toBeUndefined();
    expect(await service.verify('wg_admin_two')).toEqual({ kind: 'admin' });
  });
});

describe('stored key hashes', () => {
  it('are keyed with the secret derived for API keys, not sha256(key)', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    await ensureAdminKey(keyStore(apiKeys), 'password1');
    const service = new StoreApiKeyService(keyStore(apiKeys));
    const scoped = await service.createSessionKey('s1');
    const hashes = [...apiKeys.rows.values()].map((r) => r.hash);
    expect(hashes).not.toContain(sha256('password1'));
    expect(hashes).not.toContain(sha256(scoped.key));
    expect(hashes).toEqual([hashApiKey('password1', SECRET), hashApiKey(scoped.key, SECRET)]);
    expect(hashApiKey('password1', Buffer.alloc(32, 8))).not.toBe(hashApiKey('password1', SECRET));
    expect(purposes).toContain(API_KEY_HASH_PURPOSE);
  });

  it('accept a key stored by an older version (sha256) once and rewrite it keyed', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    await apiKeys.create({ id: 'key_old', sessionId: 's1', hash: sha256('wgs_old'), label: null, createdAt: '2025-01-01T00:00:00.000Z', lastUsedAt: null });
    const service = new StoreApiKeyService(keyStore(apiKeys));
    expect(await service.verify('wgs_old')).toEqual({ kind: 'session', sessionId: 's1', keyId: 'key_old' });
    expect(apiKeys.rows.get('key_old')!.hash).toBe(hashApiKey('wgs_old', SECRET));
    expect(await service.verify('wgs_old')).toEqual({ kind: 'session', sessionId: 's1', keyId: 'key_old' });
    expect(await service.verify('wgs_other')).toBeUndefined();
  });

  it('rewrite an older admin key hash in place when WAGATE_API_KEY still names it', async () => {
    const apiKeys = new MemoryApiKeyRepo();
    await apiKeys.create({ id: ADMIN_KEY_ID, sessionId: null, hash: sha256('operator'), label: 'WAGATE_API_KEY', createdAt: '2025-01-01T00:00:00.000Z', lastUsedAt: null });
    await ensureAdminKey(keyStore(apiKeys), 'operator');
    expect(apiKeys.rows.get(ADMIN_KEY_ID)).toMatchObject({ hash: hashApiKey('operator', SECRET), createdAt: '2025-01-01T00:00:00.000Z' });
  });
});

describe('createSessionKey with a chosen key (Evolution API instance tokens)', () => {
  it('stores the chosen key (hash only) and verifies it for its session', async () => {
    const repo = new MemoryApiKeyRepo();
    const service = new StoreApiKeyService(keyStore(repo));
    const created = await service.createSessionKey('sales', 'evolution instance token', { key: 'chosen-token-0123456789' });
    expect(created.key).toBe('chosen-token-0123456789');
    expect(JSON.stringify([...repo.rows.values()])).not.toContain('chosen-token-0123456789');
    expect(await service.verify('chosen-token-0123456789')).toMatchObject({ kind: 'session', sessionId: 'sales' });
  });

  it('refuses a short key, one with spaces, and one already in use (the admin key too) without storing anything', async () => {
    const repo = new MemoryApiKeyRepo();
    await ensureAdminKey(keyStore(repo), 'wg_admin_key_0123456789abcdef');
    const service = new StoreApiKeyService(keyStore(repo));
    await service.createSessionKey('sales', null, { key: 'taken-token-0123456789' });
    const before = repo.rows.size;
    for (const key of ['short', 'has spaces in it 0123456789', 'taken-token-0123456789', 'wg_admin_key_0123456789abcdef']) {
      await expect(service.createSessionKey('support', null, { key })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(repo.rows.size).toBe(before);
  });
});
