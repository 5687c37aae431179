/**
 * ADV (account-device verification), the phone's side: the phone signs the
 * new companion's identity with the account key and wraps it in an HMAC keyed
 * by the companion's adv secret; the companion countersigns and the network
 * verifies that countersignature before the device counts as linked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { proto } from 'baileys';
import { sign, verify } from '../crypto/curve.js';
import type { Account } from '../accounts/registry.js';

const ACCOUNT_SIG_PREFIX = Buffer.from([6, 0]);
const DEVICE_SIG_PREFIX = Buffer.from([6, 1]);

export interface IssuedDeviceIdentity {
  /** Encoded ADVDeviceIdentity (what both signatures cover). */
  details: Buffer;
  accountSignature: Buffer;
  /** Encoded ADVSignedDeviceIdentityHMAC for `<device-identity>` in pair-success. */
  envelope: Buffer;
}

export function issueDeviceIdentity(
  account: Account,
  keyIndex: number,
  companionIdentityKey: Buffer,
  advSecret: Buffer,
): IssuedDeviceIdentity {
  const details = Buffer.from(
    proto.ADVDeviceIdentity.encode({
      rawId: account.rawId,
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex,
      accountType: proto.ADVEncryptionType.E2EE,
      deviceType: proto.ADVEncryptionType.E2EE,
    }).finish(),
  );
  const accountSignature = sign(account.identity.private, Buffer.concat([ACCOUNT_SIG_PREFIX, details, companionIdentityKey]));
  const signed = Buffer.from(
    proto.ADVSignedDeviceIdentity.encode({
      details,
      accountSignatureKey: account.identity.public,
      accountSignature,
    }).finish(),
  );
  const hmac = createHmac('sha256', advSecret).update(signed).digest();
  const envelope = Buffer.from(
    proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac, accountType: proto.ADVEncryptionType.E2EE }).finish(),
  );
  return { details, accountSignature, envelope };
}

/**
 * Checks the companion's `pair-device-sign` reply: same details and account
 * signature we issued, and a valid device signature by the companion's identity key.
 * Returns a reason when it must be refused.
 */
export function checkDeviceSignature(
  issued: IssuedDeviceIdentity,
  account: Account,
  companionIdentityKey: Buffer,
  reply: Buffer | undefined,
): string | null {
  if (!reply) return 'no device-identity in pair-device-sign';
  let signed: proto.ADVSignedDeviceIdentity;
  try {
    signed = proto.ADVSignedDeviceIdentity.decode(reply);
  } catch {
    return 'undecodable device-identity';
  }
  if (!signed.details || !Buffer.from(signed.details).equals(issued.details)) return 'device identity details differ from the ones issued';
  const accountSignature = signed.accountSignature ? Buffer.from(signed.accountSignature) : Buffer.alloc(0);
  if (accountSignature.length !== issued.accountSignature.length || !timingSafeEqual(accountSignature, issued.accountSignature)) {
    return 'account signature differs from the one issued';
  }
  const message = Buffer.concat([DEVICE_SIG_PREFIX, issued.details, companionIdentityKey, account.identity.public]);
  if (!verify(companionIdentityKey, message, signed.deviceSignature)) return 'device signature invalid';
  return null;
}
