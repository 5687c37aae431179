/**
 * Migrations in code (no files to ship or find at run time). Each one is
 * written once per dialect difference only where the SQL types differ
 * (binary and auto-increment columns); never edit an applied migration,
 * add a new one.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Database, StoreDialect } from './schema.js';

function initial(dialect: StoreDialect): Migration {
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text')
        .addColumn('device_browser', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('lifetime_status', 'text', (c) => c.notNull())
        .addColumn('want_connected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('me_jid', 'text')
        .addColumn('me_lid', 'text')
        .addColumn('me_name', 'text')
        .addColumn('last_disconnect_code', 'integer')
        .addColumn('last_disconnect_reason', 'text')
        .addColumn('last_disconnect_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('connected_at', 'text')
        .execute();

      await db.schema
        .createTable('credentials')
        .addColumn('session_id', 'text', (c) => c.primaryKey().references('sessions.id').onDelete('cascade'))
        .addColumn('value', binary, (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('signal_keys')
        .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('value', binary, (c) => c.notNull())
        .addPrimaryKeyConstraint('signal_keys_pk', ['session_id', 'type', 'key_id'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.references('sessions.id').onDelete('cascade'))
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .execute();
      await db.schema.createIndex('api_keys_session_idx').on('api_keys').column('session_id').execute();

      // No foreign key: an event appended while its session is being deleted must not fail;
      // SessionRepo.delete removes a session's events explicitly.
      let events = db.schema.createTable('events');
      events =
        dialect === 'postgres'
          ? events.addColumn('id', 'bigserial', (c) => c.primaryKey())
          : events.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await events
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_session_id_idx').on('events').columns(['session_id', 'id']).execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', binary, (c) => c.notNull())
        .addColumn('secret', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

/** Pairing codes issued per phone number, so the rate limit survives a restart. */
const pairingCodeRequests: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('pairing_code_requests')
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('pairing_code_requests_at_idx').on('pairing_code_requests').column('requested_at').execute();
  },
};

/** Messages sent and received, with their status history; outgoing ones not yet sent are the send queue. */
function messages(dialect: StoreDialect): Migration {
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('messages')
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('chat_jid', 'text', (c) => c.notNull())
        .addColumn('chat_alt', 'text')
        .addColumn('sender_jid', 'text', (c) => c.notNull())
        .addColumn('sender_alt', 'text')
        .addColumn('from_me', 'integer', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('body', binary, (c) => c.notNull())
        .addColumn('payload', binary)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('statuses', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('reply_to', 'text')
        .addColumn('wa_timestamp', 'bigint', (c) => c.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('request_hash', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('messages_pk', ['session_id', 'id'])
        .execute();
      await db.schema.createIndex('messages_chat_idx').on('messages').columns(['session_id', 'chat_jid', 'wa_timestamp']).execute();
      await db.schema.createIndex('messages_status_idx').on('messages').columns(['session_id', 'status']).execute();
      await db.schema.createIndex('messages_created_idx').on('messages').column('created_at').execute();
      await db.schema
        .createIndex('messages_idempotency_idx')
        .on('messages')
        .columns(['session_id', 'idempotency_key'])
        .unique()
        .execute();
    },
  };
}

/**
 * Webhooks: endpoints, the delivery outbox (one row per event and endpoint,
 * written in the event's transaction) and per-session event sequences.
 * Event rows now carry the bus's id (inserted explicitly) and their seq.
 */
function webhooks(dialect: StoreDialect): Migration {
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('events').addColumn('seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema
        .createTable('event_sequences')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('last_event_id', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text')
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('secret', binary, (c) => c.notNull())
        .addColumn('previous_secret', binary)
        .addColumn('previous_secret_until', 'text')
        .addColumn('format', 'text', (c) => c.notNull().defaultTo('native'))
        .addColumn('options', 'text')
        .addColumn('failing_since', 'text')
        .addColumn('disabled_reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhooks_session_idx').on('webhooks').column('session_id').execute();
      let deliveries = db.schema.createTable('webhook_deliveries');
      deliveries =
        dialect === 'postgres'
          ? deliveries.addColumn('id', 'bigserial', (c) => c.primaryKey())
          : deliveries.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await deliveries
        .addColumn('event_id', 'bigint', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('webhook_deliveries_event_endpoint_uq', ['event_id', 'endpoint_id'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_endpoint_idx')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'id'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_status_idx')
        .on('webhook_deliveries')
        .columns(['status', 'endpoint_id', 'session_id', 'event_id'])
        .execute();
    },
  };
}

/**
 * Many nodes on one PostgreSQL: the nodes and their heartbeats (a node's
 * lease), each session's owner and fencing epoch, a change counter on
 * session rows (so a node can tell cheaply that its view is current) and the
 * short-lived feed that carries every node's events to every other node.
 * SQLite gets the same columns and tables (one schema), but no triggers: it
 * is single-node only.
 */
function cluster(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('address', 'text')
        .addColumn('slot', 'integer', (c) => c.notNull().unique())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .addColumn('draining', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('sessions').addColumn('owner_node', 'text').execute();
      await db.schema.alterTable('sessions').addColumn('owner_epoch', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('sessions').addColumn('rev', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createIndex('sessions_owner_idx').on('sessions').column('owner_node').execute();
      await db.schema.createIndex('sessions_rev_idx').on('sessions').column('rev').execute();
      await db.schema
        .createTable('cluster_events')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cluster_events_created_idx').on('cluster_events').column('created_at').execute();
      if (dialect !== 'postgres') return;
      // Every row change gets the next revision, and wakes the other nodes (after commit) with the session id.
      await sql`CREATE SEQUENCE sessions_rev_seq`.execute(db);
      await sql`
        CREATE FUNCTION wagate_session_rev() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.rev := nextval('sessions_rev_seq'); RETURN NEW; END $$`.execute(db);
      await sql`
        CREATE FUNCTION wagate_session_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('wagate_s_' || current_schema(), COALESCE(NEW.id, OLD.id));
          RETURN NULL;
        END $$`.execute(db);
      await sql`CREATE TRIGGER sessions_rev BEFORE INSERT OR UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION wagate_session_rev()`.execute(db);
      await sql`CREATE TRIGGER sessions_notify AFTER INSERT OR UPDATE OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION wagate_session_notify()`.execute(
        db,
      );
    },
  };
}

/**
 * Webhooks on many nodes: a pending delivery is claimed by the node about to
 * send it (`claimed_by`, held while that node's lease is live and cleared
 * with the attempt's result), so two nodes never send it at once; and a
 * change of an endpoint wakes the other nodes (PostgreSQL), which keep the
 * endpoint table in memory to match events against.
 */
function webhookClaims(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('webhook_deliveries').addColumn('claimed_by', 'text').execute();
      if (dialect !== 'postgres') return;
      await sql`
        CREATE FUNCTION wagate_webhook_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('wagate_h_' || current_schema(), COALESCE(NEW.id, OLD.id));
          RETURN NULL;
        END $$`.execute(db);
      await sql`CREATE TRIGGER webhooks_notify AFTER INSERT OR UPDATE OR DELETE ON webhooks FOR EACH ROW EXECUTE FUNCTION wagate_webhook_notify()`.execute(db);
    },
  };
}

/**
 * Short-lived state that must be the same on every node (dashboard
 * sign-ins, one-time codes and their attempt counts, GOWA's QR images, the
 * wrong-key throttle): one keyed table with an expiry, a counter and a value.
 * And the session of each event in the cluster feed, for a resuming stream.
 */
function sharedState(dialect: StoreDialect): Migration {
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('shared_state')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', binary, (c) => c.notNull())
        .addColumn('secret', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('n', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('shared_state_expires_idx').on('shared_state').column('expires_at').execute();
      // A stream of one session resuming on another node reads that session's events only (by index).
      await db.schema.alterTable('cluster_events').addColumn('session_id', 'text').execute();
      await db.schema.createIndex('cluster_events_session_idx').on('cluster_events').columns(['session_id', 'id']).execute();
    },
  };
}

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '0001_initial': initial(dialect),
        '0002_pairing_code_requests': pairingCodeRequests,
        '0003_messages': messages(dialect),
        '0004_webhooks': webhooks(dialect),
        '0005_cluster': cluster(dialect),
        '0006_webhook_claims': webhookClaims(dialect),
        '0007_shared_state': sharedState(dialect),
      };
    },
  };
}

/** Applies pending migrations; returns the names applied now. Throws on failure. */
export async function migrateToLatest(db: Kysely<Database>, dialect: StoreDialect): Promise<string[]> {
  // Kysely looks for its own tables in every schema unless told which one: with
  // another wagate (or any Kysely user) in a neighbouring schema of the same
  // database it would skip creating them here and then fail to find them.
  const migrationTableSchema = dialect === 'postgres' ? await currentSchema(db) : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), migrationTableSchema });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL has no current schema: set search_path to the schema wagate should use');
  return schema;
}
