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

export type GatewayEventType =
  | 'session.created'
  | 'session.deleted'
  | 'connection.state'
  | 'auth.qr'
  | 'auth.pairing_code'
  | 'auth.pairing_failed'
  | 'auth.paired'
  | 'auth.logged_out'
  | 'message.received'
  | 'message.sent'
  | 'message.receipt'
  | 'message.failed';

/** One event; also the SSE payload (after seed 000's webhook shape). */
export interface GatewayEvent {
  /** Monotonic per process; used as the SSE id for Last-Event-ID resume. */
  id: number;
  type: GatewayEventType;
  sessionId: string;
  createdAt: string;
  data: Record<string, unknown>;
}

export interface CreateSessionInput {
  sessionId?: string;
  displayName?: string | null;
  deviceBrowser?: string;
}
