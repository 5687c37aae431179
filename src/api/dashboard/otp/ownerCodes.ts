/**
 * Six-digit codes the gateway sends to the owner's own WhatsApp chat (seed
 * 001's "WhatsApp-native MFA"). Each code is bound to one action on one
 * session, so a code read for "reveal the QR of A" cannot delete B. Codes
 * live in the gateway's shared state, so a code sent by one node is accepted
 * by any: only an HMAC of the code is stored (keyed from the master key, so a
 * database reader cannot try the 10^6 codes), and a code is consumed by one
 * atomic delete, so it passes once even when two nodes check it at once.
 */
import { createHmac, randomInt } from 'node:crypto';
import type { SharedState } from '../../../core/gateway.js';

export const OWNER_CODE_TTL_MS = 5 * 60 * 1000;
/** Minimum gap between two sends for the same action, so the owner's chat is not spammed. */
export const OWNER_CODE_RESEND_MS = 30 * 1000;

export type OwnerCodeCheck = 'ok' | 'wrong';

export class OwnerCodes {
  constructor(
    private readonly shared: SharedState,
    /** The codes' HMAC key (the same on every node). */
    private readonly hmacKey: Buffer,
    private readonly now: () => number,
  ) {}

  /**
   * Claims the right to send a code for this key (one send per
   * OWNER_CODE_RESEND_MS, across nodes): 0 when claimed, else the ms to wait.
   */
  async claimSend(key: string): Promise<number> {
    const now = this.now();
    if (await this.shared.putIfAbsent(sentKey(key), { expiresAt: now + OWNER_CODE_RESEND_MS }, now)) return 0;
    const claim = await this.shared.get(sentKey(key), now);
    return Math.max(1, (claim?.expiresAt ?? now + 1) - now);
  }

  async issue(key: string): Promise<{ code: string; expiresAt: number }> {
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const expiresAt = this.now() + OWNER_CODE_TTL_MS;
    await this.shared.put(codeKey(key), { value: this.digest(key, code), expiresAt });
    return { code, expiresAt };
  }

  /** Forget a code that could not be delivered (and let the next send go at once). */
  async discard(key: string): Promise<void> {
    await this.shared.delete(codeKey(key));
    await this.shared.delete(sentKey(key));
  }

  /** A matching, unexpired code is consumed; anything else is wrong. */
  async check(key: string, presented: string): Promise<OwnerCodeCheck> {
    if (!(await this.shared.take(codeKey(key), this.now(), this.digest(key, presented)))) return 'wrong';
    // Used: the next code for this action may be sent at once.
    await this.shared.delete(sentKey(key));
    return 'ok';
  }

  private digest(key: string, code: string): string {
    return createHmac('sha256', this.hmacKey).update(`${key}\u0000${code}`).digest('base64url');
  }
}

const codeKey = (key: string): string => `dashboard.otp.code:${key}`;
const sentKey = (key: string): string => `dashboard.otp.sent:${key}`;
