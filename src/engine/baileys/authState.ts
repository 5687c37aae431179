/**
 * Bridges one session's AuthStore (opaque JSON strings, encrypted by the
 * store) to Baileys' AuthenticationState ({creds, keys}).
 *
 * - Values are produced with Baileys' BufferJSON replacer and read back with
 *   its reviver, so Buffers/Uint8Arrays survive the round trip.
 * - `keys.set` turns one Baileys write batch into ONE `writeKeys` call, which
 *   the store applies in a single transaction.
 * - Credential writes are serialised per session and coalesced: at most one
 *   write runs and at most one waits; the waiting one serialises the latest
 *   state when it starts, so no older snapshot can overwrite a newer one.
 */
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
} from 'baileys';
import type { AuthStore, KeyWrite } from '../../store/types.js';
import type { KeyCache } from './keyCache.js';

export interface BaileysAuth {
  readonly state: AuthenticationState;
  /** Persist the current credentials (serialised, coalesced). */
  saveCreds(): Promise<void>;
  /** Resolves when every credential write requested so far has finished. */
  flush(): Promise<void>;
}

export function serialize(value: unknown): string {
  return JSON.stringify(value, BufferJSON.replacer);
}

export function deserialize<T>(json: string): T {
  return JSON.parse(json, BufferJSON.reviver) as T;
}

/**
 * A `me` without a signed account is not a pairing: Baileys writes
 * `me = {id: '<phone>@s.whatsapp.net'}` as soon as a pairing code is asked
 * for. Kept on disk it would make the next connection send a *login* payload
 * for an unlinked device, which WhatsApp answers with 401, so it is never
 * persisted nor trusted on load.
 */
function withoutUnpairedMe(creds: AuthenticationCreds): AuthenticationCreds {
  if (creds.me && !creds.account) {
    const { me: _unpaired, ...rest } = creds;
    return rest as AuthenticationCreds;
  }
  return creds;
}

/**
 * Loads (or creates and persists at once) the credentials of a session.
 * `newCreds`: where a new session's credentials come from (the engine's
 * pool, credentialPool.ts); each set is used once. `cache` (keyCache.ts)
 * spares the hot key reads.
 */
export async function loadAuthState(
  store: AuthStore,
  newCreds: () => AuthenticationCreds = initAuthCreds,
  cache?: KeyCache,
): Promise<BaileysAuth> {
  const stored = await store.readCreds();
  const creds: AuthenticationCreds =
    stored === null ? newCreds() : withoutUnpairedMe(deserialize<AuthenticationCreds>(stored));

  let tail: Promise<void> = Promise.resolve();
  let waiting: Promise<void> | null = null;

  const saveCreds = (): Promise<void> => {
    if (waiting) return waiting;
    const write = tail.then(async () => {
      // From here on a new request must queue behind this write.
      waiting = null;
      await store.writeCreds(serialize(withoutUnpairedMe(creds)));
    });
    waiting = write;
    tail = write.catch(() => undefined);
    return write;
  };

  if (stored === null) await saveCreds();

  const keys: AuthenticationState['keys'] = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const cached = cache?.lookup(type, ids);
      const out: { [id: string]: SignalDataTypeMap[T] } = (cached?.hits ?? {}) as { [id: string]: SignalDataTypeMap[T] };
      const toRead = cached ? cached.missing : ids;
      if (toRead.length === 0) return out;
      const startedAt = cache?.readStart() ?? 0;
      const raw = await store.readKeys(type, toRead);
      for (const [id, json] of Object.entries(raw)) {
        let value: unknown = deserialize(json);
        if (type === 'app-state-sync-key' && value) {
          // Baileys expects the protobuf class instance, not a plain object.
          value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
        }
        out[id] = value as SignalDataTypeMap[T];
      }
      cache?.fill(type, toRead, out, startedAt);
      return out;
    },
    async set(data: SignalDataSet) {
      const writes: KeyWrite[] = [];
      for (const [type, byId] of Object.entries(data)) {
        if (!byId) continue;
        for (const [id, value] of Object.entries(byId)) {
          writes.push({ type, id, value: value === null || value === undefined ? null : serialize(value) });
        }
      }
      if (writes.length === 0) return;
      cache?.writing();
      await store.writeKeys(writes);
      if (cache) {
        for (const [type, byId] of Object.entries(data)) {
          for (const [id, value] of Object.entries(byId ?? {})) cache.written(type, id, value);
        }
      }
    },
  };

  return {
    state: { creds, keys },
    saveCreds,
    flush: () => tail,
  };
}
