/**
 * Getting server-originated stanzas (messages, receipts, notifications) to
 * linked devices. A device is reachable once it has logged in and said it is
 * active (`passive` IQ with `<active/>`), as on the real network; until then
 * stanzas wait in a bounded queue per device and go out marked `offline` on
 * its next active, followed by `<ib><offline count=N/>` (which is also what
 * ends the client's initial event buffering). Ephemeral stanzas (presence,
 * chatstate) are never queued.
 */
import { node, type BinaryNode } from '../binary/nodes.js';
import type { SandboxConnection } from '../stream/connection.js';

/** A device offline for long keeps only the newest stanzas (the real server keeps weeks; tests need little). */
const QUEUE_LIMIT = 500;

const keyOf = (phoneNumber: string, deviceId: number): string => `${phoneNumber}:${deviceId}`;

export class Delivery {
  private readonly active = new Map<string, SandboxConnection>();
  private readonly keys = new Map<SandboxConnection, string>();
  private readonly queues = new Map<string, BinaryNode[]>();

  /** The device came online on `conn`: flush what waited, then tell it the backlog is over. */
  activate(phoneNumber: string, deviceId: number, conn: SandboxConnection): void {
    const key = keyOf(phoneNumber, deviceId);
    this.active.set(key, conn);
    this.keys.set(conn, key);
    const queued = this.queues.get(key) ?? [];
    this.queues.delete(key);
    for (const stanza of queued) conn.send({ ...stanza, attrs: { ...stanza.attrs, offline: '1' } });
    conn.send(node('ib', {}, [node('offline', { count: String(queued.length) })]));
  }

  /** The connection closed: later stanzas for its device queue up. */
  deactivate(conn: SandboxConnection): void {
    const key = this.keys.get(conn);
    if (!key) return;
    this.keys.delete(conn);
    if (this.active.get(key) === conn) this.active.delete(key);
  }

  isOnline(phoneNumber: string, deviceId: number): boolean {
    return this.connection(phoneNumber, deviceId) !== undefined;
  }

  /** The device's live, active connection. */
  connection(phoneNumber: string, deviceId: number): SandboxConnection | undefined {
    const conn = this.active.get(keyOf(phoneNumber, deviceId));
    return conn && !conn.isClosed ? conn : undefined;
  }

  /** Send now when online, else queue (unless `ephemeral`). */
  send(phoneNumber: string, deviceId: number, stanza: BinaryNode, opts: { ephemeral?: boolean } = {}): void {
    const key = keyOf(phoneNumber, deviceId);
    const conn = this.active.get(key);
    if (conn && !conn.isClosed) {
      conn.send(stanza);
      return;
    }
    if (opts.ephemeral) return;
    const queue = this.queues.get(key) ?? [];
    queue.push(stanza);
    if (queue.length > QUEUE_LIMIT) queue.splice(0, queue.length - QUEUE_LIMIT);
    this.queues.set(key, queue);
  }

  /** The device was unlinked: what waited for it is gone. */
  forget(phoneNumber: string, deviceId: number): void {
    this.queues.delete(keyOf(phoneNumber, deviceId));
  }
}
