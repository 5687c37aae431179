/**
 * The dashboard's one cookie, parsed and written by hand (no cookie plugin):
 * HttpOnly so page scripts never see it, SameSite=Strict and Path=/dashboard
 * so no other site and no other API of the gateway ever receives it.
 */

export const SESSION_COOKIE = 'wagate_dashboard';

/** Cookie header → name/value pairs; malformed pairs are skipped, first wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!name || cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      // A value that is not valid percent-encoding cannot be one of ours.
    }
  }
  return cookies;
}

export interface SessionCookieOptions {
  /** Seconds until the browser drops it; 0 clears it. */
  maxAgeSeconds: number;
  /** Set on HTTPS so the cookie never travels in clear text. */
  secure: boolean;
}

export function serializeSessionCookie(value: string, opts: SessionCookieOptions): string {
  const parts = [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/dashboard',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`,
  ];
  if (opts.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}
