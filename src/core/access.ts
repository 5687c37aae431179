/**
 * The one permission rule of the gateway: what a key may do. Every API
 * surface (native, each dialect, the dashboard, the sandbox routes) asks
 * here, so no dialect can grant what the native API refuses.
 *
 * - The admin key may do everything.
 * - A session key may use its own session (status, connect, QR, pairing,
 *   logout, send …) and list what it may see, and nothing else. Creating
 *   or deleting sessions and minting or revoking keys need the admin key:
 *   a leaked session key must not create more keys for itself or destroy
 *   what it was given access to.
 */
import { GatewayError } from './errors.js';
import type { Principal } from './gateway.js';

export type Action =
  /** Act on one existing session: read it, connect, pair, log out, send. */
  | 'session.use'
  /** List sessions (the caller filters the list with `mayAccess`). */
  | 'session.list'
  | 'session.create'
  | 'session.delete'
  /** Mint, list or revoke a session's keys. */
  | 'keys.manage'
  /** Gateway-wide operations: the sandbox's simulated phones, global event streams … */
  | 'gateway.operate';

export interface AccessRequest {
  action: Action;
  /** The session acted on; required for session.use. */
  sessionId?: string;
}

/** Why a principal may not act, or undefined when it may. */
function refusal(principal: Principal, request: AccessRequest): GatewayError | undefined {
  if (principal.kind === 'admin') return undefined;
  const details = { keySessionId: principal.sessionId, action: request.action };
  switch (request.action) {
    case 'session.list':
      return undefined;
    case 'session.use':
      if (request.sessionId !== undefined && request.sessionId === principal.sessionId) return undefined;
      return new GatewayError(
        'FORBIDDEN',
        request.sessionId === undefined
          ? 'This route needs the admin key'
          : 'This key belongs to another session; use that session\'s key or the admin key',
        details,
      );
    case 'session.create':
    case 'session.delete':
    case 'keys.manage':
    case 'gateway.operate':
      return new GatewayError('FORBIDDEN', 'This action needs the admin key', details);
  }
}

/** Throws UNAUTHORIZED without a principal, FORBIDDEN when the principal may not do this. */
export function authorize(principal: Principal | undefined, request: AccessRequest): void {
  if (principal === undefined) throw new GatewayError('UNAUTHORIZED');
  const refused = refusal(principal, request);
  if (refused !== undefined) throw refused;
}

/** Whether the principal may act on a session (for filtering lists). */
export function mayAccess(principal: Principal | undefined, sessionId: string): boolean {
  return principal !== undefined && refusal(principal, { action: 'session.use', sessionId }) === undefined;
}
