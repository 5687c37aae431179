import type { SessionRow } from '../../store/types.js';

/** The row of a session that was just created: never connected, never linked. */
export function freshSessionRow(
  id: string,
  fields: { displayName: string | null; deviceBrowser: string },
  now: string = new Date().toISOString(),
): SessionRow {
  return {
    id,
    displayName: fields.displayName,
    deviceBrowser: fields.deviceBrowser,
    state: 'created',
    lifetimeStatus: 'created',
    wantConnected: false,
    meJid: null,
    meLid: null,
    meName: null,
    lastDisconnectCode: null,
    lastDisconnectReason: null,
    lastDisconnectAt: null,
    createdAt: now,
    updatedAt: now,
    connectedAt: null,
  };
}
