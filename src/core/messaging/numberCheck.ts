/**
 * Which phone numbers have WhatsApp: the core's one number check, for the
 * native API and every dialect (WAHA's check-exists, GOWA's /user/check,
 * Evolution's whatsappNumbers). Numbers are checked as given after
 * normalising; a bad one is refused before anything is asked, since each
 * check is a query WhatsApp counts (mass checks get accounts banned).
 */
import type { EngineNumberCheck } from '../../engine/types.js';
import { GatewayError } from '../errors.js';
import { normalizePhoneNumber } from '../phoneNumber.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import type { NumberCheck } from './model.js';

/** Numbers one request may check: enough for a form or a small import, not for scraping. */
export const MAX_NUMBERS_PER_CHECK = 50;

export async function checkNumbers(sessions: SessionManager, sandbox: boolean, sessionId: string, phones: readonly string[]): Promise<NumberCheck[]> {
  sessions.get(sessionId);
  if (phones.length === 0) throw new GatewayError('VALIDATION_FAILED', 'Give at least one phone number to check', { field: 'phoneNumbers' });
  if (phones.length > MAX_NUMBERS_PER_CHECK) {
    throw new GatewayError('VALIDATION_FAILED', `At most ${MAX_NUMBERS_PER_CHECK} phone numbers per check; split the list`, { field: 'phoneNumbers' });
  }
  const normalized = phones.map((p) => normalizePhoneNumber(p, { sandbox }));
  const unique = [...new Set(normalized)];
  // The engine's failures become catalogue errors there (ENGINE_ERROR, SESSION_NOT_READY).
  const answers: EngineNumberCheck[] = await sessions.live.call(sessionId, 'check phone numbers', (c) => c.checkNumbers(unique));
  return normalized.map((phoneNumber) => {
    const found = answers.find((a) => a.number === phoneNumber);
    const exists = found?.exists === true;
    return { phoneNumber, exists, jid: exists ? (found.jid ?? `${phoneNumber}@s.whatsapp.net`) : null, lid: exists ? found.lid : null };
  });
}
