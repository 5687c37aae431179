/**
 * WAHA's addresses and message ids. WAHA shows a user chat as
 * `<number>@c.us` (WhatsApp Web's form) where WhatsApp says
 * `<number>@s.whatsapp.net`; groups (`@g.us`), LIDs and broadcasts keep
 * their form. A message id is serialised as `<fromMe>_<chat>_<id>`
 * (`true_111@c.us_3EB0…`), with `_<participant>` appended in groups by some engines.
 */
import { GatewayError } from '../../core/errors.js';

/** `111:3@s.whatsapp.net` → `111@c.us`; other JIDs unchanged. */
export function toCus(jid: string): string;
export function toCus(jid: string | null | undefined): string | undefined;
export function toCus(jid: string | null | undefined): string | undefined {
  if (jid === null || jid === undefined || jid === '') return undefined;
  const [user, server] = jid.split('@') as [string, string | undefined];
  if (server === 's.whatsapp.net' || server === 'c.us') return `${user.split(':')[0]}@c.us`;
  return jid;
}

/** A WAHA chat id as the core takes it: `111@c.us` → `111` (the core checks the number), JIDs of other kinds as they are. */
export function chatTarget(chatId: string): string {
  const trimmed = chatId.trim();
  const [user, server] = trimmed.split('@') as [string, string | undefined];
  if (server === undefined || server === 'c.us' || server === 's.whatsapp.net') return user.split(':')[0]!;
  return trimmed;
}

/** A WAHA chat id as a JID: `111@c.us` → `111@s.whatsapp.net`; a bare number too. */
export function toJid(chatId: string): string {
  const target = chatTarget(chatId);
  return target.includes('@') ? target : `${target}@s.whatsapp.net`;
}

export function serializeMessageId(fromMe: boolean, chatJid: string, id: string): string {
  return `${fromMe}_${toCus(chatJid)}_${id}`;
}

/** `true_111@c.us_ABC` (or a bare `ABC`) → its parts; the chat is unknown for a bare id. */
export function parseMessageId(messageId: string): { id: string; chatJid: string | null; fromMe: boolean | null } {
  const parts = messageId.trim().split('_');
  if (parts.length === 1) return { id: parts[0]!, chatJid: null, fromMe: null };
  if ((parts.length === 3 || parts.length === 4) && (parts[0] === 'true' || parts[0] === 'false') && parts[2] !== '') {
    return { id: parts[2]!, chatJid: toJid(parts[1]!), fromMe: parts[0] === 'true' };
  }
  throw new GatewayError('VALIDATION_FAILED', 'messageId must be in the form false_11111111111@c.us_AAAAAAAAAAAAAAAAAAAA', { field: 'messageId' });
}
