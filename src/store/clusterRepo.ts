/**
 * The database side of many nodes on one PostgreSQL: node registration and
 * heartbeats (a node's lease is its heartbeat, not a write per session),
 * session ownership (claim and release, each claim bumping the fencing
 * epoch), the cheap "is my view current" probe, and the short-lived event
 * feed between nodes. Times are the database's clock (epoch ms), so nodes
 * with skewed clocks agree on who is alive. No advisory locks: everything is
 * a conditional row update, so it works behind a transaction-mode pooler.
 */
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, SessionsTable } from './schema.js';
import { toRow } from './sessionRepo.js';
import { isUniqueViolation } from './sqlErrors.js';
import type { SessionRow } from './types.js';

/** Event-id residues: at most this many nodes at once. */
export const NODE_SLOTS = 64;

export interface OwnedRow {
  row: SessionRow;
  ownerNode: string | null;
  ownerEpoch: number;
  rev: number;
}

export interface NodeRow {
  id: string;
  address: string | null;
  slot: number;
  heartbeatAt: number;
  draining: boolean;
}

export interface ClusterEventRow {
  id: number;
  nodeId: string;
  payload: string;
}

/** The database clock in epoch ms. */
const DB_NOW = sql<string>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
/** `column` names no node that is alive now (a heartbeat within the lease): an owner or claimant to replace. */
function noLiveNode(column: 'sessions.owner_node' | 'webhook_deliveries.claimed_by', leaseMs: number): RawBuilder<boolean> {
  return sql<boolean>`not exists (select 1 from nodes where nodes.id = ${sql.ref(column)} and nodes.heartbeat_at > ${DB_NOW} - ${leaseMs})`;
}
const RUNNING = ['connecting', 'qr', 'pairing', 'connected', 'reconnecting'];

function owned(r: Selectable<SessionsTable>): OwnedRow {
  return { row: toRow(r), ownerNode: r.owner_node, ownerEpoch: Number(r.owner_epoch), rev: Number(r.rev) };
}

export interface ClusterRepo {
  /** The NOTIFY channels of this schema (several test schemas share one database). */
  channels(): Promise<{ sessions: string; events: string; wake: string; webhooks: string; deliveries: string }>;
  now(): Promise<number>;
  /** Join (or rejoin with the same id); returns the node's event-id slot. */
  register(nodeId: string, address: string | null, forgetAfterMs: number): Promise<number>;
  /** Renew the lease; false when the node's row is gone (it must register again). */
  heartbeat(nodeId: string, address: string | null): Promise<boolean>;
  setDraining(nodeId: string): Promise<void>;
  /** Nodes whose lease has not expired. */
  aliveNodes(leaseMs: number): Promise<NodeRow[]>;
  /** Give up every session and leave (drain). */
  leave(nodeId: string): Promise<void>;
  /**
   * Take sessions that have no live owner (or, with `reclaimOwn`, are this
   * node's already): owner and epoch+1 in one conditional update; a running
   * state is reset (the new owner reconnects). Returns the rows taken.
   */
  claim(nodeId: string, ids: string[], leaseMs: number, opts?: { reclaimOwn?: boolean }): Promise<OwnedRow[]>;
  /** Let sessions go (their connections are closed already). */
  release(nodeId: string, ids: string[]): Promise<void>;
  /** Sessions that want a connection and have no live owner. */
  orphans(leaseMs: number, limit: number): Promise<string[]>;
  /** How many sessions want a connection, in all and per owner. */
  wantedCounts(): Promise<{ total: number; byOwner: Map<string, number> }>;
  /** Row count and highest revision: equal to what a node saw means its view is current. */
  version(): Promise<{ count: number; rev: number }>;
  changedSince(rev: number): Promise<OwnedRow[]>;
  rows(ids: string[]): Promise<OwnedRow[]>;
  all(): Promise<OwnedRow[]>;
  publishEvents(nodeId: string, channel: string, events: Array<{ id: number; sessionId?: string; payload: string }>): Promise<void>;
  fetchEvents(ids: number[]): Promise<ClusterEventRow[]>;
  /**
   * The newest `limit` events after `afterId` (of one session when given),
   * oldest first: a stream resuming on a node that
   * did not see them.
   */
  eventsAfter(afterId: number, limit: number, sessionId?: string): Promise<ClusterEventRow[]>;
  purgeEvents(olderThanMs: number): Promise<void>;
  wake(channel: string, payload: string): Promise<void>;
  /**
   * Claim pending webhook deliveries for one attempt each: a delivery is
   * taken when nobody holds it, this node does already, or its holder's
   * lease ran out. Returns the keys (`eventId:endpointId`) this node holds now.
   */
  claimDeliveries(nodeId: string, leaseMs: number, keys: ReadonlyArray<{ eventId: number; endpointId: string }>): Promise<Set<string>>;
}

export function deliveryKey(eventId: number, endpointId: string): string {
  return `${eventId}:${endpointId}`;
}

export function createClusterRepo(db: Kysely<Database>): ClusterRepo {
  return {
    async channels() {
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
      const schema = rows[0]?.schema ?? 'public';
      return {
        sessions: `wagate_s_${schema}`,
        events: `wagate_e_${schema}`,
        wake: `wagate_w_${schema}`,
        // Fired by a trigger on the webhooks table (migration 0006).
        webhooks: `wagate_h_${schema}`,
        deliveries: `wagate_d_${schema}`,
      };
    },

    async now() {
      const { rows } = await sql<{ now: string }>`SELECT ${DB_NOW} AS now`.execute(db);
      return Number(rows[0]!.now);
    },

    async register(nodeId, address, forgetAfterMs) {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        try {
          return await db.transaction().execute(async (trx) => {
            // Nodes silent for long are forgotten; their slots are free again.
            await trx
              .deleteFrom('nodes')
              .where('heartbeat_at', '<', sql<number>`${DB_NOW} - ${forgetAfterMs}`)
              .where('id', '<>', nodeId)
              .execute();
            const mine = await trx.selectFrom('nodes').select('slot').where('id', '=', nodeId).executeTakeFirst();
            if (mine) {
              await trx.updateTable('nodes').set({ address, heartbeat_at: DB_NOW, draining: 0 }).where('id', '=', nodeId).execute();
              return Number(mine.slot);
            }
            const used = new Set((await trx.selectFrom('nodes').select('slot').execute()).map((r) => Number(r.slot)));
            let slot = 0;
            while (used.has(slot)) slot += 1;
            if (slot >= NODE_SLOTS) throw new Error(`at most ${NODE_SLOTS} nodes may share one database`);
            await trx
              .insertInto('nodes')
              .values({ id: nodeId, address, slot, started_at: DB_NOW, heartbeat_at: DB_NOW, draining: 0 })
              .execute();
            return slot;
          });
        } catch (err) {
          // Two nodes picked the same free slot at once: the loser picks again.
          if (!isUniqueViolation(err)) throw err;
        }
      }
      throw new Error('could not find a free node slot');
    },

    async heartbeat(nodeId, address) {
      const result = await db.updateTable('nodes').set({ heartbeat_at: DB_NOW, address }).where('id', '=', nodeId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async setDraining(nodeId) {
      await db.updateTable('nodes').set({ draining: 1 }).where('id', '=', nodeId).execute();
    },

    async aliveNodes(leaseMs) {
      const rows = await db
        .selectFrom('nodes')
        .selectAll()
        .where('heartbeat_at', '>', sql<number>`${DB_NOW} - ${leaseMs}`)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({ id: r.id, address: r.address, slot: Number(r.slot), heartbeatAt: Number(r.heartbeat_at), draining: r.draining === 1 }));
    },

    async leave(nodeId) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('sessions').set({ owner_node: null }).where('owner_node', '=', nodeId).execute();
        await trx.deleteFrom('nodes').where('id', '=', nodeId).execute();
      });
    },

    async claim(nodeId, ids, leaseMs, opts = {}) {
      if (ids.length === 0) return [];
      const rows = await db
        .updateTable('sessions')
        .set({
          owner_node: nodeId,
          owner_epoch: sql<number>`owner_epoch + 1`,
          state: sql<string>`CASE WHEN state IN (${sql.join(RUNNING)}) THEN (CASE WHEN me_jid IS NULL THEN 'created' ELSE 'inactive' END) ELSE state END`,
        })
        .where('id', 'in', ids)
        .where((eb) =>
          eb.or([
            eb('owner_node', 'is', null),
            ...(opts.reclaimOwn ? [eb('owner_node', '=', nodeId)] : []),
            noLiveNode('sessions.owner_node', leaseMs),
          ]),
        )
        .returningAll()
        .execute();
      return rows.map(owned);
    },

    async release(nodeId, ids) {
      if (ids.length === 0) return;
      await db.updateTable('sessions').set({ owner_node: null }).where('owner_node', '=', nodeId).where('id', 'in', ids).execute();
    },

    async orphans(leaseMs, limit) {
      const rows = await db
        .selectFrom('sessions')
        .select('id')
        .where('want_connected', '=', 1)
        .where('me_jid', 'is not', null)
        .where((eb) =>
          eb.or([
            eb('owner_node', 'is', null),
            noLiveNode('sessions.owner_node', leaseMs),
          ]),
        )
        .orderBy(sql`random()`)
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    async wantedCounts() {
      const rows = await db
        .selectFrom('sessions')
        .select(['owner_node', (eb) => eb.fn.countAll<string>().as('n')])
        .where('want_connected', '=', 1)
        .where('me_jid', 'is not', null)
        .groupBy('owner_node')
        .execute();
      const byOwner = new Map<string, number>();
      let total = 0;
      for (const r of rows) {
        total += Number(r.n);
        if (r.owner_node !== null) byOwner.set(r.owner_node, Number(r.n));
      }
      return { total, byOwner };
    },

    async version() {
      const { rows } = await sql<{ n: string; rev: string | null }>`SELECT count(*) AS n, max(rev) AS rev FROM sessions`.execute(db);
      return { count: Number(rows[0]?.n ?? 0), rev: Number(rows[0]?.rev ?? 0) };
    },

    async changedSince(rev) {
      return (await db.selectFrom('sessions').selectAll().where('rev', '>', rev).execute()).map(owned);
    },

    async rows(ids) {
      if (ids.length === 0) return [];
      return (await db.selectFrom('sessions').selectAll().where('id', 'in', ids).execute()).map(owned);
    },

    async all() {
      return (await db.selectFrom('sessions').selectAll().orderBy('created_at').orderBy('id').execute()).map(owned);
    },

    async publishEvents(nodeId, channel, events) {
      if (events.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < events.length; i += 200) {
          const part = events.slice(i, i + 200);
          await trx
            .insertInto('cluster_events')
            .values(part.map((e) => ({ id: e.id, node_id: nodeId, session_id: e.sessionId ?? null, payload: e.payload, created_at: DB_NOW })))
            .onConflict((oc) => oc.column('id').doNothing())
            .execute();
          // A notification carries ids only (its payload is limited to 8000 bytes); delivered at commit.
          await sql`SELECT pg_notify(${channel}, ${`${nodeId} ${part.map((e) => e.id).join(',')}`})`.execute(trx);
        }
      });
    },

    async fetchEvents(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('cluster_events').select(['id', 'node_id', 'payload']).where('id', 'in', ids).orderBy('id').execute();
      return rows.map((r) => ({ id: Number(r.id), nodeId: r.node_id, payload: r.payload }));
    },

    async eventsAfter(afterId, limit, sessionId) {
      let query = db.selectFrom('cluster_events').select(['id', 'node_id', 'payload']).where('id', '>', afterId);
      if (sessionId !== undefined) query = query.where('session_id', '=', sessionId);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return rows.reverse().map((r) => ({ id: Number(r.id), nodeId: r.node_id, payload: r.payload }));
    },

    async purgeEvents(olderThanMs) {
      await db.deleteFrom('cluster_events').where('created_at', '<', sql<number>`${DB_NOW} - ${olderThanMs}`).execute();
    },

    async wake(channel, payload) {
      await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);
    },

    async claimDeliveries(nodeId, leaseMs, keys) {
      if (keys.length === 0) return new Set();
      const rows = await db
        .updateTable('webhook_deliveries')
        .set({ claimed_by: nodeId })
        // The rows by their keys first (the (event_id, endpoint_id) unique index): with `status` in the same
        // WHERE, a planner without fresh statistics scans the (status, …) index over every pending delivery.
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('webhook_deliveries as d')
            .select('d.id')
            .where('d.event_id', 'in', [...new Set(keys.map((k) => k.eventId))])
            .where(sql<boolean>`(d.event_id, d.endpoint_id) IN (${sql.join(keys.map((k) => sql`(${k.eventId}::bigint, ${k.endpointId}::text)`))})`),
        )
        .where('status', '=', 'pending')
        .where((eb) =>
          eb.or([
            eb('claimed_by', 'is', null),
            eb('claimed_by', '=', nodeId),
            noLiveNode('webhook_deliveries.claimed_by', leaseMs),
          ]),
        )
        .returning(['event_id', 'endpoint_id'])
        .execute();
      return new Set(rows.map((r) => deliveryKey(Number(r.event_id), r.endpoint_id)));
    },
  };
}
