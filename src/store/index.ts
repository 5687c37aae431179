/** The store: openStore for the database-backed Store, and an in-memory AuthStore for tests. */
export { openStore, KEY_CHECK_SETTING } from './sqlStore.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export { createMemoryAuthStore } from './memoryAuthStore.js';
export { parseMasterKey } from './masterKey.js';
export { prepareDataDir, restrictTree } from './fileModes.js';
export { claimNetwork, NETWORK_SETTING, type DataNetwork } from './networkMark.js';
export { sqlitePath } from './connect.js';
export type * from './types.js';
