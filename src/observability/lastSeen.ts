/**
 * When each session was last heard of, to spot ghosts: sessions the core
 * believes connected that have gone quiet. "Heard of" is the newest of its
 * last gateway event and, when the engine reports one, its last received
 * frame (heartbeat). Memory: one small record per session, dropped on delete.
 */
import type { GatewayEvent } from '../core/model.js';

interface Seen {
  at: number;
  connected: boolean;
}

/** Returns the epoch ms of the session's last received frame, when known. */
export type HeartbeatSource = (sessionId: string) => number | null | undefined;

export class LastSeenTracker {
  private readonly sessions = new Map<string, Seen>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly heartbeat?: HeartbeatSource,
  ) {}

  seen(event: GatewayEvent): void {
    if (event.type === 'session.deleted') {
      this.sessions.delete(event.sessionId);
      return;
    }
    const record = this.sessions.get(event.sessionId) ?? { at: 0, connected: false };
    record.at = this.now();
    if (event.type === 'connection.state') record.connected = event.data.state === 'connected';
    this.sessions.set(event.sessionId, record);
  }

  /** Seconds since each connected session was last heard of. */
  connectedAgesS(): number[] {
    const now = this.now();
    const ages: number[] = [];
    for (const [sessionId, record] of this.sessions) {
      if (!record.connected) continue;
      const beat = this.heartbeat?.(sessionId) ?? 0;
      ages.push(Math.max(0, (now - Math.max(record.at, beat)) / 1000));
    }
    return ages;
  }
}
