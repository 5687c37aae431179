/**
 * Messages: bodies and pending payloads encrypted at rest (AES-256-GCM,
 * bound to session and message id), everything needed for listing and
 * ordering in plain columns. Outgoing messages not yet sent are the send
 * queue, so a restart finds them here.
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { aad, type Cipher } from './cipher.js';
import { StoreError } from './errors.js';
import { prepareQuery } from './preparedQuery.js';
import type { Database, MessagesTable } from './schema.js';
import { isUniqueViolation } from './sqlErrors.js';
import type { ChatSummary, MessagePatch, MessageRepo, MessageRow, MessageStatusEntry } from './types.js';

const PENDING = 'pending';

/** A message row (or a change to one) as table columns, bodies and payloads sealed: for this repo and for event commits. */
export interface MessageColumns {
  insert(row: MessageRow): Insertable<MessagesTable>;
  patch(sessionId: string, id: string, patch: MessagePatch): Updateable<MessagesTable>;
}

export function messageColumns(cipher: Cipher): MessageColumns {
  const seal = (row: Pick<MessageRow, 'sessionId' | 'id'>, plain: string): Buffer => cipher.encrypt(plain, aad.message(row.sessionId, row.id));
  return {
    insert: (row) => ({
      session_id: row.sessionId,
      id: row.id,
      chat_jid: row.chatJid,
      chat_alt: row.chatAlt,
      sender_jid: row.senderJid,
      sender_alt: row.senderAlt,
      from_me: row.fromMe ? 1 : 0,
      content_type: row.contentType,
      body: seal(row, row.body),
      payload: row.payload === null ? null : seal(row, row.payload),
      status: row.status,
      statuses: JSON.stringify(row.statuses),
      error: row.error,
      reply_to: row.replyTo,
      wa_timestamp: row.waTimestamp,
      idempotency_key: row.idempotencyKey,
      request_hash: row.requestHash,
      attempts: row.attempts,
      created_at: row.createdAt,
      updated_at: row.updatedAt,
    }),
    patch: (sessionId, id, patch) => {
      const set: Updateable<MessagesTable> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.statuses !== undefined) set.statuses = JSON.stringify(patch.statuses);
      if (patch.error !== undefined) set.error = patch.error;
      if (patch.payload !== undefined) set.payload = patch.payload === null ? null : seal({ sessionId, id }, patch.payload);
      if (patch.attempts !== undefined) set.attempts = patch.attempts;
      if (patch.waTimestamp !== undefined) set.wa_timestamp = patch.waTimestamp;
      if (patch.updatedAt !== undefined) set.updated_at = patch.updatedAt;
      return set;
    },
  };
}

/** A message row's change (sealed columns, from MessageColumns.patch), built once (preparedQuery.ts): for this repo and for event commits. */
export type MessageRowUpdate = (runner: Kysely<Database>, sessionId: string, id: string, set: Updateable<MessagesTable>) => Promise<void>;

export function messageRowUpdate(db: Kysely<Database>): MessageRowUpdate {
  const query = prepareQuery((p: { sessionId: string; id: string; set: Updateable<MessagesTable> }) =>
    db.updateTable('messages').set(p.set).where('session_id', '=', p.sessionId).where('id', '=', p.id),
  );
  return async (runner, sessionId, id, set) => {
    if (Object.keys(set).length > 0) await query.run(runner, { sessionId, id, set });
  };
}

export function createMessageRepo(db: Kysely<Database>, cipher: Cipher): MessageRepo {
  const columns = messageColumns(cipher);
  const open = (r: Selectable<MessagesTable>, blob: Uint8Array, what: string): string =>
    cipher.decrypt(blob, aad.message(r.session_id, r.id), what, { sessionId: r.session_id, messageId: r.id });

  const toRow = (r: Selectable<MessagesTable>): MessageRow => ({
    sessionId: r.session_id,
    id: r.id,
    chatJid: r.chat_jid,
    chatAlt: r.chat_alt,
    senderJid: r.sender_jid,
    senderAlt: r.sender_alt,
    fromMe: r.from_me === 1,
    contentType: r.content_type,
    body: open(r, r.body, 'message body'),
    payload: r.payload ? open(r, r.payload, 'message payload') : null,
    status: r.status,
    statuses: JSON.parse(r.statuses) as MessageStatusEntry[],
    error: r.error,
    replyTo: r.reply_to,
    waTimestamp: Number(r.wa_timestamp),
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  // The queries of every send and receipt, built once (preparedQuery.ts).
  const insertRow = prepareQuery((row: Insertable<MessagesTable>) => db.insertInto('messages').values(row));
  const selectRow = prepareQuery((p: { sessionId: string; id: string }) =>
    db.selectFrom('messages').selectAll().where('session_id', '=', p.sessionId).where('id', '=', p.id),
  );
  const updateRow = messageRowUpdate(db);
  const selectPending = prepareQuery((p: { sessionId: string; status: string }) =>
    db
      .selectFrom('messages')
      .selectAll()
      .where('session_id', '=', p.sessionId)
      .where('status', '=', p.status)
      .orderBy('created_at')
      .orderBy('id'),
  );

  return {
    async insert(row: MessageRow): Promise<void> {
      try {
        await insertRow.run(db, columns.insert(row));
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new StoreError('DUPLICATE', `Message ${row.id} exists already`, { sessionId: row.sessionId, messageId: row.id }, { cause: err });
        }
        throw err;
      }
    },

    async get(sessionId: string, id: string): Promise<MessageRow | undefined> {
      const [r] = await selectRow.rows(db, { sessionId, id });
      return r && toRow(r);
    },

    async byIdempotencyKey(sessionId: string, key: string): Promise<MessageRow | undefined> {
      const r = await db
        .selectFrom('messages')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      return r && toRow(r);
    },

    async update(sessionId: string, id: string, patch: MessagePatch): Promise<void> {
      await updateRow(db, sessionId, id, columns.patch(sessionId, id, patch));
    },

    async pending(sessionId: string): Promise<MessageRow[]> {
      const rows = await selectPending.rows(db, { sessionId, status: PENDING });
      return rows.map(toRow);
    },

    async pendingIds(sessionId: string): Promise<string[]> {
      const rows = await db.selectFrom('messages').select('id').where('session_id', '=', sessionId).where('status', '=', PENDING).execute();
      return rows.map((r) => r.id);
    },

    async sessionsWithPending(): Promise<string[]> {
      const rows = await db.selectFrom('messages').select('session_id').distinct().where('status', '=', PENDING).execute();
      return rows.map((r) => r.session_id);
    },

    async chats(sessionId: string, opts: { before?: number; limit: number }): Promise<ChatSummary[]> {
      let query = db
        .selectFrom('messages')
        .select((eb) => [
          'chat_jid',
          eb.fn.max('chat_alt').as('chat_alt'),
          eb.fn.max('wa_timestamp').as('last_ts'),
          eb.fn.countAll<number | string>().as('n'),
        ])
        .where('session_id', '=', sessionId)
        .groupBy('chat_jid');
      if (opts.before !== undefined) query = query.having((eb) => eb.fn.max('wa_timestamp'), '<', opts.before);
      const rows = await query.orderBy('last_ts', 'desc').orderBy('chat_jid').limit(opts.limit).execute();
      const out: ChatSummary[] = [];
      for (const r of rows) {
        const last = await db
          .selectFrom('messages')
          .select('id')
          .where('session_id', '=', sessionId)
          .where('chat_jid', '=', r.chat_jid)
          .orderBy('wa_timestamp', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        out.push({
          chatJid: r.chat_jid,
          chatAlt: (r.chat_alt as string | null) ?? null,
          lastMessageId: last?.id ?? '',
          lastTimestamp: Number(r.last_ts),
          messages: Number(r.n),
        });
      }
      return out;
    },

    async chatMessages(sessionId, chatJid, opts): Promise<MessageRow[]> {
      let query = db.selectFrom('messages').selectAll().where('session_id', '=', sessionId).where('chat_jid', '=', chatJid);
      const before = opts.before;
      if (before) {
        query = query.where((eb) =>
          eb.or([eb('wa_timestamp', '<', before.timestamp), eb.and([eb('wa_timestamp', '=', before.timestamp), eb('id', '<', before.id)])]),
        );
      }
      const rows = await query.orderBy('wa_timestamp', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
      return rows.map(toRow);
    },

    async deleteOlderThan(before: string): Promise<number> {
      const result = await db.deleteFrom('messages').where('created_at', '<', before).where('status', '!=', PENDING).executeTakeFirst();
      return Number(result.numDeletedRows ?? 0);
    },

    async expireIdempotencyKeys(before: string): Promise<void> {
      await db
        .updateTable('messages')
        .set({ idempotency_key: null, request_hash: null })
        .where('created_at', '<', before)
        .where('idempotency_key', 'is not', null)
        .execute();
    },
  };
}
