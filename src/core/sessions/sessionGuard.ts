/**
 * The one place that checks a session is in the state an action expects
 * (after WAHA's single status guard): every route and dialect gets the same
 * 409/422 with the current and expected states, instead of each checking
 * in its own way.
 */
import { GatewayError } from '../errors.js';
import { RUNNING_STATES, type SessionState } from '../model.js';

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
    throw new GatewayError('ALREADY_PAIRED', undefined, { sessionId: subject.sessionId, state: subject.state }, {
      hint: `It is linked already: POST /api/v1/sessions/${subject.sessionId}/connect reconnects it; log out first to link another phone`,
    });
  }
  if (!expectation.states.includes(subject.state)) {
    throw new GatewayError(
      'SESSION_NOT_READY',
      `Cannot ${expectation.action} while the session is ${subject.state}; expected ${expectation.states.join(' or ')}`,
      { sessionId: subject.sessionId, state: subject.state, expected: [...expectation.states] },
      { hint: hintFor(subject) },
    );
  }
}

/** What gets a session from where it is to where it can act. */
function hintFor(subject: GuardSubject): string {
  const connect = `POST /api/v1/sessions/${subject.sessionId}/connect`;
  if (!RUNNING_STATES.includes(subject.state)) return `The session is not running: call ${connect} first`;
  if (subject.state === 'connecting') return 'The session is still connecting: wait for the connection.state event (or retry in a moment)';
  return `Wait for the state the action needs; follow GET /api/v1/sessions/${subject.sessionId}/events`;
}
