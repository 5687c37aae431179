/**
 * The one-time-code guard in front of the dashboard's destructive actions
 * (logout, delete) and QR reveal.
 *
 * - Owner number configured and some session connected: a 6-digit code is
 *   sent to the owner's WhatsApp chat through that session (seed 001).
 * - Otherwise, when an authenticator (TOTP) secret was enabled: its code.
 * - Otherwise: no guard (nothing could deliver or check a code).
 *
 * The enabled TOTP secret is kept in the gateway settings (encrypted at rest)
 * so the guard survives a restart; `load()` reads it before the first check.
 * A pending (not yet confirmed) setup, sent codes, attempt counts and QR
 * grants stay in memory: losing them on restart only means starting over.
 */
import { GatewayError } from '../../../core/errors.js';
import type { GatewaySettings, SessionService } from '../../../core/gateway.js';
import { AttemptLimiter, formatWait } from './attempts.js';
import { OWNER_CODE_TTL_MS, OwnerCodes } from './ownerCodes.js';
import { matchTotp, newTotpSecret, otpauthUri, base32Decode, base32Encode } from './totp.js';

export type GuardedAction = 'logout' | 'delete' | 'qr';
export type OtpMethod = 'whatsapp' | 'totp' | 'none';

export const GUARDED_ACTIONS: readonly GuardedAction[] = ['logout', 'delete', 'qr'];

/** After one good code, the QR of that session stays visible to that user for this long (it rotates every ~20 s). */
export const QR_REVEAL_GRANT_MS = 5 * 60 * 1000;

/** Settings key of the enabled authenticator secret (base32, stored as a secret). */
export const TOTP_SETTING_KEY = 'dashboard.totp';

export interface GuardLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OtpGuardOptions {
  ownerNumber: string | undefined;
  sessions: Pick<SessionService, 'list' | 'sendText'>;
  /** Where the enabled authenticator secret is kept across restarts. */
  settings: GatewaySettings;
  now?: () => number;
  logger?: GuardLogger;
  /** Shown in authenticator apps. */
  issuer?: string;
}

export interface OtpStatus {
  method: OtpMethod;
  /** Masked owner number (last 4 digits), null when none is configured. */
  ownerNumber: string | null;
  totpEnabled: boolean;
  lockedForSeconds: number;
}

export interface TotpSetup {
  secret: string;
  uri: string;
}

const ACTION_WORDS: Record<GuardedAction, string> = {
  logout: 'log out',
  delete: 'delete',
  qr: 'show the QR code of',
};

const silent: GuardLogger = { info: () => {}, warn: () => {} };

export function maskNumber(digits: string): string {
  return digits.length <= 4 ? digits : `${'•'.repeat(Math.min(6, digits.length - 4))}${digits.slice(-4)}`;
}

export class OtpGuard {
  private readonly ownerNumber: string | undefined;
  private readonly sessions: Pick<SessionService, 'list' | 'sendText'>;
  private readonly settings: GatewaySettings;
  private readonly now: () => number;
  private readonly log: GuardLogger;
  private readonly issuer: string;
  private readonly attempts: AttemptLimiter;
  private readonly ownerCodes: OwnerCodes;
  private readonly revealGrants = new Map<string, number>();
  private totpSecret: Buffer | undefined;
  private pendingTotpSecret: Buffer | undefined;
  private lastTotpStep = -1;

  constructor(opts: OtpGuardOptions) {
    const digits = opts.ownerNumber?.replace(/\D/g, '');
    this.ownerNumber = digits ? digits : undefined;
    this.sessions = opts.sessions;
    this.settings = opts.settings;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? silent;
    this.issuer = opts.issuer ?? 'wagate';
    this.attempts = new AttemptLimiter({ now: this.now });
    this.ownerCodes = new OwnerCodes(this.now);
  }

  /**
   * Reads the enabled authenticator secret, if any. Call before serving: until
   * then a gateway with an authenticator enabled would look unguarded. A
   * stored value that cannot be read throws, so the gateway fails to start
   * rather than silently dropping the guard.
   */
  async load(): Promise<void> {
    const stored = await this.settings.get(TOTP_SETTING_KEY);
    if (stored === undefined) return;
    const secret = base32Decode(stored);
    if (secret.length < 10) throw new Error(`The stored dashboard authenticator secret ("${TOTP_SETTING_KEY}") is malformed`);
    this.totpSecret = secret;
    this.log.info({}, 'authenticator app for the dashboard restored from settings');
  }

  method(): OtpMethod {
    if (this.ownerNumber && this.deliverySessionId() !== undefined) return 'whatsapp';
    if (this.totpSecret) return 'totp';
    return 'none';
  }

  status(): OtpStatus {
    return {
      method: this.method(),
      ownerNumber: this.ownerNumber ? maskNumber(this.ownerNumber) : null,
      totpEnabled: this.totpSecret !== undefined,
      lockedForSeconds: this.attempts.lockedForSeconds(),
    };
  }

  /** Sends a fresh code for one action on one session to the owner's chat. */
  async sendCode(action: GuardedAction, sessionId: string): Promise<{ sentTo: string; expiresAt: string }> {
    this.attempts.assertUnlocked();
    const via = this.ownerNumber ? this.deliverySessionId() : undefined;
    if (!this.ownerNumber || via === undefined) {
      throw new GatewayError('SESSION_NOT_READY', 'No connected session can deliver a code to the owner number', {
        method: this.method(),
      });
    }
    const key = codeKey(action, sessionId);
    const waitMs = this.ownerCodes.resendWaitMs(key);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new GatewayError(
        'RATE_LIMITED',
        `A code was just sent; wait ${formatWait(seconds)} before asking for another`,
        { retryAfterSeconds: seconds },
        { retryAfterSeconds: seconds },
      );
    }
    const { code, expiresAt } = this.ownerCodes.issue(key);
    const minutes = Math.round(OWNER_CODE_TTL_MS / 60_000);
    const text =
      `wagate: ${code} is your code to ${ACTION_WORDS[action]} session "${sessionId}". ` +
      `It expires in ${minutes} minutes. If you did not ask for it, someone else has your admin API key.`;
    try {
      await this.sessions.sendText(via, this.ownerNumber, text);
    } catch (err) {
      this.ownerCodes.discard(key);
      this.log.warn({ sessionId: via, action, targetSessionId: sessionId, err }, 'one-time code could not be sent');
      throw err;
    }
    this.log.info({ sessionId: via, action, targetSessionId: sessionId }, 'one-time code sent to the owner');
    return { sentTo: maskNumber(this.ownerNumber), expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Passes, or throws OTP_REQUIRED (no code given), OTP_INVALID (wrong or
   * expired code) or OTP_LOCKED (too many wrong codes). `actor` is the
   * signed-in dashboard user, used for the QR reveal grant.
   */
  authorize(action: GuardedAction, sessionId: string, code: string | undefined, actor: string): void {
    const method = this.method();
    if (method === 'none') return;
    const grantKey = `${actor}\u0000${sessionId}`;
    if (action === 'qr') {
      const grantedUntil = this.revealGrants.get(grantKey);
      if (grantedUntil !== undefined && grantedUntil > this.now()) return;
      this.revealGrants.delete(grantKey);
    }
    this.attempts.assertUnlocked();
    const presented = code?.trim();
    if (!presented) {
      throw new GatewayError('OTP_REQUIRED', undefined, {
        method,
        action,
        sessionId,
        ...(method === 'whatsapp' && this.ownerNumber ? { sentTo: maskNumber(this.ownerNumber) } : {}),
      });
    }
    const ok = method === 'whatsapp' ? this.checkOwnerCode(action, sessionId, presented) : this.checkTotp(presented);
    if (!ok) this.rejectWrong(method);
    this.attempts.recordSuccess();
    if (action === 'qr') this.revealGrants.set(grantKey, this.now() + QR_REVEAL_GRANT_MS);
  }

  /** Starts (or restarts) enrolment: a new secret, shown once, active after `enableTotp`. */
  beginTotpSetup(account: string): TotpSetup {
    if (this.totpSecret) {
      throw new GatewayError('BAD_REQUEST', 'An authenticator app is already enabled; disable it first');
    }
    this.pendingTotpSecret = newTotpSecret();
    return { secret: base32Encode(this.pendingTotpSecret), uri: otpauthUri(this.pendingTotpSecret, account, this.issuer) };
  }

  /**
   * Confirms enrolment with a code from the app, proving it was scanned. The
   * secret is saved before it takes effect: if saving fails the setup stays
   * pending and the user can try again with the next code.
   */
  async enableTotp(code: string): Promise<void> {
    if (this.totpSecret) throw new GatewayError('BAD_REQUEST', 'An authenticator app is already enabled');
    const pending = this.pendingTotpSecret;
    if (!pending) throw new GatewayError('BAD_REQUEST', 'Start the authenticator setup first');
    this.attempts.assertUnlocked();
    const step = matchTotp(pending, code.trim(), this.now());
    if (step === undefined) this.rejectWrong('totp');
    this.attempts.recordSuccess();
    await this.settings.set(TOTP_SETTING_KEY, base32Encode(pending), { secret: true });
    this.totpSecret = pending;
    if (this.pendingTotpSecret === pending) this.pendingTotpSecret = undefined;
    this.lastTotpStep = step;
    this.log.info({}, 'authenticator app enabled for the dashboard');
  }

  /** Removes the authenticator; it stays enabled (fail closed) if the stored secret cannot be deleted. */
  async disableTotp(code: string): Promise<void> {
    if (!this.totpSecret) throw new GatewayError('BAD_REQUEST', 'No authenticator app is enabled');
    this.attempts.assertUnlocked();
    if (!this.checkTotp(code.trim())) this.rejectWrong('totp');
    this.attempts.recordSuccess();
    await this.settings.delete(TOTP_SETTING_KEY);
    this.totpSecret = undefined;
    this.lastTotpStep = -1;
    this.log.info({}, 'authenticator app disabled for the dashboard');
  }

  private deliverySessionId(): string | undefined {
    return this.sessions.list().find((s) => s.connected)?.sessionId;
  }

  private checkOwnerCode(action: GuardedAction, sessionId: string, code: string): boolean {
    return this.ownerCodes.check(codeKey(action, sessionId), code) === 'ok';
  }

  /** A code is good once: a code already used (same or earlier step) is refused. */
  private checkTotp(code: string): boolean {
    if (!this.totpSecret) return false;
    const step = matchTotp(this.totpSecret, code, this.now());
    if (step === undefined || step <= this.lastTotpStep) return false;
    this.lastTotpStep = step;
    return true;
  }

  private rejectWrong(method: OtpMethod): never {
    const left = this.attempts.recordWrong();
    if (left === 0) {
      this.log.warn({ method }, 'dashboard one-time codes locked after too many wrong codes');
      this.attempts.assertUnlocked();
    }
    throw new GatewayError(
      'OTP_INVALID',
      `The one-time code is wrong or expired; ${left} ${left === 1 ? 'try' : 'tries'} left`,
      { method, triesLeft: left },
    );
  }
}

function codeKey(action: GuardedAction, sessionId: string): string {
  return `${action}\u0000${sessionId}`;
}
