/** Words and numbers as the page shows them. */
import type { SessionState, SessionView } from '../../src/core/model.js';

export const STATE_LABELS: Record<SessionState, string> = {
  created: 'Not started',
  connecting: 'Connecting',
  qr: 'Waiting for QR scan',
  pairing_code: 'Waiting for code entry',
  connected: 'Connected',
  inactive: 'Disconnected',
  logged_out: 'Logged out',
  conflict: 'Replaced by another connection',
  error: 'Error',
};

export type Tone = 'ok' | 'wait' | 'idle' | 'bad';

export const STATE_TONES: Record<SessionState, Tone> = {
  created: 'idle',
  connecting: 'wait',
  qr: 'wait',
  pairing_code: 'wait',
  connected: 'ok',
  inactive: 'idle',
  logged_out: 'bad',
  conflict: 'bad',
  error: 'bad',
};

/** WhatsApp's close code when every QR of a linking attempt ran out unscanned. */
const QR_TIMED_OUT = 408;

/**
 * An unpaired session whose QR codes ran out with nobody scanning. The core
 * calls it `error` (the engine gave up, and WAHA's clients expect FAILED),
 * but for a person it is no alarm: nobody linked yet, start again.
 */
export function qrExpired(view: Pick<SessionView, 'state' | 'paired' | 'lastDisconnect'>): boolean {
  return view.state === 'error' && !view.paired && view.lastDisconnect?.code === QR_TIMED_OUT;
}

/** What a session's badge says, and in which tone. */
export function stateLook(view: Pick<SessionView, 'state' | 'paired' | 'lastDisconnect'>): { label: string; tone: Tone } {
  if (qrExpired(view)) return { label: 'Not linked: QR expired', tone: 'idle' };
  return { label: STATE_LABELS[view.state] ?? view.state, tone: STATE_TONES[view.state] };
}

/** `m:ss` for a countdown. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "2 minutes 5 seconds" for screen readers and messages. */
export function spokenDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const minutes = Math.floor(s / 60);
  const rest = s % 60;
  const parts: string[] = [];
  if (minutes > 0) parts.push(`${minutes} minute${minutes === 1 ? '' : 's'}`);
  if (rest > 0 || minutes === 0) parts.push(`${rest} second${rest === 1 ? '' : 's'}`);
  return parts.join(' ');
}

export function phone(digits: string): string {
  return `+${digits}`;
}

export function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** One line for an event in the log. */
export function describeEvent(type: string, data: Record<string, unknown>): string {
  const state = typeof data.state === 'string' ? data.state : undefined;
  const reason = typeof data.reason === 'string' ? data.reason : undefined;
  switch (type) {
    case 'session.created':
      return 'Session created';
    case 'session.deleted':
      return 'Session deleted';
    case 'connection.state': {
      // The same calm words as the badge for a QR that ran out unscanned.
      if (state === 'error' && data.code === QR_TIMED_OUT) return 'State: Not linked: QR expired';
      const label = state && state in STATE_LABELS ? STATE_LABELS[state as SessionState] : (state ?? 'changed');
      // Reasons that only repeat the state ("waiting for a QR scan") add nothing.
      const repeats = reason !== undefined && label.toLowerCase().replace(/\W/g, '').includes(reason.toLowerCase().replace(/\W|\ba\b/g, ''));
      return reason && !repeats ? `State: ${label} — ${reason}` : `State: ${label}`;
    }
    case 'auth.qr':
      return 'New QR code issued';
    case 'auth.pairing_code':
      return 'Pairing code issued';
    case 'auth.pairing_failed':
      return reason ? `Pairing failed — ${reason}` : 'Pairing failed';
    case 'auth.paired':
      return 'Device linked';
    case 'auth.logged_out':
      return reason ? `Logged out — ${reason}` : 'Logged out';
    default:
      return type;
  }
}

/**
 * Drops events that only repeat the next one in words: a logout is reported
 * as `auth.logged_out` and then as the state change to logged_out with the
 * same reason; the log shows it once. Oldest first in and out.
 */
export function withoutEchoes<E extends { type: string; sessionId: string; data: Record<string, unknown> }>(events: readonly E[]): E[] {
  return events.filter((event, index) => {
    if (event.type !== 'auth.logged_out') return true;
    const echo = events
      .slice(index + 1)
      .find((later) => later.sessionId === event.sessionId && later.type === 'connection.state');
    return !(echo && echo.data.state === 'logged_out');
  });
}
