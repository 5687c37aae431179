/**
 * Keeps this node's session registry equal to the database, the truth for
 * the session list: sessions other nodes run are mirrored (row and owner),
 * sessions this node owns keep their in-memory row (it writes them) unless
 * the database says another node took them — then they are dropped here.
 *
 * Current on demand: `sync()` (run before every API request) compares the
 * row count and highest revision with what this node saw and fetches what
 * changed, so a session created on node A is visible on node B in B's next
 * answer. Between requests a trigger's NOTIFY names each changed row.
 */
import type { Logger } from 'pino';
import type { ClusterStore, OwnedRow } from '../../store/types.js';
import { newSessionEntry, type SessionEntry } from '../sessions/sessionEntry.js';
import type { SessionManager } from '../sessions/sessionManager.js';

export class SessionMirror {
  private lastRev = 0;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private pendingIds = new Set<string>();
  private reloadScheduled = false;

  constructor(
    private readonly store: ClusterStore,
    private readonly sessions: SessionManager,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  /** Load every session (start-up). */
  async loadAll(): Promise<void> {
    const rows = await this.store.all();
    this.applyAll(rows);
  }

  /**
   * Resolves once the registry holds every change committed before the call
   * (coalesced: concurrent callers share the next round trip).
   */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.round().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // A round in flight may have read before this caller's change: wait for the one after it.
    this.next ??= this.running.then(() => {
      this.next = null;
      return this.sync();
    });
    return this.next;
  }

  /** A NOTIFY named this session: reload it (batched per tick). */
  changed(sessionId: string): void {
    this.pendingIds.add(sessionId);
    if (this.reloadScheduled) return;
    this.reloadScheduled = true;
    setImmediate(() => {
      this.reloadScheduled = false;
      const ids = [...this.pendingIds];
      this.pendingIds.clear();
      this.reload(ids).catch((err: unknown) => this.logger.warn({ err }, 'could not reload changed sessions'));
    });
  }

  /** Fetch these sessions again; the ones gone from the database leave the registry. */
  async reload(ids: string[]): Promise<void> {
    const rows = await this.store.rows(ids);
    const found = new Set(rows.map((r) => r.row.id));
    for (const row of rows) this.apply(row);
    for (const id of ids) if (!found.has(id)) this.forget(id);
  }

  private async round(): Promise<void> {
    const { registry } = this.sessions;
    const version = await this.store.version();
    if (version.rev === this.lastRev && version.count === registry.size) return;
    const changed = await this.store.changedSince(this.lastRev);
    for (const row of changed) this.apply(row);
    if (version.count !== registry.size) this.applyAll(await this.store.all());
  }

  private applyAll(rows: OwnedRow[]): void {
    const present = new Set<string>();
    for (const row of rows) {
      present.add(row.row.id);
      this.apply(row);
    }
    for (const entry of this.sessions.registry.all()) if (!present.has(entry.row.id)) this.forget(entry.row.id);
  }

  apply(owned: OwnedRow): SessionEntry {
    this.lastRev = Math.max(this.lastRev, owned.rev);
    const { registry } = this.sessions;
    let entry = registry.find(owned.row.id);
    if (!entry) {
      entry = newSessionEntry({ ...owned.row });
      entry.ownerNode = owned.ownerNode;
      registry.add(entry);
      return entry;
    }
    if (entry.lease) {
      const stillMine = owned.ownerNode === this.nodeId && owned.ownerEpoch === entry.lease.epoch;
      if (stillMine) return entry;
      // Another node claimed it (this node was paused or cut off): let it go, then mirror.
      this.sessions.dropInBackground(entry, `now owned by ${owned.ownerNode ?? 'no node'} (epoch ${owned.ownerEpoch})`);
    }
    Object.assign(entry.row, owned.row);
    entry.ownerNode = owned.ownerNode;
    return entry;
  }

  private forget(sessionId: string): void {
    const entry = this.sessions.registry.find(sessionId);
    if (!entry) return;
    if (entry.lease || entry.runtime) this.sessions.dropInBackground(entry, 'deleted by another node');
    this.sessions.registry.remove(entry);
  }
}
