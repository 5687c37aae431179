import type { LinkedAccount, SessionView } from '../model.js';
import type { SessionRow } from '../../store/types.js';
import { toConnectionState } from './stateMachine.js';

/** The phone number is the user part of the device JID (`15551234567:7@s.whatsapp.net`). */
export function phoneFromJid(jid: string): string {
  return jid.split('@')[0]!.split(':')[0]!;
}

export function linkedAccount(row: SessionRow): LinkedAccount | null {
  if (!row.meJid) return null;
  return { jid: row.meJid, lid: row.meLid, phoneNumber: phoneFromJid(row.meJid), name: row.meName };
}

export function toSessionView(row: SessionRow, runtime: { active: boolean; qrAvailable: boolean }): SessionView {
  return {
    sessionId: row.id,
    displayName: row.displayName,
    deviceBrowser: row.deviceBrowser,
    status: row.lifetimeStatus,
    state: row.state,
    connectionState: toConnectionState(row.state),
    paired: row.meJid !== null,
    active: runtime.active,
    connected: row.state === 'connected',
    me: linkedAccount(row),
    qrAvailable: runtime.qrAvailable,
    lastDisconnect:
      row.lastDisconnectAt === null
        ? null
        : { code: row.lastDisconnectCode, reason: row.lastDisconnectReason ?? '', at: row.lastDisconnectAt },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    connectedAt: row.connectedAt,
  };
}
