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
 * and read at each check, so enabling it on one node guards every node;
 * `load()` checks it before the first request. A pending (not yet confirmed)
 * setup (encrypted), sent codes (hashed), attempt counts, the last TOTP step
 * used and QR grants are in the gateway's shared state with their expiry,
 * so a code sent by one node is accepted by another and spent everywhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../../../core/errors.js';
import type { GatewaySettings, SessionService, SharedState } from '../../../core/gateway.js';
import { MemorySharedState } from '../../../core/memorySharedState.js';
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
/** How long a started authenticator setup waits for its confirming code. */
export const TOTP_SETUP_TTL_MS = 60 * 60 * 1000;
const PENDING_TOTP_KEY = 'dashboard.otp.totp-pending';
const TOTP_STEP_KEY = 'dashboard.otp.totp-step';
/** Longer than a code's window (±1 step of 30 s): an older step can never match again. */
const TOTP_STEP_KEEP_MS = 10 * 60 * 1000;

export interface GuardLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OtpGuardOptions {
  ownerNumber: string | undefined;
  /** `connectionKey` (non-null for a session this node runs) picks a local courier with many nodes. */
  sessions: Pick<SessionService, 'list' | 'sendText'> & Partial<Pick<SessionService, 'connectionKey'>>;
  /** Where the enabled authenticator secret is kept across restarts. */
  settings: GatewaySettings;
  /** Codes, counts and grants every node sees (default: this process's memory). */
  shared?: SharedState;
  /** HMAC key of stored owner codes (the same on every node; default: random per process). */
  codeKey?: Buffer;
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
  private readonly sessions: OtpGuardOptions['sessions'];
  private readonly settings: GatewaySettings;
  private readonly shared: SharedState;
  private readonly now: () => number;
  private readonly log: GuardLogger;
  private readonly issuer: string;
  private readonly attempts: AttemptLimiter;
  private readonly ownerCodes: OwnerCodes;

  constructor(opts: OtpGuardOptions) {
    const digits = opts.ownerNumber?.replace(/\D/g, '');
    this.ownerNumber = digits ? digits : undefined;
    this.sessions = opts.sessions;
    this.settings = opts.settings;
    this.shared = opts.shared ?? new MemorySharedState();
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? silent;
    this.issuer = opts.issuer ?? 'wagate';
    this.attempts = new AttemptLimiter({ shared: this.shared, now: this.now });
    this.ownerCodes = new OwnerCodes(this.shared, opts.codeKey ?? randomBytes(32), this.now);
  }

  /**
   * Checks the enabled authenticator secret, if any. Call before serving: a
   * stored value that cannot be read throws, so the gateway fails to start
   * rather than silently dropping the guard.
   */
  async load(): Promise<void> {
    if ((await this.totpSecret()) !== undefined) this.log.info({}, 'authenticator app for the dashboard restored from settings');
  }

  async method(): Promise<OtpMethod> {
    if (this.ownerNumber && this.deliverySessionId() !== undefined) return 'whatsapp';
    if (await this.totpSecret()) return 'totp';
    return 'none';
  }

  async status(): Promise<OtpStatus> {
    return {
      method: await this.method(),
      ownerNumber: this.ownerNumber ? maskNumber(this.ownerNumber) : null,
      totpEnabled: (await this.totpSecret()) !== undefined,
      lockedForSeconds: await this.attempts.lockedForSeconds(),
    };
  }

  /** Sends a fresh code for one action on one session to the owner's chat. */
  async sendCode(action: GuardedAction, sessionId: string, courier?: string): Promise<{ sentTo: string; expiresAt: string }> {
    await this.attempts.assertUnlocked();
    const via = this.ownerNumber ? (courier ?? this.deliverySessionId()) : undefined;
    if (courier !== undefined && !this.sessions.list().some((s) => s.sessionId === courier && s.connected)) {
      throw new GatewayError('SESSION_NOT_READY', 'That session cannot deliver a code: it is not connected', { sessionId: courier });
    }
    if (!this.ownerNumber || via === undefined) {
      throw new GatewayError('SESSION_NOT_READY', 'No connected session can deliver a code to the owner number', {
        method: await this.method(),
      });
    }
    const key = codeKey(action, sessionId);
    const waitMs = await this.ownerCodes.claimSend(key);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new GatewayError(
        'RATE_LIMITED',
        `A code was just sent; wait ${formatWait(seconds)} before asking for another`,
        { retryAfterSeconds: seconds },
        { retryAfterSeconds: seconds },
      );
    }
    const { code, expiresAt } = await this.ownerCodes.issue(key);
    const minutes = Math.round(OWNER_CODE_TTL_MS / 60_000);
    const text =
      `wagate: ${code} is your code to ${ACTION_WORDS[action]} session "${sessionId}". ` +
      `It expires in ${minutes} minutes. If you did not ask for it, someone else has your admin API key.`;
    try {
      await this.sessions.sendText(via, this.ownerNumber, text);
    } catch (err) {
      await this.ownerCodes.discard(key).catch(() => undefined);
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
  async authorize(action: GuardedAction, sessionId: string, code: string | undefined, actor: string): Promise<void> {
    const method = await this.method();
    if (method === 'none') return;
    const grantKey = `dashboard.otp.grant:${createHash('sha256').update(actor).digest('base64url')}:${encodeURIComponent(sessionId)}`;
    if (action === 'qr' && (await this.shared.get(grantKey, this.now())) !== undefined) return;
    await this.attempts.assertUnlocked();
    const presented = code?.trim();
    if (!presented) {
      throw new GatewayError('OTP_REQUIRED', undefined, {
        method,
        action,
        sessionId,
        ...(method === 'whatsapp' && this.ownerNumber ? { sentTo: maskNumber(this.ownerNumber) } : {}),
      });
    }
    const ok = method === 'whatsapp' ? await this.checkOwnerCode(action, sessionId, presented) : await this.checkTotp(presented);
    if (!ok) await this.rejectWrong(method);
    await this.attempts.recordSuccess();
    if (action === 'qr') await this.shared.put(grantKey, { expiresAt: this.now() + QR_REVEAL_GRANT_MS });
  }

  /** Starts (or restarts) enrolment: a new secret, shown once, active after `enableTotp`. */
  async beginTotpSetup(account: string): Promise<TotpSetup> {
    if (await this.totpSecret()) {
      throw new GatewayError('BAD_REQUEST', 'An authenticator app is already enabled; disable it first');
    }
    const pending = newTotpSecret();
    await this.shared.put(PENDING_TOTP_KEY, { value: base32Encode(pending), expiresAt: this.now() + TOTP_SETUP_TTL_MS }, { secret: true });
    return { secret: base32Encode(pending), uri: otpauthUri(pending, account, this.issuer) };
  }

  /**
   * Confirms enrolment with a code from the app, proving it was scanned. The
   * secret is saved before it takes effect: if saving fails the setup stays
   * pending and the user can try again with the next code.
   */
  async enableTotp(code: string): Promise<void> {
    if (await this.totpSecret()) throw new GatewayError('BAD_REQUEST', 'An authenticator app is already enabled');
    const stored = await this.shared.get(PENDING_TOTP_KEY, this.now());
    if (!stored) throw new GatewayError('BAD_REQUEST', 'Start the authenticator setup first');
    const pending = base32Decode(stored.value);
    await this.attempts.assertUnlocked();
    const step = matchTotp(pending, code.trim(), this.now());
    if (step === undefined) return this.rejectWrong('totp');
    await this.attempts.recordSuccess();
    await this.settings.set(TOTP_SETTING_KEY, stored.value, { secret: true });
    await this.shared.take(PENDING_TOTP_KEY, this.now()).catch(() => false);
    await this.spendStep(step);
    this.log.info({}, 'authenticator app enabled for the dashboard');
  }

  /** Removes the authenticator; it stays enabled (fail closed) if the stored secret cannot be deleted. */
  async disableTotp(code: string): Promise<void> {
    if (!(await this.totpSecret())) throw new GatewayError('BAD_REQUEST', 'No authenticator app is enabled');
    await this.attempts.assertUnlocked();
    if (!(await this.checkTotp(code.trim()))) await this.rejectWrong('totp');
    await this.attempts.recordSuccess();
    await this.settings.delete(TOTP_SETTING_KEY);
    this.log.info({}, 'authenticator app disabled for the dashboard');
  }

  /** The enabled authenticator secret, read from the settings (another node may have changed it). */
  private async totpSecret(): Promise<Buffer | undefined> {
    const stored = await this.settings.get(TOTP_SETTING_KEY);
    if (stored === undefined) return undefined;
    const secret = base32Decode(stored);
    if (secret.length < 10) throw new Error(`The stored dashboard authenticator secret ("${TOTP_SETTING_KEY}") is malformed`);
    return secret;
  }

  /**
   * The connected session that delivers codes: one this node runs when there
   * is one (with many nodes the others run elsewhere; the route sends the
   * request to that session's node).
   */
  deliverySessionId(): string | undefined {
    const connected = this.sessions.list().filter((s) => s.connected);
    return (connected.find((s) => this.runsHere(s.sessionId)) ?? connected[0])?.sessionId;
  }

  /** True when this node runs the session's connection (always, on one node). */
  runsHere(sessionId: string): boolean {
    return this.sessions.connectionKey === undefined || this.sessions.connectionKey(sessionId) !== null;
  }

  private async checkOwnerCode(action: GuardedAction, sessionId: string, code: string): Promise<boolean> {
    return (await this.ownerCodes.check(codeKey(action, sessionId), code)) === 'ok';
  }

  /** A code is good once: a code of a step already used (same or earlier) is refused, on every node. */
  private async checkTotp(code: string): Promise<boolean> {
    const secret = await this.totpSecret();
    if (!secret) return false;
    const step = matchTotp(secret, code, this.now());
    return step !== undefined && (await this.spendStep(step));
  }

  /** Records `step` as used; false when it (or a later one) was used already. */
  private spendStep(step: number): Promise<boolean> {
    const now = this.now();
    return this.shared.raise(TOTP_STEP_KEY, step, now + TOTP_STEP_KEEP_MS, now);
  }

  private async rejectWrong(method: OtpMethod): Promise<never> {
    const left = await this.attempts.recordWrong();
    if (left === 0) {
      this.log.warn({ method }, 'dashboard one-time codes locked after too many wrong codes');
      await this.attempts.assertUnlocked();
    }
    throw new GatewayError(
      'OTP_INVALID',
      `The one-time code is wrong or expired; ${left} ${left === 1 ? 'try' : 'tries'} left`,
      { method, triesLeft: left },
    );
  }
}

/** No NUL in a key: PostgreSQL text cannot hold it. */
function codeKey(action: GuardedAction, sessionId: string): string {
  return `${action}:${encodeURIComponent(sessionId)}`;
}
