/**
 * The database schema as Kysely sees it. Booleans are integers (0/1) and
 * times are ISO-8601 text in both dialects, so one schema serves SQLite and
 * PostgreSQL unchanged. Encrypted values are binary (BLOB / bytea).
 */
import type { Generated } from 'kysely';

export interface SessionsTable {
  id: string;
  display_name: string | null;
  device_browser: string;
  state: string;
  lifetime_status: string;
  want_connected: number;
  me_jid: string | null;
  me_lid: string | null;
  me_name: string | null;
  last_disconnect_code: number | null;
  last_disconnect_reason: string | null;
  last_disconnect_at: string | null;
  created_at: string;
  updated_at: string;
  connected_at: string | null;
  /** The node holding the session's live connection (null: none). */
  owner_node: Generated<string | null>;
  /** Bumped by every claim: the owner's writes are conditional on it (fencing). */
  owner_epoch: Generated<number | string>;
  /** PostgreSQL: set from a sequence on every change (a trigger); lets a node tell its view is current. */
  rev: Generated<number | string>;
}

export interface NodesTable {
  id: string;
  /** Where other nodes reach this one's HTTP API (forwarded commands). */
  address: string | null;
  /** Unique among nodes: the residue of the event ids this node allocates. */
  slot: number;
  started_at: number | string;
  /** Database clock, epoch ms: the lease runs until heartbeat_at + lease. */
  heartbeat_at: number | string;
  draining: number;
}

/** Events on their way to the other nodes (kept minutes, not a history). */
export interface ClusterEventsTable {
  id: number | string;
  node_id: string;
  /** Null on rows from before migration 0006. */
  session_id: string | null;
  payload: string;
  created_at: number | string;
}

/** Short-lived state every node shares (sign-ins, one-time codes, QR images, counters); see sharedStateRepo.ts. */
export interface SharedStateTable {
  key: string;
  /** utf8 text, or (secret = 1) encrypted and bound to the key. */
  value: Buffer;
  secret: number;
  n: number | string;
  /** Epoch ms. */
  expires_at: number | string;
}

export interface CredentialsTable {
  session_id: string;
  value: Buffer;
  updated_at: string;
}

export interface SignalKeysTable {
  session_id: string;
  type: string;
  key_id: string;
  value: Buffer;
}

export interface ApiKeysTable {
  id: string;
  session_id: string | null;
  hash: string;
  label: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface EventsTable {
  // bigserial comes back from pg as a string; the repo converts it.
  id: Generated<number | string>;
  session_id: string;
  type: string;
  data: string;
  created_at: string;
  /** Per-session sequence (0 for rows written before webhooks existed). */
  seq: Generated<number>;
}

/** Last durable event sequence and id per session, bumped in the event's transaction. */
export interface EventSequencesTable {
  session_id: string;
  seq: number;
  last_event_id: number | string;
}

export interface WebhooksTable {
  id: string;
  /** null = every session (admin); else only this session's events. */
  session_id: string | null;
  url: string;
  /** JSON array of event types, or ["*"]. */
  events: string;
  enabled: number;
  /** Encrypted `whsec_…`. */
  secret: Buffer;
  /** The secret before the last rotation, signed with too until `previous_secret_until`. */
  previous_secret: Buffer | null;
  previous_secret_until: string | null;
  /** Body shape and signature headers: `native` (Standard Webhooks + WADial), or a dialect's. */
  format: string;
  /** JSON of format-specific options (e.g. WAHA's HMAC key, encrypted separately when secret). */
  options: string | null;
  failing_since: string | null;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number | string>;
  event_id: number | string;
  endpoint_id: string;
  session_id: string;
  event_type: string;
  seq: number;
  /** The JSON body sent (the event), fixed at creation so retries send the same bytes. */
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number | string;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  created_at: string;
  /** Cluster mode: the node sending it now (its attempt in flight); null otherwise. */
  claimed_by: Generated<string | null>;
}

export interface SettingsTable {
  key: string;
  /** UTF-8 text, or an encrypted blob when `secret` is 1. */
  value: Buffer;
  secret: number;
  updated_at: string;
}

export interface PairingCodeRequestsTable {
  phone: string;
  requested_at: string;
}

export interface MessagesTable {
  session_id: string;
  id: string;
  chat_jid: string;
  chat_alt: string | null;
  sender_jid: string;
  sender_alt: string | null;
  from_me: number;
  content_type: string;
  /** Encrypted JSON: the content as shown (text, caption, media reference). */
  body: Buffer;
  /** Encrypted JSON: what is still to be sent (media bytes included); null once sent. */
  payload: Buffer | null;
  status: string;
  /** JSON array of {status, at, reason?}. */
  statuses: string;
  error: string | null;
  reply_to: string | null;
  /** WhatsApp's timestamp (epoch seconds); pg returns bigint as a string. */
  wa_timestamp: number | string;
  idempotency_key: string | null;
  request_hash: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}

export interface Database {
  sessions: SessionsTable;
  credentials: CredentialsTable;
  signal_keys: SignalKeysTable;
  api_keys: ApiKeysTable;
  events: EventsTable;
  settings: SettingsTable;
  pairing_code_requests: PairingCodeRequestsTable;
  messages: MessagesTable;
  event_sequences: EventSequencesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  nodes: NodesTable;
  cluster_events: ClusterEventsTable;
  shared_state: SharedStateTable;
}

export type StoreDialect = 'sqlite' | 'postgres';
