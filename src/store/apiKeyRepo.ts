/** API keys: only keyed hashes are stored (core/apiKeys.ts), so nothing here needs encryption. */
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from './schema.js';
import type { ApiKeyRepo, ApiKeyRow } from './types.js';

function toRow(r: Selectable<ApiKeysTable>): ApiKeyRow {
  return {
    id: r.id,
    sessionId: r.session_id,
    hash: r.hash,
    label: r.label,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
  };
}

export function createApiKeyRepo(db: Kysely<Database>): ApiKeyRepo {
  return {
    async create(row: ApiKeyRow): Promise<void> {
      await db
        .insertInto('api_keys')
        .values({
          id: row.id,
          session_id: row.sessionId,
          hash: row.hash,
          label: row.label,
          created_at: row.createdAt,
          last_used_at: row.lastUsedAt,
        })
        .execute();
    },

    async findByHash(hash: string): Promise<ApiKeyRow | undefined> {
      const r = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return r && toRow(r);
    },

    async updateHash(id: string, hash: string): Promise<void> {
      await db.updateTable('api_keys').set({ hash }).where('id', '=', id).execute();
    },

    async listForSession(sessionId: string | null): Promise<ApiKeyRow[]> {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where((eb) => (sessionId === null ? eb('session_id', 'is', null) : eb('session_id', '=', sessionId)))
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRow);
    },

    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async touch(id: string, at: string): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}
