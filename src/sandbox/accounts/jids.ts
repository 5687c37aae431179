/**
 * Reading the JIDs clients address: `<phone>[:<device>]@s.whatsapp.net` or
 * `<lid>[:<device>]@lid` (the `_<agent>` part some clients put after the
 * user is ignored). Both name the same account once resolved.
 */
import type { Account, AccountRegistry } from './registry.js';

export interface ResolvedJid {
  account: Account;
  /** Undefined for a user JID (no device part). */
  deviceId: number | undefined;
  /** Which form the client used: replies name the account the same way. */
  server: 's.whatsapp.net' | 'lid';
}

const JID = /^(\d+)(?:_\d+)?(?::(\d+))?@(s\.whatsapp\.net|lid)$/;

export function parseUserJid(jid: string): { user: string; deviceId: number | undefined; server: 's.whatsapp.net' | 'lid' } | null {
  const match = JID.exec(jid);
  if (!match) return null;
  return {
    user: match[1]!,
    deviceId: match[2] === undefined ? undefined : Number(match[2]),
    server: match[3] as 's.whatsapp.net' | 'lid',
  };
}

export function resolveJid(registry: AccountRegistry, jid: string): ResolvedJid | null {
  const parsed = parseUserJid(jid);
  if (!parsed) return null;
  const account = parsed.server === 'lid' ? registry.byLid(parsed.user) : registry.get(parsed.user);
  return account ? { account, deviceId: parsed.deviceId, server: parsed.server } : null;
}

/** The account's user JID in the given form (no device). */
export function userJid(account: Account, server: 's.whatsapp.net' | 'lid'): string {
  return server === 'lid' ? `${account.lid}@lid` : `${account.phoneNumber}@s.whatsapp.net`;
}

/** Devices a sender can encrypt to: the phone, and companions that uploaded a signed pre-key. */
export function reachableDeviceIds(account: Account): number[] {
  const companions = [...account.devices.values()].filter((d) => d.signedPreKey).map((d) => d.deviceId);
  return [0, ...companions.sort((a, b) => a - b)];
}
