/** Sessions table: plain rows (nothing secret), with an explicit cascade on delete. */
import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import { StoreError } from './errors.js';
import { fencedError } from './fence.js';
import type { Fence, SessionPatch, SessionRepo, SessionRow } from './types.js';
import type { Database, SessionsTable } from './schema.js';
import { prepareQuery, rowChunks, type PreparedQuery } from './preparedQuery.js';
import { isUniqueViolation } from './sqlErrors.js';

type Column = keyof SessionsTable;
type Db = Kysely<Database> | Transaction<Database>;

// Field → column, one place, so update() can turn a patch into a single UPDATE.
const COLUMNS = {
  displayName: 'display_name',
  deviceBrowser: 'device_browser',
  state: 'state',
  lifetimeStatus: 'lifetime_status',
  wantConnected: 'want_connected',
  meJid: 'me_jid',
  meLid: 'me_lid',
  meName: 'me_name',
  lastDisconnectCode: 'last_disconnect_code',
  lastDisconnectReason: 'last_disconnect_reason',
  lastDisconnectAt: 'last_disconnect_at',
  updatedAt: 'updated_at',
  connectedAt: 'connected_at',
} as const satisfies Record<keyof SessionPatch, Column>;

export function toRow(r: Selectable<SessionsTable>): SessionRow {
  return {
    id: r.id,
    displayName: r.display_name,
    deviceBrowser: r.device_browser,
    state: r.state as SessionRow['state'],
    lifetimeStatus: r.lifetime_status as SessionRow['lifetimeStatus'],
    wantConnected: Number(r.want_connected) === 1,
    meJid: r.me_jid,
    meLid: r.me_lid,
    meName: r.me_name,
    lastDisconnectCode: r.last_disconnect_code === null ? null : Number(r.last_disconnect_code),
    lastDisconnectReason: r.last_disconnect_reason,
    lastDisconnectAt: r.last_disconnect_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    connectedAt: r.connected_at,
  };
}

/** A patch as column values (empty when it changes nothing). */
export function sessionPatchColumns(patch: SessionPatch): Updateable<SessionsTable> {
  const set: Updateable<SessionsTable> = {};
  const target = set as Record<Column, unknown>;
  for (const [field, column] of Object.entries(COLUMNS) as [keyof SessionPatch, Column][]) {
    const value = patch[field];
    if (value === undefined) continue;
    target[column] = field === 'wantConnected' ? (value ? 1 : 0) : value;
  }
  return set;
}

/** Rows per multi-row UPDATE (columns × rows stays far below SQLite's bound-parameter limit). */
const ROWS_PER_UPDATE = 128;

export interface SessionRowWrites {
  /** One row change; with a fence, only while the row still names that owner and epoch. */
  update(db: Db, id: string, set: Updateable<SessionsTable>, fence?: Fence): Promise<void>;
  /**
   * SQLite: many sessions' row changes in one statement per set of columns
   * (`WITH v(...) AS (VALUES ...) UPDATE ... FROM v`), for a group commit
   * without fences. Why: a burst of connects changes every session's row
   * twice before its first QR; one statement per row was ~2 % of the burst's
   * CPU in Kysely's builder and driver. A session changed twice in the list
   * gets its changes merged in order (the later value of a column wins),
   * which is what two UPDATEs in one transaction leave.
   */
  updateManySqlite(db: Db, changes: ReadonlyArray<{ id: string; set: Updateable<SessionsTable> }>): Promise<void>;
}

/** The session row writes of event commits and the repo, their queries built once per shape (preparedQuery.ts). */
export function sessionRowWrites(db: Kysely<Database>): SessionRowWrites {
  const updateRow = prepareQuery((p: { id: string; set: Updateable<SessionsTable>; fence?: Fence }) => {
    let query = db.updateTable('sessions').set(p.set).where('id', '=', p.id);
    if (p.fence) query = query.where('owner_node', '=', p.fence.nodeId).where('owner_epoch', '=', p.fence.epoch);
    return query;
  });
  const selectId = prepareQuery((p: { id: string }) => db.selectFrom('sessions').select('id').where('id', '=', p.id));
  // Per set of columns (the few a patch makes): rows of [id, ...values in column order].
  const updateRowsByColumns = new Map<string, PreparedQuery<unknown[][]>>();
  const updateRows = (columns: string[]): PreparedQuery<unknown[][]> => {
    const key = columns.join(',');
    let query = updateRowsByColumns.get(key);
    if (!query) {
      const names = sql.join(['id', ...columns].map((c) => sql.ref(c)));
      const assignments = sql.join(columns.map((c) => sql`${sql.ref(c)} = ${sql.ref(`v.${c}`)}`));
      query = prepareQuery((rows: unknown[][]) => {
        const values = sql.join(rows.map((row) => sql`(${sql.join(row)})`));
        return sql`with v(${names}) as (values ${values}) update sessions set ${assignments} from v where sessions.id = v.id`;
      });
      updateRowsByColumns.set(key, query);
    }
    return query;
  };

  const update: SessionRowWrites['update'] = async (trx, id, set, fence) => {
    const updated = await updateRow.run(trx, fence ? { id, set, fence } : { id, set });
    if (fence && updated === 0) {
      // A deleted session is not a lost lease: nothing to refuse.
      const [exists] = await selectId.rows(trx, { id });
      if (exists) throw fencedError(id, fence);
    }
  };
  return {
    update,
    async updateManySqlite(trx, changes) {
      const merged = new Map<string, Record<string, unknown>>();
      for (const { id, set } of changes) merged.set(id, { ...merged.get(id), ...set });
      const byColumns = new Map<string, Array<[string, Record<string, unknown>]>>();
      for (const [id, set] of merged) {
        const key = Object.keys(set).sort().join(',');
        if (key === '') continue;
        const list = byColumns.get(key) ?? [];
        list.push([id, set]);
        byColumns.set(key, list);
      }
      for (const [key, rows] of byColumns) {
        const columns = key.split(',');
        if (rows.length === 1) {
          await update(trx, rows[0]![0], rows[0]![1] as Updateable<SessionsTable>);
          continue;
        }
        for (const part of rowChunks(rows, ROWS_PER_UPDATE, 'sqlite')) {
          await updateRows(columns).run(trx, part.map(([id, set]) => [id, ...columns.map((c) => set[c])]));
        }
      }
    },
  };
}

export function createSessionRepo(db: Kysely<Database>): SessionRepo {
  const rowWrites = sessionRowWrites(db);
  return {
    async create(row: SessionRow): Promise<void> {
      try {
        await db
          .insertInto('sessions')
          .values({
            id: row.id,
            display_name: row.displayName,
            device_browser: row.deviceBrowser,
            state: row.state,
            lifetime_status: row.lifetimeStatus,
            want_connected: row.wantConnected ? 1 : 0,
            me_jid: row.meJid,
            me_lid: row.meLid,
            me_name: row.meName,
            last_disconnect_code: row.lastDisconnectCode,
            last_disconnect_reason: row.lastDisconnectReason,
            last_disconnect_at: row.lastDisconnectAt,
            created_at: row.createdAt,
            updated_at: row.updatedAt,
            connected_at: row.connectedAt,
          })
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new StoreError('DUPLICATE', `A session with id "${row.id}" exists already`, { sessionId: row.id }, { cause: err });
        }
        throw err;
      }
    },

    async get(id: string): Promise<SessionRow | undefined> {
      const r = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toRow(r);
    },

    async list(): Promise<SessionRow[]> {
      const rows = await db.selectFrom('sessions').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toRow);
    },

    async update(id: string, patch: SessionPatch, fence?: Fence): Promise<void> {
      const set = sessionPatchColumns(patch);
      if (Object.keys(set).length === 0) return;
      await rowWrites.update(db, id, set, fence);
    },

    async delete(id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('signal_keys').where('session_id', '=', id).execute();
        await trx.deleteFrom('credentials').where('session_id', '=', id).execute();
        await trx.deleteFrom('api_keys').where('session_id', '=', id).execute();
        await trx.deleteFrom('events').where('session_id', '=', id).execute();
        await trx.deleteFrom('messages').where('session_id', '=', id).execute();
        // The session's own webhook endpoints go with it (global endpoints keep their deliveries).
        const endpoints = trx.selectFrom('webhooks').select('id').where('session_id', '=', id);
        await trx.deleteFrom('webhook_deliveries').where('endpoint_id', 'in', endpoints).execute();
        await trx.deleteFrom('webhooks').where('session_id', '=', id).execute();
        await trx.deleteFrom('sessions').where('id', '=', id).execute();
      });
    },
  };
}
