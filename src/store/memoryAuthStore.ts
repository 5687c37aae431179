/**
 * An in-memory AuthStore for tests of other components (engine adapter,
 * session manager). Same contract as the database-backed one: writeKeys
 * applies all writes or none, `null` deletes. Nothing is encrypted or kept
 * across processes.
 */
import type { AuthStore, KeyWrite } from './types.js';

export function createMemoryAuthStore(sessionId: string): AuthStore {
  let creds: string | null = null;
  // type -> id -> value
  const keys = new Map<string, Map<string, string>>();

  return {
    sessionId,
    async readCreds() {
      return creds;
    },
    async writeCreds(json: string) {
      creds = json;
    },
    async readKeys(type: string, ids: string[]) {
      const byId = keys.get(type);
      const out: Record<string, string> = {};
      if (!byId) return out;
      for (const id of ids) {
        const value = byId.get(id);
        if (value !== undefined) out[id] = value;
      }
      return out;
    },
    async writeKeys(writes: KeyWrite[]) {
      // Validate the whole batch first so a bad entry leaves nothing half-written.
      for (const w of writes) {
        if (typeof w.type !== 'string' || typeof w.id !== 'string') {
          throw new TypeError('KeyWrite needs string type and id');
        }
        if (w.value !== null && typeof w.value !== 'string') {
          throw new TypeError(`KeyWrite value for ${w.type}/${w.id} must be a string or null`);
        }
      }
      for (const w of writes) {
        let byId = keys.get(w.type);
        if (w.value === null) {
          byId?.delete(w.id);
          continue;
        }
        if (!byId) {
          byId = new Map();
          keys.set(w.type, byId);
        }
        byId.set(w.id, w.value);
      }
    },
    async hasCreds() {
      return creds !== null;
    },
    async wipe() {
      creds = null;
      keys.clear();
    },
    async replaceCreds(json: string) {
      keys.clear();
      creds = json;
    },
  };
}
