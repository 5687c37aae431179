/**
 * Credential writes of many sessions, committed together: the writes
 * submitted in the same turn of the event loop go into one transaction of
 * a few multi-row statements, in submission order, one group at a time.
 *
 * Why: every first connect writes its new credentials (and drops leftover
 * keys) before its socket starts. A burst of 100 connects made 100
 * transactions of two statements each, back to back, ~3 % of the burst's
 * CPU in Kysely and SQLite plumbing; grouped, a burst makes a handful.
 *
 * What holds as before: a write resolves only once committed (the engine
 * still opens no socket on credentials that are not stored); a group that
 * fails is retried write by write, so one refused (fenced) or bad write
 * fails only itself; and a session's other store calls (reads, key writes,
 * wipe) wait for its credential writes submitted before them (`settled`),
 * so they keep their call order. The grouping is src/shared's GroupCommitter,
 * the one the core's event and delivery commits use.
 */
import type { Insertable, Kysely } from 'kysely';
import { GroupCommitter } from '../shared/groupCommit.js';
import { fenceCheck, type FenceCheck } from './fence.js';
import { prepareQuery, rowChunks } from './preparedQuery.js';
import type { CredentialsTable, Database, StoreDialect } from './schema.js';
import type { FenceSource } from './types.js';

export interface CredsWrite {
  sessionId: string;
  /** Encrypted credentials. */
  value: Buffer;
  updatedAt: string;
  /** Drop every Signal key of the session in the same transaction (replaceCreds). */
  dropKeys: boolean;
  /** Cluster mode: the owner's fence, read when the write's transaction runs. */
  fence?: FenceSource;
}

/** Rows per multi-row statement (3 parameters each; far below SQLite's and pg's limits). */
const ROWS_PER_STATEMENT = 200;

export class CredentialWrites {
  private readonly groups: GroupCommitter<CredsWrite>;
  /** Per session: settles once every credential write submitted so far for it has. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly assertFence: FenceCheck;
  // Built once per shape (preparedQuery.ts).
  private readonly dropKeys = prepareQuery((sessionIds: string[]) => this.db.deleteFrom('signal_keys').where('session_id', 'in', sessionIds));
  private readonly upsertCreds = prepareQuery((rows: Array<Insertable<CredentialsTable>>) =>
    this.db
      .insertInto('credentials')
      .values(rows)
      .onConflict((oc) =>
        oc.column('session_id').doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })),
      ),
  );

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
  ) {
    this.groups = new GroupCommitter((writes) => this.write(writes));
    this.assertFence = fenceCheck(db, dialect);
  }

  /** Resolves once the write is committed; rejects when it is refused or fails on its own. */
  submit(write: CredsWrite): Promise<void> {
    const done = this.groups.submit(write);
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    const { sessionId } = write;
    this.pending.set(sessionId, settled);
    settled.then(() => {
      if (this.pending.get(sessionId) === settled) this.pending.delete(sessionId);
    }, () => undefined);
    return done;
  }

  /** Settles after the session's credential writes submitted so far; undefined when none is waiting. */
  settled(sessionId: string): Promise<void> | undefined {
    return this.pending.get(sessionId);
  }

  /** Resolves when nothing is queued or being written (the store waits for it before it closes). */
  flush(): Promise<void> {
    return this.groups.flush();
  }

  /** One transaction: the fences, then the key drops, then the credentials (the last write of a session wins). */
  private async write(writes: CredsWrite[]): Promise<void> {
    const last = new Map<string, CredsWrite>();
    const dropKeys = new Set<string>();
    for (const w of writes) {
      last.set(w.sessionId, w);
      if (w.dropKeys) dropKeys.add(w.sessionId);
    }
    // A fixed order keeps groups of different nodes (PostgreSQL) from deadlocking on each other's row locks.
    const sessions = [...last.keys()].sort();
    const dropped = sessions.filter((id) => dropKeys.has(id));
    await this.db.transaction().execute(async (trx) => {
      for (const w of writes) {
        const fence = w.fence?.();
        if (fence) await this.assertFence(trx, w.sessionId, fence);
      }
      for (const part of rowChunks(dropped, ROWS_PER_STATEMENT, this.dialect)) await this.dropKeys.run(trx, part);
      const rows = sessions.map((id) => {
        const w = last.get(id)!;
        return { session_id: id, value: w.value, updated_at: w.updatedAt };
      });
      for (const part of rowChunks(rows, ROWS_PER_STATEMENT, this.dialect)) await this.upsertCreds.run(trx, part);
    });
  }
}
