import { GatewayError } from '../errors.js';

/** Ids appear in URLs, logs and file names: keep them to a safe alphabet. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function assertValidSessionId(id: string): void {
  if (!SESSION_ID_PATTERN.test(id)) {
    throw new GatewayError('INVALID_SESSION_ID', undefined, { sessionId: id.slice(0, 80) });
  }
}
