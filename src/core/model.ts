/**
 * The shapes the core shows to the API layers (native API, dialects,
 * dashboard). Dialects translate these; they never look past them.
 */

import type { ConnectionState, LifetimeStatus, SessionState } from '../domain/sessionState.js';

export type { ConnectionState, LifetimeStatus, SessionState };
export { CONNECTION_STATES, LINKING_STATES, RUNNING_STATES, SESSION_STATES } from '../domain/sessionState.js';

export interface LastDisconnect {
  /** Engine close code (WhatsApp stream error code, e.g. 401, 408, 440, 515), or null when we closed it. */
  code: number | null;
  reason: string;
  at: string; // ISO time
}

export interface LinkedAccount {
  /** Device JID, e.g. `15551234567:7@s.whatsapp.net`. */
  jid: string;
  lid: string | null;
  /** Phone number in E.164 digits without '+', e.g. `15551234567`. */
  phoneNumber: string;
  name: string | null;
}

export interface SessionView {
  sessionId: string;
  displayName: string | null;
  deviceBrowser: string;
  status: LifetimeStatus;
  state: SessionState;
  connectionState: ConnectionState;
  /** Credentials exist (the device is linked). */
  paired: boolean;
  /** A runtime is loaded. */
  active: boolean;
  /** Ready to send. */
  connected: boolean;
  me: LinkedAccount | null;
  qrAvailable: boolean;
  lastDisconnect: LastDisconnect | null;
  createdAt: string;
  updatedAt: string;
  connectedAt: string | null;
}

export interface QrInfo {
  /** Raw QR payload as the engine builds it (`2@…,noiseKey,identityKey,advSecret,platform` or the wa.me URL form). */
  qr: string;
  ttlMs: number;
  createdAt: string;
  expiresAt: string;
}

export interface PairingCodeInfo {
  /** `ABCD-1234` (8 characters, dash after 4). */
  code: string;
  phoneNumber: string;
  ttlMs: number;
  createdAt: string;
  expiresAt: string;
}

export interface GroupInfo {
  id: string; // `120363…@g.us`
  subject: string;
  participants: number;
}

export interface GroupDetails {
  id: string;
  subject: string;
  description: string | null;
  owner: string | null;
  createdAt: string | null;
  participants: Array<{ jid: string; phoneNumber: string | null; lid: string | null; admin: 'admin' | 'superadmin' | null }>;
}

/**
 * Every event type, in one list: the SSE stream, the persisted history and
 * webhook subscriptions all derive their sets from it.
 */
export const GATEWAY_EVENT_TYPES = [
  'session.created',
  'session.deleted',
  'connection.state',
  'auth.qr',
  'auth.pairing_code',
  'auth.pairing_failed',
  'auth.paired',
  'auth.logged_out',
  'message.received',
  'message.sent',
  'message.receipt',
  'message.failed',
  'webhook.disabled',
] as const;

export type GatewayEventType = (typeof GATEWAY_EVENT_TYPES)[number];

/**
 * Events that are never written down: a QR payload is a live secret (whoever
 * holds it can link the account) that expires within a minute, so it is neither
 * persisted nor offered to webhooks; clients read it from SSE or GET …/auth/qr.
 */
export const TRANSIENT_EVENT_TYPES: ReadonlySet<GatewayEventType> = new Set(['auth.qr']);

/** Types a webhook may subscribe to: every durable event. */
export const WEBHOOK_EVENT_TYPES: readonly GatewayEventType[] = GATEWAY_EVENT_TYPES.filter((t) => !TRANSIENT_EVENT_TYPES.has(t));

/** One event; also the SSE payload and the webhook body (after WADial's webhook shape). */
export interface GatewayEvent {
  /** Increasing across restarts; the SSE id (Last-Event-ID), the history row id and the webhook id. */
  id: number;
  type: GatewayEventType;
  sessionId: string;
  /**
   * Per-session sequence of durable events (1, 2, 3 …, kept across restarts).
   * A transient event (auth.qr) carries the seq of the durable event before it.
   */
  seq: number;
  createdAt: string;
  data: Record<string, unknown>;
}

export interface CreateSessionInput {
  sessionId?: string;
  displayName?: string | null;
  deviceBrowser?: string;
}
