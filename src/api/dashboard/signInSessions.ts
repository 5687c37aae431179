/**
 * Signed-in dashboard users, in the gateway's shared state (the store), so a
 * sign-in on one node holds on every node behind a load balancer. A random
 * id is the cookie; the store keeps only its hash, with the expiry. The CSRF
 * token is an HMAC of the id under a key derived from the master key: every
 * node computes the same one, and nothing stored reveals it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SharedState } from '../../core/gateway.js';

export interface SignInSession {
  id: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface SignInSessionsOptions {
  shared: SharedState;
  /** The CSRF tokens' HMAC key (the same on every node). */
  csrfKey: Buffer;
  ttlMs?: number;
  now?: () => number;
}

export const DEFAULT_SIGN_IN_TTL_MS = 12 * 60 * 60 * 1000;

const keyOf = (id: string): string => `dashboard.sign-in:${createHash('sha256').update(id).digest('base64url')}`;

export class SignInSessions {
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: SignInSessionsOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_SIGN_IN_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  async create(): Promise<SignInSession> {
    const id = randomBytes(32).toString('base64url');
    const createdAt = this.now();
    const expiresAt = createdAt + this.ttlMs;
    await this.opts.shared.put(keyOf(id), { n: createdAt, expiresAt });
    return { id, csrfToken: this.csrfOf(id), createdAt, expiresAt };
  }

  /** The live session for a cookie value, or undefined (unknown, signed out or expired). */
  async get(id: string | undefined): Promise<SignInSession | undefined> {
    if (!id) return undefined;
    const row = await this.opts.shared.get(keyOf(id), this.now());
    if (!row) return undefined;
    return { id, csrfToken: this.csrfOf(id), createdAt: row.n, expiresAt: row.expiresAt };
  }

  async delete(id: string): Promise<void> {
    await this.opts.shared.delete(keyOf(id));
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

  private csrfOf(id: string): string {
    return createHmac('sha256', this.opts.csrfKey).update(`dashboard-csrf\u0000${id}`).digest('base64url');
  }
}
