/**
 * API keys: one admin key (sessionId null) and any number of session-scoped
 * keys (`wgs_…`). Only keyed hashes are stored (HMAC-SHA256 with a secret
 * derived from the master key), so a copy of the database alone cannot be
 * used to guess a weak, user-chosen key offline. A plain key is shown once,
 * when it is made. lastUsedAt is written at most once a minute per key so a
 * busy client does not turn every request into a database write.
 *
 * Older versions stored plain SHA-256: such a hash is accepted once and
 * rewritten in the keyed form on that first use.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { GatewayError } from './errors.js';
import type { ApiKeyInfo, ApiKeyService, Principal } from './gateway.js';
import type { ApiKeyRow, Store } from '../store/types.js';

/** The admin key row's fixed id: there is exactly one admin key. */
export const ADMIN_KEY_ID = 'admin';
const ADMIN_KEY_PREFIX = 'wg_';
const SESSION_KEY_PREFIX = 'wgs_';
const TOUCH_INTERVAL_MS = 60_000;
/**
 * How long a verified admin key is trusted without asking the store again.
 * The admin key only changes when a node starts with another WAGATE_API_KEY,
 * so a short TTL bounds staleness while sparing the store a lookup on every
 * request. Session keys are not cached: revoking or deleting must bite at once.
 */
const ADMIN_CACHE_TTL_MS = 30_000;
const MIN_CHOSEN_KEY_LENGTH = 16;

/** deriveSecret purpose of the key-hashing secret. */
export const API_KEY_HASH_PURPOSE = 'api-key-hash';
/** Marks the keyed form; the older unkeyed form is 64 bare hex characters. */
const KEYED_PREFIX = 'hmac-sha256:';

/** What hashing a key needs from the store: its repo and the master-key-derived secret. */
export type ApiKeyStore = Pick<Store, 'apiKeys' | 'deriveSecret'>;

export function hashApiKey(key: string, secret: Buffer): string {
  return KEYED_PREFIX + createHmac('sha256', secret).update(key, 'utf8').digest('hex');
}

/** The hash older versions stored: plain SHA-256, no secret. */
export function legacyHashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** prefix + 32 base64url characters (24 random bytes = 192 bits). */
function generateKey(prefix: string): string {
  return prefix + randomBytes(24).toString('base64url');
}

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    keyId: row.id,
    sessionId: row.sessionId,
    label: row.label,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}

export class StoreApiKeyService implements ApiKeyService {
  /** keyId → when we last wrote lastUsedAt (ms). */
  private readonly touched = new Map<string, number>();
  /** The one admin key hash last verified, and until when it is trusted. */
  private adminCache: { hash: string; until: number } | undefined;

  private readonly repo: Store['apiKeys'];
  private readonly secret: Buffer;

  constructor(
    store: ApiKeyStore,
    private readonly now: () => number = Date.now,
  ) {
    this.repo = store.apiKeys;
    this.secret = store.deriveSecret(API_KEY_HASH_PURPOSE);
  }

  async verify(key: string): Promise<Principal | undefined> {
    if (key === '' || key.length > 256) return undefined;
    const hash = hashApiKey(key, this.secret);
    const cached = this.adminCache;
    if (cached && cached.hash === hash && cached.until > this.now()) return { kind: 'admin' };
    const row = (await this.repo.findByHash(hash)) ?? (await this.upgradeLegacy(key, hash));
    if (row === undefined) return undefined;
    this.touch(row);
    if (row.sessionId === null) {
      this.adminCache = { hash, until: this.now() + ADMIN_CACHE_TTL_MS };
      return { kind: 'admin' };
    }
    return { kind: 'session', sessionId: row.sessionId, keyId: row.id };
  }

  async createSessionKey(sessionId: string, label?: string | null, opts: { key?: string } = {}): Promise<ApiKeyInfo & { key: string }> {
    const key = opts.key ?? generateKey(SESSION_KEY_PREFIX);
    if (opts.key !== undefined) await this.assertChosenKey(opts.key);
    const row: ApiKeyRow = {
      id: `key_${randomBytes(9).toString('base64url')}`,
      sessionId,
      hash: hashApiKey(key, this.secret),
      label: label ?? null,
      createdAt: new Date(this.now()).toISOString(),
      lastUsedAt: null,
    };
    await this.repo.create(row);
    return { ...toInfo(row), key };
  }

  /**
   * A key a client chose (Evolution API lets a client name its instance token):
   * long enough to resist guessing, and not a key that already exists.
   */
  private async assertChosenKey(key: string): Promise<void> {
    if (key.length < MIN_CHOSEN_KEY_LENGTH || key.length > 256 || /\s/.test(key)) {
      throw new GatewayError('BAD_REQUEST', `A chosen key is ${MIN_CHOSEN_KEY_LENGTH} to 256 characters without spaces`, { field: 'key' });
    }
    if ((await this.verify(key)) !== undefined) {
      throw new GatewayError('BAD_REQUEST', 'This key is already in use; choose another one', { field: 'key' });
    }
  }

  async listSessionKeys(sessionId: string): Promise<ApiKeyInfo[]> {
    const rows = await this.repo.listForSession(sessionId);
    return rows.map(toInfo);
  }

  async revokeSessionKey(sessionId: string, keyId: string): Promise<void> {
    const rows = await this.repo.listForSession(sessionId);
    if (!rows.some((r) => r.id === keyId) || !(await this.repo.delete(keyId))) {
      throw new GatewayError('KEY_NOT_FOUND', undefined, { sessionId, keyId });
    }
    this.touched.delete(keyId);
  }

  /** A key stored by an older version (unkeyed hash): rewrite it keyed, once. */
  private async upgradeLegacy(key: string, hash: string): Promise<ApiKeyRow | undefined> {
    const row = await this.repo.findByHash(legacyHashApiKey(key));
    if (row === undefined) return undefined;
    await this.repo.updateHash(row.id, hash);
    return { ...row, hash };
  }

  /** Record use, at most once per interval per key; never fails the request. */
  private touch(row: ApiKeyRow): void {
    const now = this.now();
    const last = this.touched.get(row.id) ?? (row.lastUsedAt === null ? 0 : Date.parse(row.lastUsedAt));
    if (now - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(row.id, now);
    this.repo.touch(row.id, new Date(now).toISOString()).catch(() => {
      // Losing one lastUsedAt update is harmless; the next request retries.
      this.touched.delete(row.id);
    });
  }
}

/**
 * Make sure an admin key exists. A configured key (WAGATE_API_KEY) becomes
 * the admin key, replacing any earlier one; without one, the first start
 * generates a key and returns it once so the caller can print it.
 */
export async function ensureAdminKey(
  store: ApiKeyStore,
  configured: string | undefined,
  now: () => number = Date.now,
): Promise<{ generatedKey?: string }> {
  const secret = store.deriveSecret(API_KEY_HASH_PURPOSE);
  const existing = await store.apiKeys.listForSession(null);
  if (configured !== undefined && configured !== '') {
    const hash = hashApiKey(configured, secret);
    if (existing.length === 1 && existing[0]!.hash === hash) return {};
    if (existing.length === 1 && existing[0]!.hash === legacyHashApiKey(configured)) {
      await store.apiKeys.updateHash(existing[0]!.id, hash);
      return {};
    }
    for (const row of existing) await store.apiKeys.delete(row.id);
    await store.apiKeys.create({
      id: ADMIN_KEY_ID,
      sessionId: null,
      hash,
      label: 'WAGATE_API_KEY',
      createdAt: new Date(now()).toISOString(),
      lastUsedAt: null,
    });
    return {};
  }
  if (existing.length > 0) return {};
  const key = generateKey(ADMIN_KEY_PREFIX);
  await store.apiKeys.create({
    id: ADMIN_KEY_ID,
    sessionId: null,
    hash: hashApiKey(key, secret),
    label: 'generated',
    createdAt: new Date(now()).toISOString(),
    lastUsedAt: null,
  });
  return { generatedKey: key };
}
