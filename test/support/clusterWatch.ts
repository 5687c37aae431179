/**
 * What the users of a cluster see while nodes come and go: one SSE stream
 * per node, their union (every node carries every session's events, so a
 * stream on a node that stops misses nothing the others carry), and per
 * session the time it spent away from `connected` once it had been
 * connected, from its own connection.state events (ordered by the
 * session's seq, which continues across nodes).
 */
import type { GatewayEvent } from '../../src/core/model.js';
import { sleep, type GatewayClient } from './e2e.js';

export class ClusterWatch {
  private readonly byId = new Map<number, GatewayEvent>();
  private readonly streams = new Map<string, { events: GatewayEvent[]; close: () => void }>();

  /** (Re)open the stream on one node, resuming after the newest event seen anywhere. */
  watch(nodeId: string, client: GatewayClient): void {
    this.collect();
    this.streams.get(nodeId)?.close();
    const after = Math.max(0, ...this.byId.keys());
    this.streams.set(nodeId, client.events(after > 0 ? `/api/v1/events?lastEventId=${after}` : '/api/v1/events'));
  }

  close(): void {
    this.collect();
    for (const stream of this.streams.values()) stream.close();
  }

  /** Every event any stream carried, once each. */
  events(): GatewayEvent[] {
    this.collect();
    return [...this.byId.values()];
  }

  /** Resolves once some stream carried an event matching `predicate`. */
  async waitFor(what: string, predicate: (e: GatewayEvent) => boolean, timeoutMs: number): Promise<GatewayEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events().find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not seen in ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /**
   * Per session: the gaps (ms) between leaving `connected` and being
   * `connected` again, for events after `sinceId`; `open` is true when the
   * session's last state is not `connected`.
   */
  gaps(sinceId: number): Map<string, { gapsMs: number[]; open: boolean }> {
    const states = this.events()
      .filter((e) => e.id > sinceId && e.type === 'connection.state')
      .sort((a, b) => (a.sessionId === b.sessionId ? a.seq - b.seq : a.sessionId < b.sessionId ? -1 : 1));
    const out = new Map<string, { gapsMs: number[]; open: boolean }>();
    let away: { sessionId: string; since: number } | null = null;
    for (const e of states) {
      let entry = out.get(e.sessionId);
      if (!entry) {
        entry = { gapsMs: [], open: false };
        out.set(e.sessionId, entry);
        away = null;
      }
      const at = Date.parse(e.createdAt);
      if (e.data.state === 'connected') {
        if (away) entry.gapsMs.push(at - away.since);
        away = null;
        entry.open = false;
      } else {
        away ??= { sessionId: e.sessionId, since: at };
        entry.open = true;
      }
    }
    return out;
  }

  private collect(): void {
    for (const stream of this.streams.values()) for (const e of stream.events) this.byId.set(e.id, e);
  }
}
