/**
 * The store boundary. One schema serves SQLite (default, better-sqlite3)
 * and PostgreSQL (pg), both through Kysely. Credentials and every Signal key
 * are encrypted at rest (AES-256-GCM) inside the store; callers see plain
 * strings. Values are opaque JSON strings produced by the engine adapter.
 *
 * ~400 lines on purpose: declarations only (rows and one interface per
 * repository), kept together so the whole boundary the core and the
 * engine may rely on reads in one place.
 */
import type { LifetimeStatus, SessionState } from '../domain/sessionState.js';
import type { ClusterRepo } from './clusterRepo.js';

export interface SessionRow {
  id: string;
  displayName: string | null;
  deviceBrowser: string;
  state: SessionState;
  lifetimeStatus: LifetimeStatus;
  /** True when the session should be connected after a restart (cleared by disconnect/logout). */
  wantConnected: boolean;
  meJid: string | null;
  meLid: string | null;
  meName: string | null;
  lastDisconnectCode: number | null;
  lastDisconnectReason: string | null;
  lastDisconnectAt: string | null;
  createdAt: string;
  updatedAt: string;
  connectedAt: string | null;
}

export type SessionPatch = Partial<Omit<SessionRow, 'id' | 'createdAt'>>;

/** The owner and epoch a write is conditional on (cluster mode); StoreError FENCED when they are stale. */
export interface Fence {
  nodeId: string;
  epoch: number;
}

/** The fence of a writer whose epoch may change (a re-claim); undefined = an unconditional write. */
export type FenceSource = () => Fence | undefined;

export interface SessionRepo {
  /** Throws StoreError DUPLICATE when the id is taken. */
  create(row: SessionRow): Promise<void>;
  get(id: string): Promise<SessionRow | undefined>;
  list(): Promise<SessionRow[]>;
  /** With `fence`, only while the session is still owned by it (else StoreError FENCED). */
  update(id: string, patch: SessionPatch, fence?: Fence): Promise<void>;
  /** Removes the session and everything belonging to it (credentials, keys, scoped API keys, events). */
  delete(id: string): Promise<void>;
}

/** One key write: value null deletes. */
export interface KeyWrite {
  type: string;
  id: string;
  value: string | null;
}

/** Per-session credential storage, the shape the engine's auth state needs. */
export interface AuthStore {
  readonly sessionId: string;
  readCreds(): Promise<string | null>;
  writeCreds(json: string): Promise<void>;
  readKeys(type: string, ids: string[]): Promise<Record<string, string>>;
  /** All writes in one transaction: a crash never leaves half of them. */
  writeKeys(writes: KeyWrite[]): Promise<void>;
  /** True when credentials exist. */
  hasCreds(): Promise<boolean>;
  /** Remove credentials and every key of this session (logout). */
  wipe(): Promise<void>;
  /**
   * A fresh start: remove every key of this session and store these
   * credentials in their place, in one transaction (what wipe + writeCreds
   * do, in one commit instead of two).
   */
  replaceCreds(json: string): Promise<void>;
}

export interface AuthRepo {
  /** With `fence`, every write is conditional on the session's owner and epoch (StoreError FENCED). */
  forSession(sessionId: string, fence?: FenceSource): AuthStore;
}

export interface ApiKeyRow {
  id: string;
  /** null = admin key; otherwise the key works only for this session. */
  sessionId: string | null;
  /** SHA-256 hex of the key; the key itself is never stored. */
  hash: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ApiKeyRepo {
  create(row: ApiKeyRow): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRow | undefined>;
  /** Replace a key's stored hash (upgrading an older hash form). */
  updateHash(id: string, hash: string): Promise<void>;
  listForSession(sessionId: string | null): Promise<ApiKeyRow[]>;
  delete(id: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
}

export interface EventRow {
  id?: number;
  sessionId: string;
  type: string;
  /** JSON */
  data: string;
  createdAt: string;
  seq?: number;
}

/** One durable event as the bus commits it: its id and seq are the bus's. */
export interface DurableEvent {
  id: number;
  sessionId: string;
  type: string;
  seq: number;
  createdAt: string;
  /** JSON of `data`, for the history row. */
  data: string;
  /** false = not part of the audit history (outbox and sequence only). */
  history: boolean;
}

/** A webhook delivery to create with its event (status pending, no attempt yet). */
export interface NewDelivery {
  eventId: number;
  endpointId: string;
  sessionId: string;
  eventType: string;
  seq: number;
  payload: string;
  createdAt: string;
}

/** A message row written with the event that describes it: a new row (kept as is if the id exists), or a change. */
export type MessageWrite =
  | { kind: 'insert'; row: MessageRow }
  | { kind: 'update'; sessionId: string; id: string; patch: MessagePatch };

/** What one transaction writes: optionally a session row change or message rows, the events, their deliveries. */
export interface EventBatch {
  session?: { id: string; patch: SessionPatch; fence?: Fence };
  messages?: MessageWrite[];
  events: DurableEvent[];
  deliveries: NewDelivery[];
}

export interface EventRepo {
  append(row: EventRow): Promise<void>;
  /** Newest last. */
  list(sessionId: string, limit: number): Promise<EventRow[]>;
  /** Every batch in one transaction, in order. */
  commit(batches: readonly EventBatch[]): Promise<void>;
  /**
   * Highest event id used or reserved and, per session, the last seq (to
   * continue after a restart).
   */
  sequences(): Promise<{ lastEventId: number; seqBySession: Map<string, number> }>;
  /**
   * Record that ids up to `through` may be handed out, so that a restart
   * continues after them even when the events carrying them (auth.qr) were
   * never stored. Never lowers the mark.
   */
  reserveIds(through: number): Promise<void>;
  /** One session's last committed seq (a node taking the session over continues after it). */
  sequenceOf(sessionId: string): Promise<number>;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookEndpointRow {
  id: string;
  sessionId: string | null;
  url: string;
  events: string[];
  enabled: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: string | null;
  format: string;
  options: Record<string, unknown> | null;
  failingSince: string | null;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export type WebhookEndpointPatch = Partial<Omit<WebhookEndpointRow, 'id' | 'createdAt'>>;

export interface DeliveryRow {
  id: number;
  eventId: number;
  endpointId: string;
  sessionId: string;
  eventType: string;
  seq: number;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  /** Epoch ms of the next attempt (pending only). */
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string;
  /**
   * Cluster mode: the node that claimed the delivery for this attempt. The
   * update then applies only while the delivery is still pending and claimed
   * by that node (two nodes can never both record a result), and it lets the
   * claim go.
   */
  claimedBy?: string;
}

export interface WebhookRepo {
  /** Throws StoreError DUPLICATE when the id is taken. */
  create(row: WebhookEndpointRow): Promise<void>;
  list(): Promise<WebhookEndpointRow[]>;
  update(id: string, patch: WebhookEndpointPatch): Promise<void>;
  /** Removes the endpoint and its deliveries. */
  delete(id: string): Promise<boolean>;
  /** Removes a session's endpoints and their deliveries. */
  deleteForSession(sessionId: string): Promise<void>;
  insertDelivery(row: NewDelivery): Promise<number>;
  /** By (event, endpoint), all in one transaction; per update, whether it applied (a claimed one may not). */
  updateDeliveries(updates: ReadonlyArray<DeliveryUpdate & { eventId: number; endpointId: string }>): Promise<boolean[]>;
  /** One endpoint as stored now (cluster mode: another node changed it). */
  find(id: string): Promise<WebhookEndpointRow | undefined>;
  getDelivery(id: number): Promise<DeliveryRow | undefined>;
  /** Newest first; `before` is a delivery id cursor. */
  listDeliveries(endpointId: string, opts: { before?: number; limit: number; status?: DeliveryStatus }): Promise<DeliveryRow[]>;
  /** The (endpoint, session) pairs with pending deliveries. */
  pendingLanes(): Promise<Array<{ endpointId: string; sessionId: string }>>;
  /** A lane's pending deliveries with an event id after `afterEventId`, oldest first. */
  pendingInLane(endpointId: string, sessionId: string, afterEventId: number, limit: number): Promise<DeliveryRow[]>;
  /** Failed deliveries of an endpoint created in [from, to), set back to pending now; returns them. */
  requeueFailed(endpointId: string, from: string, to: string, limit: number): Promise<DeliveryRow[]>;
  /** How many deliveries are pending, and when the oldest was created (null when none). */
  pendingSummary(): Promise<{ count: number; oldestCreatedAt: string | null }>;
  /** Deletes delivered rows created before `deliveredBefore` and failed ones before `failedBefore`. */
  purge(deliveredBefore: string, failedBefore: string): Promise<number>;
}

/** Small key/value settings (e.g. admin key hash, TOTP secret), encrypted when `secret` is set. */
export interface SettingsRepo {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, opts?: { secret?: boolean }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** One live row of shared short-lived state. */
export interface SharedStateEntry {
  value: string;
  n: number;
  /** Epoch ms. */
  expiresAt: number;
}

export interface SharedStatePut {
  value?: string;
  n?: number;
  expiresAt: number;
}

/**
 * Short-lived state every node sees alike (sharedStateRepo.ts). `now` is the
 * caller's clock (epoch ms): rows with `expiresAt <= now` count as absent.
 */
export interface SharedStateRepo {
  get(key: string, now: number): Promise<SharedStateEntry | undefined>;
  /** Create or replace. `secret`: the value is encrypted at rest. */
  put(key: string, entry: SharedStatePut, opts?: { secret?: boolean }): Promise<void>;
  /** Create unless a live row holds the key; true when this call created it. */
  putIfAbsent(key: string, entry: SharedStatePut, now: number, opts?: { secret?: boolean }): Promise<boolean>;
  /** Delete a live row (whose plain value is `value`, when given); true for exactly one caller. */
  take(key: string, now: number, value?: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Count one: a live row's n + 1, else 1 with `expiresAt` (a fixed window). */
  increment(key: string, expiresAt: number, now: number): Promise<{ n: number; expiresAt: number }>;
  /** Store n when it is above the live row's (or there is none); true when stored. */
  raise(key: string, n: number, expiresAt: number, now: number): Promise<boolean>;
  /** Delete expired rows; how many. */
  purgeExpired(now: number): Promise<number>;
}

/** Pairing codes issued, by phone number (the pairing-code rate limit's memory). */
export interface PairingRequestRepo {
  record(phone: string, requestedAt: string): Promise<void>;
  /** Every request at or after `since` (ISO time), oldest first. */
  since(since: string, phone?: string): Promise<Array<{ phone: string; requestedAt: string }>>;
}

export interface MessageStatusEntry {
  status: string;
  /** ISO time. */
  at: string;
  reason?: string;
  participant?: string;
}

export interface MessageRow {
  sessionId: string;
  id: string;
  chatJid: string;
  chatAlt: string | null;
  senderJid: string;
  senderAlt: string | null;
  fromMe: boolean;
  contentType: string;
  /** JSON of the content as shown (stored encrypted). */
  body: string;
  /** JSON of what is still to be sent (stored encrypted); null once sent or for received messages. */
  payload: string | null;
  status: string;
  statuses: MessageStatusEntry[];
  error: string | null;
  replyTo: string | null;
  /** Epoch seconds. */
  waTimestamp: number;
  idempotencyKey: string | null;
  requestHash: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

export type MessagePatch = Partial<Pick<MessageRow, 'status' | 'statuses' | 'error' | 'payload' | 'attempts' | 'waTimestamp' | 'updatedAt'>>;

export interface ChatSummary {
  chatJid: string;
  chatAlt: string | null;
  lastMessageId: string;
  /** Epoch seconds of the newest message. */
  lastTimestamp: number;
  messages: number;
}

export interface MessageRepo {
  /** Throws StoreError DUPLICATE when (sessionId, id) or (sessionId, idempotencyKey) is taken. */
  insert(row: MessageRow): Promise<void>;
  get(sessionId: string, id: string): Promise<MessageRow | undefined>;
  byIdempotencyKey(sessionId: string, key: string): Promise<MessageRow | undefined>;
  update(sessionId: string, id: string, patch: MessagePatch): Promise<void>;
  /** Outgoing messages still to send, oldest first. */
  pending(sessionId: string): Promise<MessageRow[]>;
  /** The ids of those messages only (a cheap count of a session's send backlog after a start). */
  pendingIds(sessionId: string): Promise<string[]>;
  /** Sessions with outgoing messages still to send. */
  sessionsWithPending(): Promise<string[]>;
  /** Chats by newest message first; `before` is an epoch-seconds cursor. */
  chats(sessionId: string, opts: { before?: number; limit: number }): Promise<ChatSummary[]>;
  /** One chat's messages, newest first, strictly older than `before` (epoch seconds, id tiebreak). */
  chatMessages(sessionId: string, chatJid: string, opts: { before?: { timestamp: number; id: string }; limit: number }): Promise<MessageRow[]>;
  /** Removes messages created before `before` (ISO); returns how many. */
  deleteOlderThan(before: string): Promise<number>;
  /** Forget idempotency keys of messages created before `before` (ISO). */
  expireIdempotencyKeys(before: string): Promise<void>;
}

/** PostgreSQL only: what many nodes on one database share (src/store/clusterRepo.ts). */
export interface ClusterStore extends ClusterRepo {
  /** LISTEN on `channels` on a connection of its own; `onReconnect` after a lost connection came back. */
  listen(channels: string[], onNotify: (channel: string, payload: string) => void, onReconnect: () => void): Promise<{ close(): Promise<void> }>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Set on PostgreSQL (many nodes may share it); undefined on SQLite (one node). */
  readonly cluster: ClusterStore | undefined;
  readonly sessions: SessionRepo;
  readonly auth: AuthRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly events: EventRepo;
  readonly settings: SettingsRepo;
  readonly pairingRequests: PairingRequestRepo;
  readonly sharedState: SharedStateRepo;
  readonly messages: MessageRepo;
  readonly webhooks: WebhookRepo;
  /** A stable 32-byte secret for one purpose, derived (HKDF) from the master key, or as pinned by a key rotation. */
  deriveSecret(purpose: string): Buffer;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `sqlite:<path>` (default `sqlite:./data/wagate.db`) or `postgres://…`. */
  url: string;
  /** Directory for the SQLite file and the generated master key file. */
  dataDir: string;
  /** 32-byte key as 64 hex chars or base64; else read/generate `<dataDir>/master.key` (0600). */
  masterKey?: string;
  /** PostgreSQL: a direct connection for LISTEN when `url` goes through a transaction-mode pooler. */
  listenUrl?: string;
}
export type { OwnedRow, NodeRow, ClusterEventRow } from './clusterRepo.js';
