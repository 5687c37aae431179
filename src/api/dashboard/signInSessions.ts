/**
 * Signed-in dashboard users, kept in memory: a random id (the cookie) maps to
 * an expiry and a CSRF token. A restart signs everyone out, which is the safe
 * default for an admin console.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface SignInSession {
  id: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface SignInSessionsOptions {
  ttlMs?: number;
  now?: () => number;
}

export const DEFAULT_SIGN_IN_TTL_MS = 12 * 60 * 60 * 1000;

function token(): string {
  return randomBytes(32).toString('base64url');
}

export class SignInSessions {
  private readonly sessions = new Map<string, SignInSession>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: SignInSessionsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_SIGN_IN_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  create(): SignInSession {
    this.sweep();
    const createdAt = this.now();
    const session: SignInSession = { id: token(), csrfToken: token(), createdAt, expiresAt: createdAt + this.ttlMs };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value, or undefined (unknown or expired). */
  get(id: string | undefined): SignInSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Constant-time comparison so the token cannot be guessed byte by byte. */
  static csrfMatches(session: SignInSession, presented: string | undefined): boolean {
    if (!presented) return false;
    const a = Buffer.from(session.csrfToken);
    const b = Buffer.from(presented);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  remainingSeconds(session: SignInSession): number {
    return Math.max(0, Math.floor((session.expiresAt - this.now()) / 1000));
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}
