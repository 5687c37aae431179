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

/** Throws FENCED unless the session is still owned by `fence` (call inside the write's transaction). */
export async function assertFence(trx: Db, dialect: 'sqlite' | 'postgres', sessionId: string, fence: Fence): Promise<void> {
  let query = trx
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', sessionId)
    .where('owner_node', '=', fence.nodeId)
    .where('owner_epoch', '=', fence.epoch);
  if (dialect === 'postgres') query = query.forShare();
  const row = await query.executeTakeFirst();
  if (!row) throw fencedError(sessionId, fence);
}
