/**
 * The credential store an unlinked session connects with: it starts from
 * clean credentials, as if wiped, without a wipe of its own.
 *
 * Why: a new session's connect used to wipe (one transaction), read the
 * credentials back (empty), write new ones (a second transaction) and read
 * keys that could not exist; all of it before the first QR, for every
 * connect of a burst. Here the first credential write replaces whatever
 * an earlier attempt left (keys dropped in the same transaction), nothing
 * is read before it, and key reads answer "none" until the first key write.
 *
 * What still holds: the engine persists the new credentials before its
 * socket starts (engine/baileys/authState.ts), so a QR never shows keys
 * that are not stored; after that first write every call goes to the store.
 */
import type { AuthStore, KeyWrite } from '../../store/types.js';

export function freshAuth(auth: AuthStore): AuthStore {
  /** Nothing written yet: stored credentials (if any) are leftovers to replace, not to use. */
  let replaced = false;
  /** The replace dropped every key and none was written since: reads need not ask the store. */
  let noKeys = false;
  /** Key writes started so far: one during a replace may land after its delete. */
  let keyWrites = 0;
  const replace = async (json: string): Promise<void> => {
    const before = keyWrites;
    await auth.replaceCreds(json);
    replaced = true;
    noKeys = keyWrites === before;
  };
  return {
    sessionId: auth.sessionId,
    readCreds: () => (replaced ? auth.readCreds() : Promise.resolve(null)),
    writeCreds: (json: string) => (replaced ? auth.writeCreds(json) : replace(json)),
    replaceCreds: replace,
    readKeys: (type: string, ids: string[]) => (noKeys ? Promise.resolve({}) : auth.readKeys(type, ids)),
    writeKeys(writes: KeyWrite[]) {
      // Cleared before the write starts: a read racing it must ask the store.
      keyWrites++;
      noKeys = false;
      return auth.writeKeys(writes);
    },
    hasCreds: () => auth.hasCreds(),
    wipe: () => auth.wipe(),
  };
}
