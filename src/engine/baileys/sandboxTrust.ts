/**
 * Sandbox mode only: make Baileys accept the simulated network's Noise
 * certificate chain. Baileys checks the intermediate certificate against
 * `WA_CERT_DETAILS` (an exported, mutable object read at verify time), so
 * replacing its root key and serial is enough. This disables the check
 * against WhatsApp's real root for the whole process: only the gateway's
 * sandbox mode may call it, never production.
 */
import { WA_CERT_DETAILS } from 'baileys';
import { pino, type Logger } from 'pino';

export function trustSandboxRoot(publicKey: Uint8Array, serial = 0, logger?: Logger): void {
  if (publicKey.length !== 32 && !(publicKey.length === 33 && publicKey[0] === 5)) {
    throw new RangeError('sandbox root key must be a 32-byte Curve25519 public key');
  }
  (logger ?? pino({ name: 'wagate' })).warn(
    { serial },
    'sandbox mode: trusting the sandbox certificate root, never use in production',
  );
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(publicKey);
  WA_CERT_DETAILS.SERIAL = serial;
}
