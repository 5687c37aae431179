/**
 * The one place that checks a session is in the state an action expects
 * (after WAHA's single status guard): every route and dialect gets the same
 * 409/422 with the current and expected states, instead of each checking
 * in its own way.
 */
import { GatewayError } from '../errors.js';
import type { SessionState } from '../model.js';

export interface GuardSubject {
  sessionId: string;
  state: SessionState;
  paired: boolean;
}

export interface Expectation {
  states: readonly SessionState[];
  /** The action only makes sense before linking (QR, pairing code). */
  unpairedOnly?: boolean;
  action: string;
}

export function requireState(subject: GuardSubject, expectation: Expectation): void {
  if (expectation.unpairedOnly && subject.paired) {
    throw new GatewayError('ALREADY_PAIRED', undefined, { sessionId: subject.sessionId, state: subject.state });
  }
  if (!expectation.states.includes(subject.state)) {
    throw new GatewayError(
      'SESSION_NOT_READY',
      `Cannot ${expectation.action} while the session is ${subject.state}; expected ${expectation.states.join(' or ')}`,
      { sessionId: subject.sessionId, state: subject.state, expected: [...expectation.states] },
    );
  }
}
