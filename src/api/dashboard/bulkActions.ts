/**
 * Connect or disconnect many sessions in one request (the list's bulk
 * actions). A few run at once, so a thousand do not open a thousand
 * connections in the same instant; each session's outcome is reported, and
 * one failure does not stop the others.
 */
import { GatewayError, isGatewayError } from '../../core/errors.js';
import type { SessionService } from '../../core/gateway.js';

export const BULK_ACTIONS = ['connect', 'disconnect'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];
export const MAX_BULK_SESSIONS = 1000;
const CONCURRENCY = 8;

export interface BulkRequest {
  action: BulkAction;
  sessionIds: string[];
}

export interface BulkOutcome {
  sessionId: string;
  ok: boolean;
  /** The error code and message when it failed. */
  error?: { code: string; message: string };
}

export function parseBulkRequest(body: Record<string, unknown>): BulkRequest {
  const { action, sessionIds } = body;
  if (typeof action !== 'string' || !(BULK_ACTIONS as readonly string[]).includes(action)) {
    throw new GatewayError('VALIDATION_FAILED', `"action" must be one of ${BULK_ACTIONS.join(', ')}`, { field: 'action' });
  }
  if (!Array.isArray(sessionIds) || sessionIds.length === 0 || sessionIds.length > MAX_BULK_SESSIONS || !sessionIds.every((id) => typeof id === 'string')) {
    throw new GatewayError('VALIDATION_FAILED', `"sessionIds" must list 1 to ${MAX_BULK_SESSIONS} session ids`, { field: 'sessionIds' });
  }
  return { action: action as BulkAction, sessionIds: [...new Set(sessionIds as string[])] };
}

/** `onUnexpected` hears of failures that are not GatewayErrors (bugs), so they are logged. */
export async function runBulk(
  sessions: SessionService,
  request: BulkRequest,
  onUnexpected: (sessionId: string, err: unknown) => void,
): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = new Array(request.sessionIds.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < request.sessionIds.length) {
      const index = next++;
      const sessionId = request.sessionIds[index]!;
      try {
        await (request.action === 'connect' ? sessions.connect(sessionId) : sessions.disconnect(sessionId));
        outcomes[index] = { sessionId, ok: true };
      } catch (err) {
        if (!isGatewayError(err)) onUnexpected(sessionId, err);
        const error = isGatewayError(err) ? err : new GatewayError('INTERNAL', 'The action failed');
        outcomes[index] = { sessionId, ok: false, error: { code: error.code, message: error.message } };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, request.sessionIds.length) }, worker));
  return outcomes;
}
