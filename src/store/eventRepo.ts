/** Per-session event log (plain JSON; events carry no secrets). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { EventRepo, EventRow } from './types.js';

export function createEventRepo(db: Kysely<Database>): EventRepo {
  return {
    async append(row: EventRow): Promise<void> {
      await db
        .insertInto('events')
        .values({ session_id: row.sessionId, type: row.type, data: row.data, created_at: row.createdAt })
        .execute();
    },

    async list(sessionId: string, limit: number): Promise<EventRow[]> {
      const n = Math.max(0, Math.floor(limit));
      if (n === 0 || !Number.isFinite(n)) return [];
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
