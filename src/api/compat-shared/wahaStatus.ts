/** WAHA's session statuses (also Wawp's, which is built on WAHA's API). */
import type { GatewayCore } from '../../core/gateway.js';
import type { SessionState } from '../../core/model.js';

export type WahaStatus = 'STOPPED' | 'STARTING' | 'SCAN_QR_CODE' | 'WORKING' | 'FAILED';

export function wahaStatus(state: SessionState): WahaStatus {
  switch (state) {
    case 'created':
    case 'inactive':
    case 'logged_out':
      return 'STOPPED';
    case 'connecting':
      return 'STARTING';
    case 'qr':
    case 'pairing_code':
      return 'SCAN_QR_CODE';
    case 'connected':
      return 'WORKING';
    case 'conflict':
    case 'error':
      return 'FAILED';
  }
}

/** WAHA's `me`: `{"id": "111@c.us", "pushName"}`, or null before linking. */
export function wahaMe(view: { me: { phoneNumber: string; name: string | null } | null }): { id: string; pushName: string } | null {
  return view.me === null ? null : { id: `${view.me.phoneNumber}@c.us`, pushName: view.me.name ?? '' };
}

/** Statuses a WAHA-style 422 lists in `expected`, from our states in a SESSION_NOT_READY's details. */
export function expectedStatuses(details: Record<string, unknown> | undefined): WahaStatus[] {
  const states = Array.isArray(details?.expected) ? (details.expected as unknown[]) : [];
  const mapped = states.filter((s): s is SessionState => typeof s === 'string').map((s) => wahaStatus(s));
  return mapped.length > 0 ? [...new Set(mapped)] : ['SCAN_QR_CODE'];
}

/**
 * The state a wrong-status error is about: the one the core put in the
 * error's details, else the session's current state, else unknown.
 */
export function stateOfError(
  core: GatewayCore,
  details: Record<string, unknown> | undefined,
  sessionId: string | null | undefined,
): SessionState | undefined {
  const detailState = details?.state;
  if (typeof detailState === 'string') return detailState as SessionState;
  return sessionId != null && core.sessions.has(sessionId) ? core.sessions.get(sessionId).state : undefined;
}
