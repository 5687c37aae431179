/**
 * Per-session event log (plain JSON; events carry no secrets) and the
 * webhook outbox's write path. Only the newest events of each session are
 * kept in the log, so a session that sits in QR state for weeks cannot grow
 * the database without bound; deliveries keep their own copy of the body.
 * The trim (a delete with a ranked subquery) runs once a session has added a
 * tenth of its allowance since the last one, not on every write: it was a
 * few per cent of a connect's CPU. A session therefore holds up to 10 % more
 * than the allowance between trims.
 *
 * `commit` writes a session row change or the message rows an event
 * describes, its events (with the bus's ids and seqs), the session's
 * sequence and the events' deliveries in one transaction: a crash leaves
 * all of them or none.
 */
import type { Insertable, Kysely, Transaction, Updateable } from 'kysely';
import { messageRowUpdate, type MessageColumns } from './messageRepo.js';
import { pendingDeliveryRow } from './webhookRepo.js';
import type { Database, EventSequencesTable, EventsTable, MessagesTable, SessionsTable, WebhookDeliveriesTable } from './schema.js';
import { fenceCheck } from './fence.js';
import { prepareQuery, rowChunks } from './preparedQuery.js';
import { sessionPatchColumns, sessionRowWrites } from './sessionRepo.js';
import type { EventBatch, EventRepo, EventRow } from './types.js';

export const EVENTS_KEPT_PER_SESSION = 1000;
/**
 * The event_sequences row that holds the id reservation (the gateway-wide
 * high-water mark of event ids). Session ids are never empty, so it cannot
 * collide with a session's row.
 */
const ID_RESERVATION_ROW = '';
/** Rows per multi-row INSERT (well under SQLite's and PostgreSQL's bound-parameter limits). */
const ROWS_PER_INSERT = 200;

type Db = Kysely<Database> | Transaction<Database>;

async function trim(db: Db, sessionId: string, keepPerSession: number): Promise<void> {
  // Drop everything older than the keepPerSession-th newest (an index range on (session_id, id)).
  await db
    .deleteFrom('events')
    .where('session_id', '=', sessionId)
    .where('id', '<', (eb) =>
      eb
        .selectFrom('events')
        .select('id')
        .where('session_id', '=', sessionId)
        .orderBy('id', 'desc')
        .limit(1)
        .offset(keepPerSession - 1),
    )
    .execute();
}

/** Counts each session's new rows and says when a trim is due (every `slack` rows). */
function trimSchedule(keepPerSession: number): (sessionId: string, added: number) => boolean {
  const slack = Math.max(1, Math.floor(keepPerSession / 10));
  const sinceTrim = new Map<string, number>();
  return (sessionId, added) => {
    const n = (sinceTrim.get(sessionId) ?? 0) + added;
    if (n < slack) {
      sinceTrim.set(sessionId, n);
      return false;
    }
    sinceTrim.delete(sessionId);
    return true;
  };
}

/** `messages`: how message rows become columns (sealed); without it a batch with message writes is refused. */
export function createEventRepo(
  db: Kysely<Database>,
  keepPerSession = EVENTS_KEPT_PER_SESSION,
  dialect: 'sqlite' | 'postgres' = 'sqlite',
  messages?: MessageColumns,
): EventRepo {
  const trimDue = trimSchedule(keepPerSession);
  // The statements of every commit, built once per shape (preparedQuery.ts); multi-row ones in a few row counts on SQLite.
  const rowWrites = sessionRowWrites(db);
  const assertFence = fenceCheck(db, dialect);
  const insertMessage = prepareQuery((row: Insertable<MessagesTable>) =>
    db.insertInto('messages').values(row).onConflict((oc) => oc.doNothing()),
  );
  const updateMessage = messageRowUpdate(db);
  const insertEvents = prepareQuery((rows: Array<Insertable<EventsTable>>) => db.insertInto('events').values(rows));
  const upsertSequences = prepareQuery((rows: Array<Insertable<EventSequencesTable>>) =>
    db
      .insertInto('event_sequences')
      .values(rows)
      .onConflict((oc) =>
        oc.column('session_id').doUpdateSet((eb) => ({ seq: eb.ref('excluded.seq'), last_event_id: eb.ref('excluded.last_event_id') })),
      ),
  );
  const insertDeliveries = prepareQuery((rows: Array<Insertable<WebhookDeliveriesTable>>) => db.insertInto('webhook_deliveries').values(rows));
  return {
    async append(row: EventRow): Promise<void> {
      await db
        .insertInto('events')
        .values({
          ...(row.id !== undefined ? { id: row.id } : {}),
          session_id: row.sessionId,
          type: row.type,
          data: row.data,
          created_at: row.createdAt,
          seq: row.seq ?? 0,
        })
        .execute();
      if (trimDue(row.sessionId, 1)) await trim(db, row.sessionId, keepPerSession);
    },

    async list(sessionId: string, limit: number): Promise<EventRow[]> {
      const n = Math.floor(limit);
      if (!Number.isFinite(n) || n <= 0) return [];
      // Newest n by id (uses the (session_id, id) index), then oldest first.
      const rows = await db
        .selectFrom('events')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('id', 'desc')
        .limit(n)
        .execute();
      return rows.reverse().map((r) => ({
        id: Number(r.id),
        sessionId: r.session_id,
        type: r.type,
        data: r.data,
        createdAt: r.created_at,
        seq: Number(r.seq),
      }));
    },

    async commit(batches: readonly EventBatch[]): Promise<void> {
      if (batches.length === 0) return;
      await db.transaction().execute(async (trx) => {
        // In order: a session change, then its events; a later batch's change after an earlier one's
        // (merged into one multi-row statement on SQLite, which leaves the same rows).
        const history: Array<Insertable<EventsTable>> = [];
        const last = new Map<string, { seq: number; id: number }>();
        const deliveries: Array<Insertable<WebhookDeliveriesTable>> = [];
        // SQLite, no fences (a single node): the group's row changes go in a few multi-row statements.
        const rowChanges: Array<{ id: string; set: Updateable<SessionsTable> }> | null =
          dialect === 'sqlite' && batches.every((b) => !b.session?.fence) ? [] : null;
        for (const batch of batches) {
          if (batch.session && rowChanges) rowChanges.push({ id: batch.session.id, set: sessionPatchColumns(batch.session.patch) });
          else if (batch.session) {
            const set = sessionPatchColumns(batch.session.patch);
            // Fenced: a stale owner's change and its events are refused together (the group retries the others alone).
            if (Object.keys(set).length > 0) await rowWrites.update(trx, batch.session.id, set, batch.session.fence);
            else if (batch.session.fence) await assertFence(trx, batch.session.id, batch.session.fence);
          }
          for (const write of batch.messages ?? []) {
            if (!messages) throw new Error('this event repo was made without message columns');
            if (write.kind === 'insert') {
              // A redelivered message keeps its first row; the event still commits.
              await insertMessage.run(trx, messages.insert(write.row));
            } else {
              await updateMessage(trx, write.sessionId, write.id, messages.patch(write.sessionId, write.id, write.patch));
            }
          }
          for (const e of batch.events) {
            if (e.history) history.push({ id: e.id, session_id: e.sessionId, type: e.type, data: e.data, created_at: e.createdAt, seq: e.seq });
            last.set(e.sessionId, { seq: e.seq, id: e.id });
          }
          for (const d of batch.deliveries) {
            deliveries.push(pendingDeliveryRow(d));
          }
        }
        if (rowChanges) await rowWrites.updateManySqlite(trx, rowChanges);
        // Multi-row statements: a group of many events costs a few statements, not a few per event.
        for (const rows of rowChunks(history, ROWS_PER_INSERT, dialect)) await insertEvents.run(trx, rows);
        const added = new Map<string, number>();
        for (const h of history) added.set(h.session_id, (added.get(h.session_id) ?? 0) + 1);
        for (const [sessionId, count] of added) if (trimDue(sessionId, count)) await trim(trx, sessionId, keepPerSession);
        const sequences = [...last].map(([sessionId, { seq, id }]) => ({ session_id: sessionId, seq, last_event_id: id }));
        for (const rows of rowChunks(sequences, ROWS_PER_INSERT, dialect)) await upsertSequences.run(trx, rows);
        for (const rows of rowChunks(deliveries, ROWS_PER_INSERT, dialect)) await insertDeliveries.run(trx, rows);
      });
    },

    async sequenceOf(sessionId: string): Promise<number> {
      const row = await db.selectFrom('event_sequences').select('seq').where('session_id', '=', sessionId).executeTakeFirst();
      return Number(row?.seq ?? 0);
    },

    async sequences(): Promise<{ lastEventId: number; seqBySession: Map<string, number> }> {
      const rows = await db.selectFrom('event_sequences').selectAll().execute();
      const seqBySession = new Map<string, number>();
      let lastEventId = 0;
      for (const r of rows) {
        if (r.session_id !== ID_RESERVATION_ROW) seqBySession.set(r.session_id, Number(r.seq));
        lastEventId = Math.max(lastEventId, Number(r.last_event_id));
      }
      // Ids from before this table existed (plain history rows).
      const max = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
      lastEventId = Math.max(lastEventId, Number(max?.max ?? 0));
      return { lastEventId, seqBySession };
    },

    async reserveIds(through: number): Promise<void> {
      await db
        .insertInto('event_sequences')
        .values({ session_id: ID_RESERVATION_ROW, seq: 0, last_event_id: through })
        .onConflict((oc) =>
          oc
            .column('session_id')
            .doUpdateSet((eb) => ({ last_event_id: eb.ref('excluded.last_event_id') }))
            .where('event_sequences.last_event_id', '<', (eb) => eb.ref('excluded.last_event_id')),
        )
        .execute();
    },
  };
}
