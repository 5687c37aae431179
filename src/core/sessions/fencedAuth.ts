/**
 * Cluster mode: a session's credential store whose refused (fenced) writes
 * also tell the session to let go, so a node that lost its lease drops the
 * connection at its first refused write instead of running on.
 */
import { isStoreError } from '../../store/errors.js';
import type { AuthStore, Fence } from '../../store/types.js';

/** A fence no row matches: the write of a session this node does not own is refused. */
export const NO_LEASE: Fence = { nodeId: '', epoch: -1 };

export function fencedAuth(auth: AuthStore, onFenced: () => void): AuthStore {
  const guard = async <T>(write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (err) {
      if (isStoreError(err) && err.code === 'FENCED') onFenced();
      throw err;
    }
  };
  return {
    sessionId: auth.sessionId,
    readCreds: () => auth.readCreds(),
    readKeys: (type, ids) => auth.readKeys(type, ids),
    hasCreds: () => auth.hasCreds(),
    writeCreds: (json) => guard(() => auth.writeCreds(json)),
    writeKeys: (writes) => guard(() => auth.writeKeys(writes)),
    wipe: () => guard(() => auth.wipe()),
    replaceCreds: (json) => guard(() => auth.replaceCreds(json)),
  };
}
