/**
 * Pairing codes issued per phone number. Only the last day is kept: the
 * rate limit looks back minutes, and older rows would only grow the table.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { PairingRequestRepo } from './types.js';

const KEEP_MS = 24 * 60 * 60_000;

export function createPairingRequestRepo(db: Kysely<Database>): PairingRequestRepo {
  return {
    async record(phone: string, requestedAt: string): Promise<void> {
      await db.insertInto('pairing_code_requests').values({ phone, requested_at: requestedAt }).execute();
      const cutoff = new Date(Date.parse(requestedAt) - KEEP_MS).toISOString();
      await db.deleteFrom('pairing_code_requests').where('requested_at', '<', cutoff).execute();
    },

    async since(since: string, phone?: string): Promise<Array<{ phone: string; requestedAt: string }>> {
      let query = db.selectFrom('pairing_code_requests').select(['phone', 'requested_at']).where('requested_at', '>=', since);
      if (phone !== undefined) query = query.where('phone', '=', phone);
      const rows = await query.orderBy('requested_at').execute();
      return rows.map((r) => ({ phone: r.phone, requestedAt: r.requested_at }));
    },
  };
}
