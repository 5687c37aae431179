/**
 * What the core holds for one session in memory: its row (the truth, written
 * through to the store in order), its runtime, its linking material, and the
 * queue that serialises every change to it — commands and engine events alike.
 */
import type { Fence, SessionPatch, SessionRow } from '../../store/types.js';
import type { PairingCodeInfo, QrInfo } from '../model.js';
import { SerialQueue } from '../serialQueue.js';
import type { SessionRuntime } from './sessionRuntime.js';

export interface SessionEntry {
  row: SessionRow;
  runtime: SessionRuntime | null;
  qr: QrInfo | null;
  pairing: PairingCodeInfo | null;
  pairingTimer: NodeJS.Timeout | null;
  queue: SerialQueue;
  /** Row writes are chained so they land in order. */
  writes: Promise<void>;
  /** Fields whose write failed; the next write carries them again. */
  unsaved: SessionPatch | null;
  /** Cluster mode: the ownership this node holds (its writes are conditional on it); null = not this node's. */
  lease: Fence | null;
  /** Cluster mode: the node the database names as owner (null: none). */
  ownerNode: string | null;
}

export function newSessionEntry(row: SessionRow): SessionEntry {
  return {
    row,
    runtime: null,
    qr: null,
    pairing: null,
    pairingTimer: null,
    queue: new SerialQueue(),
    writes: Promise.resolve(),
    unsaved: null,
    lease: null,
    ownerNode: null,
  };
}
