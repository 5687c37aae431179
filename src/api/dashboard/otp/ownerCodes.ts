/**
 * Six-digit codes the gateway sends to the owner's own WhatsApp chat (seed
 * 001's "WhatsApp-native MFA"). Each code is bound to one action on one
 * session, so a code read for "reveal the QR of A" cannot delete B.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';

export const OWNER_CODE_TTL_MS = 5 * 60 * 1000;
/** Minimum gap between two sends for the same action, so the owner's chat is not spammed. */
export const OWNER_CODE_RESEND_MS = 30 * 1000;

interface PendingCode {
  code: string;
  expiresAt: number;
  sentAt: number;
}

export type OwnerCodeCheck = 'ok' | 'wrong' | 'none';

export class OwnerCodes {
  private readonly pending = new Map<string, PendingCode>();

  constructor(private readonly now: () => number) {}

  /** Milliseconds until another code may be sent for this key, 0 when it may. */
  resendWaitMs(key: string): number {
    const existing = this.pending.get(key);
    if (!existing) return 0;
    return Math.max(0, existing.sentAt + OWNER_CODE_RESEND_MS - this.now());
  }

  issue(key: string): { code: string; expiresAt: number } {
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const sentAt = this.now();
    const expiresAt = sentAt + OWNER_CODE_TTL_MS;
    this.pending.set(key, { code, expiresAt, sentAt });
    return { code, expiresAt };
  }

  /** Forget a code that could not be delivered. */
  discard(key: string): void {
    this.pending.delete(key);
  }

  /** A matching, unexpired code is consumed; anything else is wrong. */
  check(key: string, presented: string): OwnerCodeCheck {
    const existing = this.pending.get(key);
    if (!existing) return 'none';
    if (existing.expiresAt <= this.now()) {
      this.pending.delete(key);
      return 'none';
    }
    const a = Buffer.from(existing.code);
    const b = Buffer.from(presented);
    if (a.length === b.length && timingSafeEqual(a, b)) {
      this.pending.delete(key);
      return 'ok';
    }
    return 'wrong';
  }
}
