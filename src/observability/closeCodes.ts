/**
 * Bounded labels for WhatsApp close codes: known codes keep their number and
 * a name, anything else becomes "other", so a misbehaving peer cannot grow
 * the number of series.
 */
const KNOWN: Record<number, string> = {
  401: 'logged_out',
  403: 'forbidden',
  408: 'timed_out',
  411: 'multidevice_mismatch',
  428: 'connection_closed',
  440: 'replaced',
  500: 'bad_session',
  503: 'unavailable',
  515: 'restart_required',
};

export function codeLabel(code: number | null): string {
  if (code === null) return 'none';
  return KNOWN[code] ? String(code) : 'other';
}

export function closeReasonLabel(code: number | null): string {
  if (code === null) return 'gateway';
  return KNOWN[code] ?? 'other';
}
