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
}

export type StoreDialect = 'sqlite' | 'postgres';
