/**
 * Per-session event log (plain JSON; events carry no secrets). Only the
 * newest events of each session are kept, so a session that sits in QR
 * state for weeks cannot grow the database without bound.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { EventRepo, EventRow } from './types.js';

export const EVENTS_KEPT_PER_SESSION = 1000;

export function createEventRepo(db: Kysely<Database>, keepPerSession = EVENTS_KEPT_PER_SESSION): EventRepo {
  return {
    async append(row: EventRow): Promise<void> {
      await db
        .insertInto('events')
        .values({ session_id: row.sessionId, type: row.type, data: row.data, created_at: row.createdAt })
        .execute();
      // Drop everything older than the keepPerSession-th newest (an index range on (session_id, id)).
      await db
        .deleteFrom('events')
        .where('session_id', '=', row.sessionId)
        .where('id', '<', (eb) =>
          eb
            .selectFrom('events')
            .select('id')
            .where('session_id', '=', row.sessionId)
            .orderBy('id', 'desc')
            .limit(1)
            .offset(keepPerSession - 1),
        )
        .execute();
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
      }));
    },
  };
}
