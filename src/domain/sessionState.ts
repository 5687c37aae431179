/**
 * The words every layer shares about a session's state. This is the one
 * list of session states: the store persists them, the core moves between
 * them, metrics, schemas and dialects derive their lists from here. It lives
 * outside the core so the store and the engine can use it without importing
 * the core.
 */

/** Our fine-grained session states, in the order a session usually meets them. */
export const SESSION_STATES = [
  'created', // never connected, no runtime
  'connecting', // runtime started, socket opening / logging in / restarting
  'qr', // unpaired, waiting for a QR scan
  'pairing_code', // unpaired, a pairing code was issued, waiting for it to be entered
  'connected', // logged in and ready
  'inactive', // paired, no runtime (after disconnect or before restore)
  'logged_out', // credentials were removed (logout or removed from the phone)
  'conflict', // another connection replaced this one (440); not retried
  'error', // gave up (e.g. QR refs ran out, fatal engine error)
] as const;

export type SessionState = (typeof SESSION_STATES)[number];

/** WADial's coarse connection state. */
export const CONNECTION_STATES = ['created', 'connecting', 'connected', 'inactive', 'disconnected', 'error'] as const;

export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** WADial's lifetime status: `connected` once the session ever connected. */
export const LIFETIME_STATUSES = ['created', 'connected'] as const;

export type LifetimeStatus = (typeof LIFETIME_STATUSES)[number];

/** States in which a runtime (engine connection) is expected to exist. */
export const RUNNING_STATES: readonly SessionState[] = ['connecting', 'qr', 'pairing_code', 'connected'];

/** States a user is waiting in to link the device. */
export const LINKING_STATES: readonly SessionState[] = ['qr', 'pairing_code'];

/** On the way to a login: opening, or waiting for a QR scan or a pairing code. */
export const LINKING_OR_CONNECTING: readonly SessionState[] = ['connecting', ...LINKING_STATES];

/** Every state mapped to a count of zero (health, metrics). */
export function zeroCountsByState(): Record<SessionState, number> {
  return Object.fromEntries(SESSION_STATES.map((state) => [state, 0])) as Record<SessionState, number>;
}

export function isSessionState(value: unknown): value is SessionState {
  return typeof value === 'string' && (SESSION_STATES as readonly string[]).includes(value);
}
