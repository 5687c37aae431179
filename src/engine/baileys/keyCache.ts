/**
 * A read cache in front of one session's Signal key store, for the key
 * types every message reads: its peers' sessions and identity keys, and the
 * phone-number ↔ LID mapping.
 *
 * Why: without it a text sent read ~8 keys and a text received ~2, each a
 * query, an AES-GCM open and a JSON parse with Buffer revival (~15 % of the
 * gateway's CPU per message). Values are kept as Baileys gets them
 * (deserialised) and as Baileys' own makeCacheableSignalKeyStore keeps them:
 * libsignal and Baileys rebuild their objects from these, never change them.
 * Types whose values Baileys changes in place (sender-key-memory), that are
 * read once (pre-key) or that are objects it rebuilds state into
 * (app-state-*) are not cached.
 *
 * Write-through: a value enters the cache only after the store took it; a
 * read that raced a write never puts its (older) answer in the cache.
 * Absent keys are cached too (most LID lookups miss).
 */
import type { BoundedCache } from './sharedCaches.js';

const CACHED_TYPES: ReadonlySet<string> = new Set(['session', 'identity-key', 'lid-mapping']);

/** What a cached key holds: its value, or ABSENT for a key the store does not have. */
const ABSENT = Symbol('absent');

export interface KeyCache {
  /** Cached values of `ids` and the ids still to read; null when `type` is not cached. */
  lookup(type: string, ids: readonly string[]): { hits: Record<string, unknown>; missing: string[] } | null;
  /** A read's answer (values by id; ids not in it are absent), unless a write overtook the read. */
  fill(type: string, ids: readonly string[], values: Record<string, unknown>, readStartedAt: number): void;
  /** Stamp to pass to fill() for a read starting now. */
  readStart(): number;
  /** After the store took a write (null = deleted). */
  written(type: string, id: string, value: unknown): void;
  /** Before a write goes to the store: a read answering meanwhile must not be cached. */
  writing(): void;
}

/**
 * One session's cache in a shared bounded LRU. `scope` must be unique per
 * loaded auth state (not just per session): a session that logs out and
 * pairs again must never see its old keys.
 */
export function createKeyCache(shared: BoundedCache, scope: string): KeyCache {
  const prefix = `${scope}\u0000`;
  const keyOf = (type: string, id: string): string => `${prefix}${type}\u0000${id}`;
  let writes = 0;
  return {
    lookup(type, ids) {
      if (!CACHED_TYPES.has(type)) return null;
      const hits: Record<string, unknown> = {};
      const missing: string[] = [];
      for (const id of ids) {
        const value = shared.get(keyOf(type, id));
        if (value === undefined) missing.push(id);
        else if (value !== ABSENT) hits[id] = value;
      }
      return { hits, missing };
    },
    readStart: () => writes,
    fill(type, ids, values, readStartedAt) {
      if (!CACHED_TYPES.has(type) || readStartedAt !== writes) return;
      for (const id of ids) {
        const value = values[id];
        shared.set(keyOf(type, id), value === undefined || value === null ? ABSENT : value);
      }
    },
    writing() {
      writes++;
    },
    written(type, id, value) {
      writes++;
      if (!CACHED_TYPES.has(type)) return;
      // As a read from the store would give it: a Buffer of its own, not a view of a frame.
      const stored = value instanceof Uint8Array ? Buffer.from(value) : value;
      shared.set(keyOf(type, id), stored === undefined || stored === null ? ABSENT : stored);
    },
  };
}
