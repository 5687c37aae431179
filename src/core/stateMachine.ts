/**
 * The session state machine: which states may follow which, and how our
 * fine states map onto seed 000's coarse connectionState. Every transition
 * the SessionManager makes goes through `assertTransition`, so an impossible
 * jump is a bug that shows up in tests instead of a ghost session in prod.
 */
import type { ConnectionState, SessionState } from './model.js';

const TRANSITIONS: Record<SessionState, readonly SessionState[]> = {
  created: ['connecting'],
  connecting: ['qr', 'connected', 'connecting', 'inactive', 'created', 'logged_out', 'conflict', 'error'],
  qr: ['pairing_code', 'connecting', 'qr', 'created', 'logged_out', 'conflict', 'error', 'inactive'],
  pairing_code: ['qr', 'connecting', 'created', 'logged_out', 'conflict', 'error', 'inactive', 'pairing_code'],
  connected: ['connecting', 'inactive', 'logged_out', 'conflict', 'error'],
  inactive: ['connecting', 'logged_out'],
  logged_out: ['connecting', 'logged_out'],
  conflict: ['connecting', 'inactive', 'logged_out'],
  error: ['connecting', 'created', 'inactive', 'logged_out'],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: SessionState, to: SessionState): void {
  if (!canTransition(from, to)) {
    throw new Error(`Invalid session state transition ${from} → ${to}`);
  }
}

/** States in which a runtime (engine connection) is expected to exist. */
export const RUNNING_STATES: readonly SessionState[] = ['connecting', 'qr', 'pairing_code', 'connected'];

/** States a user is waiting in to link the device. */
export const LINKING_STATES: readonly SessionState[] = ['qr', 'pairing_code'];

export function toConnectionState(state: SessionState): ConnectionState {
  switch (state) {
    case 'created':
      return 'created';
    case 'connecting':
    case 'qr':
    case 'pairing_code':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'inactive':
      return 'inactive';
    case 'logged_out':
    case 'conflict':
      return 'disconnected';
    case 'error':
      return 'error';
  }
}
