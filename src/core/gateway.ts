/**
 * What the API layers (native API, dialects, dashboard, sandbox routes) may
 * call. `SessionManager` implements `SessionService`; `ApiKeyService` checks
 * keys; `EventBus` fans events out to SSE. A dialect imports from here and
 * from ./model.js and ./errors.js, and from nothing deeper.
 */
import type {
  CreateSessionInput,
  GatewayEvent,
  GroupDetails,
  GroupInfo,
  PairingCodeInfo,
  QrInfo,
  SessionState,
  SessionView,
} from './model.js';
import type { ChatView, MessageView, NumberCheck, Page, SendMessageInput } from './messaging/model.js';
import type { WebhookService } from './webhooks/types.js';

export interface SessionService {
  /** 201 semantics. Throws INVALID_SESSION_ID, SESSION_EXISTS. Generated ids are UUIDv7. */
  create(input: CreateSessionInput): Promise<SessionView>;
  list(): SessionView[];
  /** Throws SESSION_NOT_FOUND. */
  get(sessionId: string): SessionView;
  has(sessionId: string): boolean;
  /** Logs out when paired, then removes the session and its data. */
  delete(sessionId: string): Promise<void>;
  /**
   * Start the runtime (first pairing) or reconnect a paired session with its
   * credentials. Idempotent: a second call while connecting returns the current view.
   * A session in logged_out / conflict / error starts afresh.
   */
  connect(sessionId: string): Promise<SessionView>;
  /** Close the runtime and keep credentials → inactive (or created when never paired). */
  disconnect(sessionId: string): Promise<SessionView>;
  /** Unlink the device and wipe credentials → logged_out. */
  logout(sessionId: string): Promise<SessionView>;
  /**
   * The current QR. Throws ALREADY_PAIRED when paired, SESSION_NOT_READY
   * (details: {state, expected: ['qr']}) when no QR exists yet.
   */
  getQr(sessionId: string): QrInfo;
  /**
   * Wait up to timeoutMs for a QR (for dialects whose login call starts the
   * connection itself). Starts the connection when it is not running.
   */
  waitForQr(sessionId: string, timeoutMs: number): Promise<QrInfo>;
  /**
   * Normalises and validates the number, enforces the rate limits, asks the
   * engine for a code. Throws INVALID_PHONE_NUMBER, ALREADY_PAIRED,
   * SESSION_NOT_READY (not connecting), PAIRING_RATE_LIMITED (retryAfterSeconds).
   */
  requestPairingCode(sessionId: string, phoneNumber: string): Promise<PairingCodeInfo>;
  /** Like requestPairingCode, but starts the connection and waits for it to be ready first. */
  connectAndRequestPairingCode(sessionId: string, phoneNumber: string, timeoutMs: number): Promise<PairingCodeInfo>;
  /** Wait until the session reaches one of `states` (or throws TIMEOUT). */
  waitForState(sessionId: string, states: SessionState[], timeoutMs: number): Promise<SessionView>;
  groups(sessionId: string): Promise<GroupInfo[]>;
  /** One group's metadata and participants. Throws SESSION_NOT_READY, ENGINE_ERROR (no such group). */
  group(sessionId: string, groupId: string): Promise<GroupDetails>;
  sendText(sessionId: string, to: string, text: string): Promise<{ messageId: string }>;
  /** Engine connection id (base64 Noise key) of the running runtime, for the sandbox's fault injection. */
  connectionKey(sessionId: string): string | null;
}

/** Sending, receiving and reading messages (src/core/messaging). */
export interface MessagingApi {
  /**
   * Validate, refuse what cannot be sent (SESSION_NOT_READY, NOT_ON_WHATSAPP, INVALID_MEDIA …) before
   * anything is stored, then queue durably. `replayed`: an earlier request with this Idempotency-Key answered.
   */
  send(sessionId: string, input: SendMessageInput, idempotencyKey?: string): Promise<{ message: MessageView; replayed: boolean }>;
  get(sessionId: string, messageId: string): Promise<MessageView>;
  chats(sessionId: string, before: string | undefined, limit: number): Promise<Page<ChatView>>;
  chatMessages(sessionId: string, chatId: string, before: string | undefined, limit: number): Promise<Page<MessageView>>;
  media(sessionId: string, messageId: string): Promise<{ bytes: Buffer; mimetype: string; fileName: string | null }>;
  markRead(sessionId: string, chatId: string, messageIds?: string[]): Promise<{ read: number }>;
  presence(sessionId: string, state: 'available' | 'unavailable' | 'composing' | 'recording' | 'paused', chatId: string | null): Promise<void>;
  /**
   * Which of these phone numbers (any common notation) have WhatsApp, with their JID and LID, in the
   * order given. Throws INVALID_PHONE_NUMBER, VALIDATION_FAILED (none, or more than 50), SESSION_NOT_READY.
   */
  checkNumbers(sessionId: string, phones: readonly string[]): Promise<NumberCheck[]>;
}

export type EventListener = (event: GatewayEvent) => void;

export interface EventBus {
  /** Subscribe to all events (sessionId undefined) or one session's. Returns unsubscribe. */
  subscribe(sessionId: string | undefined, listener: EventListener): () => void;
  /** Buffered events after `lastEventId` (bounded buffer), oldest first. */
  replay(sessionId: string | undefined, lastEventId: number): GatewayEvent[];
  /** True when replay() after `lastEventId` misses nothing (every later event is still buffered). */
  covers(lastEventId: number): boolean;
  /** The last event id handed out, and the session's last durable seq: where a snapshot stands. */
  position(sessionId?: string): { id: number; seq: number };
  /** Persisted history of one session (state changes with reasons), newest last. */
  history(sessionId: string, limit: number): Promise<GatewayEvent[]>;
  /**
   * Every event after `lastEventId` this node can still find, oldest first:
   * its buffer, and with many nodes the shared event feed too (events this
   * node never saw). `missed`: some later events are no longer kept.
   */
  resume(sessionId: string | undefined, lastEventId: number): Promise<{ events: GatewayEvent[]; missed: boolean }>;
}

export type Principal = { kind: 'admin' } | { kind: 'session'; sessionId: string; keyId: string };

export interface ApiKeyInfo {
  keyId: string;
  sessionId: string | null;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ApiKeyService {
  /** Resolve a presented key; undefined when unknown. */
  verify(key: string): Promise<Principal | undefined>;
  /**
   * New session-scoped key; the plain key is returned once. `opts.key`: a key
   * the client chose (16–256 characters, not in use; else BAD_REQUEST).
   */
  createSessionKey(sessionId: string, label?: string | null, opts?: { key?: string }): Promise<ApiKeyInfo & { key: string }>;
  listSessionKeys(sessionId: string): Promise<ApiKeyInfo[]>;
  /** Throws KEY_NOT_FOUND. */
  revokeSessionKey(sessionId: string, keyId: string): Promise<void>;
}

/** Everything an API plugin receives. */
export interface GatewayCore {
  sessions: SessionService;
  messages: MessagingApi;
  events: EventBus;
  apiKeys: ApiKeyService;
  webhooks: WebhookService;
  /** True in sandbox mode. */
  sandbox: boolean;
  /**
   * A stable secret for one purpose (e.g. 'gomulti-jwt'), derived from the
   * master key, the same after every restart and on every node.
   */
  deriveSecret(purpose: string): Buffer;
  /** Small persisted settings (e.g. the dashboard's TOTP secret); `secret` values are encrypted at rest. */
  settings: GatewaySettings;
  /** Short-lived state every node sees alike (sign-ins, one-time codes, QR images, throttles). */
  shared: SharedState;
}

export interface SharedStateEntry {
  value: string;
  n: number;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * Keyed short-lived state in the store, so every node sees the same.
 * `now` is the caller's clock (epoch ms): an entry with `expiresAt <= now`
 * is gone. Put a hash, never a bearer token, in a key; `secret` values are
 * encrypted at rest. Each check-and-change is atomic across nodes.
 */
export interface SharedState {
  get(key: string, now: number): Promise<SharedStateEntry | undefined>;
  put(key: string, entry: { value?: string; n?: number; expiresAt: number }, opts?: { secret?: boolean }): Promise<void>;
  /** True when this call created the entry (no live one held the key). */
  putIfAbsent(key: string, entry: { value?: string; n?: number; expiresAt: number }, now: number, opts?: { secret?: boolean }): Promise<boolean>;
  /** Delete a live entry (whose plain value is `value`, when given); true for exactly one caller. */
  take(key: string, now: number, value?: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** n + 1 on a live entry, else 1 with `expiresAt` (a fixed window). */
  increment(key: string, expiresAt: number, now: number): Promise<{ n: number; expiresAt: number }>;
  /** Store n when above the live entry's (or none); true when stored. */
  raise(key: string, n: number, expiresAt: number, now: number): Promise<boolean>;
}

export interface GatewaySettings {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, opts?: { secret?: boolean }): Promise<void>;
  delete(key: string): Promise<void>;
}
