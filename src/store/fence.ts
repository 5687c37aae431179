/**
 * Fencing: a write by a session's owner goes through only while the row
 * still names that owner and epoch. Another node's claim bumps the epoch,
 * so a node that lost its lease (a pause, a partition) has every later
 * write refused with StoreError FENCED instead of corrupting the session.
 * The check takes a share lock on the row, so a claim waits for a write in
 * flight and the write never lands after the claim.
 */
import type { Kysely, Transaction } from 'kysely';
import { StoreError } from './errors.js';
import { prepareQuery } from './preparedQuery.js';
import type { Database } from './schema.js';
import type { Fence } from './types.js';

type Db = Kysely<Database> | Transaction<Database>;

export function fencedError(sessionId: string, fence: Fence): StoreError {
  return new StoreError(
    'FENCED',
    `Node ${fence.nodeId} no longer owns session "${sessionId}" (epoch ${fence.epoch} is stale); the write was refused`,
    { sessionId, nodeId: fence.nodeId, epoch: fence.epoch },
  );
}

/**
 * Throws FENCED unless the session is still owned by `fence` (call inside the write's transaction):
 * the check of every write in cluster mode, built once (preparedQuery.ts).
 */
export type FenceCheck = (trx: Db, sessionId: string, fence: Fence) => Promise<void>;

export function fenceCheck(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): FenceCheck {
  const owned = prepareQuery((p: { sessionId: string; nodeId: string; epoch: number }) => {
    const query = db
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', p.sessionId)
      .where('owner_node', '=', p.nodeId)
      .where('owner_epoch', '=', p.epoch);
    return dialect === 'postgres' ? query.forShare() : query;
  });
  return async (trx, sessionId, fence) => {
    const [row] = await owned.rows(trx, { sessionId, nodeId: fence.nodeId, epoch: fence.epoch });
    if (!row) throw fencedError(sessionId, fence);
  };
}
