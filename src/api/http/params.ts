/**
 * Path parameter schemas shared by the HTTP layers. A session id that
 * breaks the pattern fails validation, which the error mapping turns into
 * INVALID_SESSION_ID (see ./errors.ts) instead of a generic 400.
 */
import { Type } from 'typebox';

/** Same rule as the core's SESSION_ID_PATTERN, as a JSON Schema pattern. */
export const SESSION_ID_REGEX = '^[A-Za-z0-9_-]{1,64}$';

export const SessionIdSchema = Type.String({
  pattern: SESSION_ID_REGEX,
  description: 'Session id: 1 to 64 letters, digits, "_" or "-"',
  examples: ['support-line'],
});

export const SessionParams = Type.Object({ sessionId: SessionIdSchema });
