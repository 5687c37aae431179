/**
 * Linking by pairing code, the network + phone side (wire map §6).
 * companion_hello leaves the companion's ephemeral key, wrapped with a key
 * derived from the code, waiting under its phone number. When the phone
 * enters a code it unwraps with what was typed, answers primary_hello with
 * its own wrapped ephemeral key and identity, and checks the companion's key
 * bundle: only the right code makes the two sides agree, so a wrong code
 * shows up as a bundle that does not decrypt.
 */
import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { childBytes, childText, iqError, iqResult, node, type BinaryNode } from '../binary/nodes.js';
import { generateKeyPair, sharedKey, type KeyPair } from '../crypto/curve.js';
import { aesGcmDecrypt } from '../noise/symmetricState.js';
import { SandboxError } from '../errors.js';
import { IqFailure, REPLIED, type IqOutcome } from '../router/stanzaRouter.js';
import type { Account } from '../accounts/registry.js';
import type { Peer } from './peer.js';

const pbkdf2Async = promisify(pbkdf2);
const PBKDF2_ITERATIONS = 2 << 16;
const CODE_TTL_MS = 3 * 60_000;
/**
 * companion_hello is fire-and-forget: a code can be on screen a moment
 * before its hello reaches us. A person never types that fast; a test does.
 */
const HELLO_IN_FLIGHT_MS = 2_000;
const FINISH_TIMEOUT_MS = 30_000;
const CODE_ALPHABET = /^[1-9A-HJ-NP-TV-Z]{8}$/;
const BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key';

interface PendingCode {
  phoneNumber: string;
  peer: Peer;
  wrappedCompanionEphemeral: Buffer;
  ref: Buffer;
  expiresAt: number;
  attempt: Attempt | null;
}

interface Attempt {
  companionEphemeral: Buffer;
  primaryEphemeral: KeyPair;
  account: Account;
  onFinish(iq: BinaryNode): void;
}

/** Normalises what a user types: dash and spaces dropped, upper case. */
export function normalizeCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

async function codeKey(code: string, salt: Buffer): Promise<Buffer> {
  // Async on purpose: 131072 iterations would block the event loop for every other connection.
  return pbkdf2Async(Buffer.from(code, 'utf8'), salt, PBKDF2_ITERATIONS, 32, 'sha256');
}

function aesCtr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function hkdf32(ikm: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

export type LinkFn = (peer: Peer, account: Account, advSecret: Buffer) => Promise<void>;

export class PairingCodes {
  private readonly pending = new Map<string, PendingCode>();
  private readonly helloWaiters = new Map<string, Array<() => void>>();

  constructor(private readonly logger: Logger) {}

  /** `<link_code_companion_reg stage="companion_hello">`: remember the wrapped key under the phone number. */
  companionHello(peer: Peer, iq: BinaryNode, reg: BinaryNode): BinaryNode[] {
    const phoneNumber = (reg.attrs.jid ?? '').split('@')[0]?.split(':')[0] ?? '';
    const wrapped = childBytes(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub');
    const authKey = childBytes(reg, 'companion_server_auth_key_pub');
    if (!peer.registration) throw new IqFailure(400, 'not-registering');
    if (!/^\d{7,15}$/.test(phoneNumber)) throw new IqFailure(400, 'bad-jid');
    if (!wrapped || wrapped.length !== 80) throw new IqFailure(400, 'bad-wrapped-key');
    // The code is tied to the connection that asked for it.
    if (!authKey || authKey.toString('base64') !== peer.conn.noiseKey) throw new IqFailure(400, 'auth-key-mismatch');
    const ref = randomBytes(32);
    this.pending.set(phoneNumber, {
      phoneNumber,
      peer,
      wrappedCompanionEphemeral: wrapped,
      ref,
      expiresAt: Date.now() + CODE_TTL_MS,
      attempt: null,
    });
    for (const wake of this.helloWaiters.get(phoneNumber)?.splice(0) ?? []) wake();
    peer.conn.logger.info(
      { phone: phoneNumber, platform: childText(reg, 'companion_platform_display') },
      'pairing code requested',
    );
    void iq;
    return [node('link_code_companion_reg', {}, [node('link_code_pairing_ref', {}, ref)])];
  }

  /** `<link_code_companion_reg stage="companion_finish">`: hand it to the attempt waiting for it. */
  companionFinish(peer: Peer, iq: BinaryNode): IqOutcome {
    for (const pending of this.pending.values()) {
      if (pending.peer === peer && pending.attempt) {
        pending.attempt.onFinish(iq);
        return REPLIED;
      }
    }
    throw new IqFailure(404, 'no-pending-pairing');
  }

  /** A closed companion's entry stays until it expires so a late code gets a precise refusal at once. */
  connectionClosed(peer: Peer): void {
    const now = Date.now();
    for (const [phone, pending] of this.pending) {
      if (pending.expiresAt < now || (pending.peer !== peer && pending.peer.conn.isClosed && !pending.attempt)) this.pending.delete(phone);
    }
  }

  /**
   * The phone enters `code`. Resolves once the link completed; rejects
   * WRONG_CODE (the companion keeps waiting) or NO_PENDING_CODE.
   */
  async enter(phoneNumber: string, typed: string, accountOf: () => Account, link: LinkFn): Promise<void> {
    if (!this.pending.has(phoneNumber)) await this.helloArrival(phoneNumber);
    const pending = this.pending.get(phoneNumber);
    if (!pending || pending.expiresAt < Date.now() || pending.peer.conn.isClosed) {
      if (pending) this.pending.delete(phoneNumber);
      const why = !pending ? 'no companion is waiting for a pairing code for' : pending.peer.conn.isClosed ? 'the companion that asked for this code has disconnected:' : 'the pairing code has expired for';
      throw new SandboxError('NO_PENDING_CODE', `${why} ${phoneNumber}`);
    }
    if (pending.attempt) throw new SandboxError('PAIRING_BUSY', 'another code is being checked for this phone');
    const code = normalizeCode(typed);
    if (!CODE_ALPHABET.test(code)) throw new SandboxError('WRONG_CODE', 'a pairing code is 8 characters from the code alphabet');

    const { peer } = pending;
    const account = accountOf();
    const wrapped = pending.wrappedCompanionEphemeral;
    const attemptReady = this.beginAttempt(pending, account);
    attemptReady.catch(() => undefined); // awaited below; don't let an early rejection go unhandled meanwhile
    try {
      const companionEphemeral = aesCtr(await codeKey(code, wrapped.subarray(0, 32)), wrapped.subarray(32, 48), wrapped.subarray(48, 80));
      const attempt = pending.attempt!;
      attempt.companionEphemeral = companionEphemeral;
      const salt = randomBytes(32);
      const iv = randomBytes(16);
      const wrappedPrimary = Buffer.concat([salt, iv, aesCtr(await codeKey(code, salt), iv, attempt.primaryEphemeral.public)]);
      if (peer.conn.isClosed) throw new SandboxError('NO_PENDING_CODE', 'the companion disconnected');
      peer.conn.send(
        node('notification', { from: 's.whatsapp.net', type: 'link_code_companion_reg', id: peer.conn.newId(), t: String(Math.floor(Date.now() / 1000)) }, [
          node('link_code_companion_reg', { stage: 'primary_hello' }, [
            node('link_code_pairing_ref', {}, pending.ref),
            node('primary_identity_pub', {}, account.identity.public),
            node('link_code_pairing_wrapped_primary_ephemeral_pub', {}, wrappedPrimary),
          ]),
        ]),
      );
      const finish = await attemptReady;
      const advSecret = this.checkFinish(pending, attempt, finish);
      this.pending.delete(phoneNumber);
      await link(peer, account, advSecret);
    } finally {
      pending.attempt = null;
    }
  }

  private helloArrival(phoneNumber: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiters = this.helloWaiters.get(phoneNumber) ?? [];
      this.helloWaiters.set(phoneNumber, waiters);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(wake);
        if (i >= 0) waiters.splice(i, 1);
        if (waiters.length === 0) this.helloWaiters.delete(phoneNumber);
        resolve();
      }, HELLO_IN_FLIGHT_MS);
      waiters.push(wake);
    });
  }

  private beginAttempt(pending: PendingCode, account: Account): Promise<BinaryNode> {
    return new Promise<BinaryNode>((resolve, reject) => {
      const conn = pending.peer.conn;
      const timer = setTimeout(() => reject(new SandboxError('PAIRING_TIMEOUT', 'the companion did not answer primary_hello')), FINISH_TIMEOUT_MS);
      conn.onClosed(() => {
        clearTimeout(timer);
        reject(new SandboxError('NO_PENDING_CODE', 'the companion disconnected'));
      });
      pending.attempt = {
        companionEphemeral: Buffer.alloc(0),
        primaryEphemeral: generateKeyPair(),
        account,
        onFinish: (iq) => {
          clearTimeout(timer);
          resolve(iq);
        },
      };
    });
  }

  /** Verifies the key bundle, answers the finish IQ, and returns the adv secret both sides now share. */
  private checkFinish(pending: PendingCode, attempt: Attempt, iq: BinaryNode): Buffer {
    const conn = pending.peer.conn;
    const reg = iq.content && Array.isArray(iq.content) ? iq.content[0] : undefined;
    const bundle = childBytes(reg, 'link_code_pairing_wrapped_key_bundle');
    const companionIdentity = childBytes(reg, 'companion_identity_public');
    const shared = sharedKey(attempt.primaryEphemeral.private, attempt.companionEphemeral);
    let plaintext: Buffer | null = null;
    if (bundle && bundle.length > 44 + 16) {
      try {
        const key = hkdf32(shared, bundle.subarray(0, 32), BUNDLE_INFO);
        plaintext = aesGcmDecrypt(bundle.subarray(44), key, bundle.subarray(32, 44), Buffer.alloc(0));
      } catch {
        plaintext = null;
      }
    }
    if (!plaintext) {
      conn.send(iqError(iq, 400, 'wrong-code'));
      this.logger.info({ conn: conn.id, phone: pending.phoneNumber }, 'pairing code refused: wrong code');
      throw new SandboxError('WRONG_CODE', 'the code does not match the one shown on the companion');
    }
    const bundledCompanion = plaintext.subarray(0, 32);
    const bundledPrimary = plaintext.subarray(32, 64);
    const random = plaintext.subarray(64, 96);
    const registered = pending.peer.registration?.identityKey;
    if (
      plaintext.length !== 96 ||
      !registered ||
      !bundledCompanion.equals(registered) ||
      !companionIdentity?.equals(registered) ||
      !bundledPrimary.equals(attempt.account.identity.public)
    ) {
      conn.send(iqError(iq, 400, 'bad-key-bundle'));
      throw new SandboxError('PAIRING_REFUSED', 'the key bundle names other identities than the ones registered');
    }
    conn.send(iqResult(iq));
    const identityShared = sharedKey(attempt.account.identity.private, bundledCompanion);
    return hkdf32(Buffer.concat([shared, identityShared, random]), Buffer.alloc(0), 'adv_secret');
  }
}
