/**
 * Bounded caches shared by every socket of one engine.
 *
 * Left alone, each Baileys socket builds its own unbounded NodeCache for
 * message retries, call offers, user devices and placeholder resends (each
 * with its own expiry timer). With ~1000 sessions per process we inject one
 * bounded LRU per purpose instead; every session sees it through a scoped
 * view (keys prefixed with the session id) so sessions never read each
 * other's entries. Expiry is lazy: no timers at all.
 */

interface Entry {
  value: unknown;
  expiresAt: number;
}

/** A size-bounded LRU with a per-cache TTL. */
export class BoundedCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(maxEntries > 0)) throw new RangeError('maxEntries must be positive');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Refresh recency: Map iteration order is insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: unknown): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  deleteByPrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) this.entries.delete(key);
    }
  }
}

/** The CacheStore shape Baileys' SocketConfig accepts (structurally). */
export interface ScopedCache {
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T): void;
  del(key: string): void;
  flushAll(): void;
  mget<T>(keys: string[]): Promise<Record<string, T | undefined>>;
  mset<T>(entries: { key: string; value: T }[]): void;
  mdel(keys: string[]): void;
}

/** One session's view of a shared cache. */
export function scopeCache(cache: BoundedCache, scope: string): ScopedCache {
  // NUL cannot appear in a session id, so scopes never overlap.
  const prefix = `${scope}\u0000`;
  return {
    get: <T>(key: string) => cache.get(prefix + key) as T | undefined,
    set: (key, value) => cache.set(prefix + key, value),
    del: (key) => cache.delete(prefix + key),
    flushAll: () => cache.deleteByPrefix(prefix),
    mget: async <T>(keys: string[]) => {
      const out: Record<string, T | undefined> = {};
      for (const key of keys) out[key] = cache.get(prefix + key) as T | undefined;
      return out;
    },
    mset: (entries) => {
      for (const { key, value } of entries) cache.set(prefix + key, value);
    },
    mdel: (keys) => {
      for (const key of keys) cache.delete(prefix + key);
    },
  };
}

export interface SharedCaches {
  msgRetryCounter: BoundedCache;
  callOffer: BoundedCache;
  userDevices: BoundedCache;
  placeholderResend: BoundedCache;
  /** Messages this engine sent recently, so a recipient's retry receipt can be answered (getMessage). */
  recentSent: BoundedCache;
  /** Hot Signal keys (peers' sessions, identity keys, LID mappings) as read from the store (keyCache.ts). */
  signalKeys: BoundedCache;
}

const MINUTE = 60_000;

/** TTLs follow Baileys' own DEFAULT_CACHE_TTLS. */
export function createSharedCaches(maxEntriesEach = 50_000): SharedCaches {
  return {
    msgRetryCounter: new BoundedCache(maxEntriesEach, 60 * MINUTE),
    callOffer: new BoundedCache(Math.max(1, Math.floor(maxEntriesEach / 10)), 5 * MINUTE),
    userDevices: new BoundedCache(maxEntriesEach, 5 * MINUTE),
    placeholderResend: new BoundedCache(maxEntriesEach, 60 * MINUTE),
    recentSent: new BoundedCache(maxEntriesEach, 24 * 60 * MINUTE),
    // A session record is a few kB: bounded well below the others. Idle sessions' entries age out.
    signalKeys: new BoundedCache(Math.max(1, Math.floor(maxEntriesEach / 2)), 10 * MINUTE),
  };
}
