/**
 * Webhook endpoints (secrets encrypted at rest, bound to their endpoint id)
 * and their deliveries (the outbox: one row per event and endpoint).
 */
import type { Kysely, Selectable, Updateable } from 'kysely';
import { aad, type Cipher } from './cipher.js';
import { StoreError } from './errors.js';
import { isUniqueViolation } from './sqlErrors.js';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from './schema.js';
import type {
  DeliveryRow,
  DeliveryStatus,
  NewDelivery,
  WebhookEndpointPatch,
  WebhookEndpointRow,
  WebhookRepo,
} from './types.js';

const secretAad = aad.webhookSecret;

function toDelivery(r: Selectable<WebhookDeliveriesTable>): DeliveryRow {
  return {
    id: Number(r.id),
    eventId: Number(r.event_id),
    endpointId: r.endpoint_id,
    sessionId: r.session_id,
    eventType: r.event_type,
    seq: Number(r.seq),
    payload: r.payload,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: r.last_error,
    lastAttemptAt: r.last_attempt_at,
    createdAt: r.created_at,
  };
}

export function createWebhookRepo(db: Kysely<Database>, cipher: Cipher): WebhookRepo {
  const toEndpoint = (r: Selectable<WebhooksTable>): WebhookEndpointRow => ({
    id: r.id,
    sessionId: r.session_id,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    enabled: Number(r.enabled) === 1,
    secret: cipher.decrypt(Buffer.from(r.secret), secretAad(r.id, 'current'), `secret of webhook "${r.id}"`),
    previousSecret:
      r.previous_secret === null
        ? null
        : cipher.decrypt(Buffer.from(r.previous_secret), secretAad(r.id, 'previous'), `previous secret of webhook "${r.id}"`),
    previousSecretUntil: r.previous_secret_until,
    format: r.format,
    options: r.options === null ? null : (JSON.parse(r.options) as Record<string, unknown>),
    failingSince: r.failing_since,
    disabledReason: r.disabled_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  const columns = (id: string, patch: WebhookEndpointPatch): Updateable<WebhooksTable> => {
    const set: Updateable<WebhooksTable> = {};
    if (patch.sessionId !== undefined) set.session_id = patch.sessionId;
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
    if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
    if (patch.secret !== undefined) set.secret = cipher.encrypt(patch.secret, secretAad(id, 'current'));
    if (patch.previousSecret !== undefined) {
      set.previous_secret = patch.previousSecret === null ? null : cipher.encrypt(patch.previousSecret, secretAad(id, 'previous'));
    }
    if (patch.previousSecretUntil !== undefined) set.previous_secret_until = patch.previousSecretUntil;
    if (patch.format !== undefined) set.format = patch.format;
    if (patch.options !== undefined) set.options = patch.options === null ? null : JSON.stringify(patch.options);
    if (patch.failingSince !== undefined) set.failing_since = patch.failingSince;
    if (patch.disabledReason !== undefined) set.disabled_reason = patch.disabledReason;
    if (patch.updatedAt !== undefined) set.updated_at = patch.updatedAt;
    return set;
  };

  return {
    async create(row: WebhookEndpointRow): Promise<void> {
      const set = columns(row.id, row);
      try {
        await db
          .insertInto('webhooks')
          .values({ ...(set as Required<Updateable<WebhooksTable>>), id: row.id, created_at: row.createdAt, updated_at: row.updatedAt })
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('DUPLICATE', `Webhook ${row.id} exists already`, { webhookId: row.id }, { cause: err });
        throw err;
      }
    },

    async list(): Promise<WebhookEndpointRow[]> {
      const rows = await db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toEndpoint);
    },

    async update(id: string, patch: WebhookEndpointPatch): Promise<void> {
      const set = columns(id, patch);
      if (Object.keys(set).length === 0) return;
      await db.updateTable('webhooks').set(set).where('id', '=', id).execute();
    },

    async delete(id: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
        const result = await trx.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },

    async deleteForSession(sessionId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const endpoints = trx.selectFrom('webhooks').select('id').where('session_id', '=', sessionId);
        await trx.deleteFrom('webhook_deliveries').where('endpoint_id', 'in', endpoints).execute();
        await trx.deleteFrom('webhooks').where('session_id', '=', sessionId).execute();
      });
    },

    async insertDelivery(d: NewDelivery): Promise<number> {
      const row = await db
        .insertInto('webhook_deliveries')
        .values(pendingDeliveryRow(d))
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },

    async updateDeliveries(updates): Promise<boolean[]> {
      if (updates.length === 0) return [];
      return db.transaction().execute(async (trx) => {
        const applied: boolean[] = [];
        for (const u of updates) {
          const set = {
            status: u.status,
            attempts: u.attempts,
            next_attempt_at: u.nextAttemptAt,
            last_status_code: u.lastStatusCode,
            last_error: u.lastError,
            last_attempt_at: u.lastAttemptAt,
          };
          const q =
            u.claimedBy === undefined
              ? trx.updateTable('webhook_deliveries').set(set).where('event_id', '=', u.eventId).where('endpoint_id', '=', u.endpointId)
              : // Conditional: only the node holding the claim records the attempt, once (the claim is its fence).
                // The row by its key first: with `status` in the same WHERE, a planner without fresh statistics
                // scans the (status, …) index over every pending delivery instead.
                trx
                  .updateTable('webhook_deliveries')
                  .set({ ...set, claimed_by: null })
                  .where('id', '=', (eb) =>
                    eb.selectFrom('webhook_deliveries as k').select('k.id').where('k.event_id', '=', u.eventId).where('k.endpoint_id', '=', u.endpointId),
                  )
                  .where('status', '=', 'pending')
                  .where('claimed_by', '=', u.claimedBy);
          const result = await q.executeTakeFirst();
          applied.push(Number(result.numUpdatedRows) > 0);
        }
        return applied;
      });
    },

    async find(id: string): Promise<WebhookEndpointRow | undefined> {
      const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toEndpoint(row);
    },

    async getDelivery(id: number): Promise<DeliveryRow | undefined> {
      const r = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toDelivery(r);
    },

    async listDeliveries(endpointId, { before, limit, status }): Promise<DeliveryRow[]> {
      let q = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
      if (before !== undefined) q = q.where('id', '<', before);
      if (status !== undefined) q = q.where('status', '=', status);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toDelivery);
    },

    async pendingLanes(): Promise<Array<{ endpointId: string; sessionId: string }>> {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select(['endpoint_id', 'session_id'])
        .where('status', '=', 'pending')
        .groupBy(['endpoint_id', 'session_id'])
        .execute();
      return rows.map((r) => ({ endpointId: r.endpoint_id, sessionId: r.session_id }));
    },

    async pendingInLane(endpointId, sessionId, afterEventId, limit): Promise<DeliveryRow[]> {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('status', '=', 'pending')
        .where('endpoint_id', '=', endpointId)
        .where('session_id', '=', sessionId)
        .where('event_id', '>', afterEventId)
        .orderBy('event_id')
        .limit(limit)
        .execute();
      return rows.map(toDelivery);
    },

    async requeueFailed(endpointId, from, to, limit): Promise<DeliveryRow[]> {
      return db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('webhook_deliveries')
          .selectAll()
          .where('endpoint_id', '=', endpointId)
          .where('status', '=', 'failed')
          .where('created_at', '>=', from)
          .where('created_at', '<', to)
          .orderBy('id')
          .limit(limit)
          .execute();
        if (rows.length === 0) return [];
        await trx
          .updateTable('webhook_deliveries')
          .set({ status: 'pending', next_attempt_at: 0 })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
        return rows.map((r) => ({ ...toDelivery(r), status: 'pending' as const, nextAttemptAt: 0 }));
      });
    },

    async pendingSummary(): Promise<{ count: number; oldestCreatedAt: string | null }> {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => [eb.fn.countAll<number | string>().as('count'), eb.fn.min('created_at').as('oldest')])
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return { count: Number(row?.count ?? 0), oldestCreatedAt: (row?.oldest as string | null | undefined) ?? null };
    },

    async purge(deliveredBefore: string, failedBefore: string): Promise<number> {
      const result = await db
        .deleteFrom('webhook_deliveries')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'delivered'), eb('created_at', '<', deliveredBefore)]),
            eb.and([eb('status', '=', 'failed'), eb('created_at', '<', failedBefore)]),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

/** The row of a delivery not yet tried: shared by the event commit (eventRepo) and single inserts. */
export function pendingDeliveryRow(d: NewDelivery) {
  return {
    event_id: d.eventId,
    endpoint_id: d.endpointId,
    session_id: d.sessionId,
    event_type: d.eventType,
    seq: d.seq,
    payload: d.payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: 0,
    created_at: d.createdAt,
  };
}
