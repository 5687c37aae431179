/**
 * What the network knows about one connection beyond its stream: the
 * registration it offered (a companion waiting to be linked) or the account
 * device it logged in as.
 */
import type { Account } from '../accounts/registry.js';
import type { Registration } from '../stream/clientPayload.js';
import type { SandboxConnection } from '../stream/connection.js';

export interface Peer {
  conn: SandboxConnection;
  registration: Registration | null;
  account: Account | null;
  deviceId: number | null;
  /** A link (pair-success round trip) is in flight on this connection. */
  linking: boolean;
}
