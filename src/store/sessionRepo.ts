/** Sessions table: plain rows (nothing secret), with an explicit cascade on delete. */
import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import { StoreError } from './errors.js';
import { fencedError } from './fence.js';
import type { Fence, SessionPatch, SessionRepo, SessionRow } from './types.js';
import type { Database, SessionsTable } from './schema.js';
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

/** One row change; with a fence, only while the row still names that owner and epoch. */
export async function updateSession(db: Db, id: string, set: Updateable<SessionsTable>, fence?: Fence): Promise<void> {
  let query = db.updateTable('sessions').set(set).where('id', '=', id);
  if (fence) query = query.where('owner_node', '=', fence.nodeId).where('owner_epoch', '=', fence.epoch);
  const result = await query.executeTakeFirst();
  if (fence && Number(result.numUpdatedRows) === 0) {
    // A deleted session is not a lost lease: nothing to refuse.
    const exists = await db.selectFrom('sessions').select('id').where('id', '=', id).executeTakeFirst();
    if (exists) throw fencedError(id, fence);
  }
}

/** Rows per multi-row UPDATE (columns × rows stays far below SQLite's bound-parameter limit). */
const ROWS_PER_UPDATE = 100;

/**
 * SQLite: many sessions' row changes in one statement per set of columns
 * (`WITH v(...) AS (VALUES ...) UPDATE ... FROM v`), for a group commit
 * without fences. Why: a burst of connects changes every session's row
 * twice before its first QR; one statement per row was ~2 % of the burst's
 * CPU in Kysely's builder and driver. A session changed twice in the list
 * gets its changes merged in order (the later value of a column wins),
 * which is what two UPDATEs in one transaction leave.
 */
export async function updateSessionsSqlite(trx: Db, changes: ReadonlyArray<{ id: string; set: Updateable<SessionsTable> }>): Promise<void> {
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
      await updateSession(trx, rows[0]![0], rows[0]![1] as Updateable<SessionsTable>);
      continue;
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_UPDATE) {
      const values = rows.slice(i, i + ROWS_PER_UPDATE).map(([id, set]) => sql`(${sql.join([id, ...columns.map((c) => set[c])])})`);
      const names = sql.join(['id', ...columns].map((c) => sql.ref(c)));
      const assignments = sql.join(columns.map((c) => sql`${sql.ref(c)} = ${sql.ref(`v.${c}`)}`));
      await sql`with v(${names}) as (values ${sql.join(values)}) update sessions set ${assignments} from v where sessions.id = v.id`.execute(trx);
    }
  }
}

export function createSessionRepo(db: Kysely<Database>): SessionRepo {
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
      await updateSession(db, id, set, fence);
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
