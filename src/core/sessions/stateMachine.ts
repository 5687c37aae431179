/**
 * The session state machine: which states may follow which, and how our
 * fine states map onto WADial's coarse connectionState. Every transition
 * goes through `assertTransition`, so an impossible jump is refused with a
 * typed error (logged and counted by whoever drove it) instead of turning
 * into a ghost session.
 */
import type { ConnectionState, SessionState } from '../../domain/sessionState.js';

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

/** A transition the state machine does not allow: a bug or an engine event out of order, never a client's fault. */
export class InvalidTransitionError extends Error {
  constructor(
    readonly from: SessionState,
    readonly to: SessionState,
  ) {
    super(`Invalid session state transition ${from} → ${to}`);
    this.name = 'InvalidTransitionError';
  }
}

export function canTransition(from: SessionState, to: SessionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: SessionState, to: SessionState): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

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
