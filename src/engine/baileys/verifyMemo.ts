/**
 * Remembers signatures that verified, for Baileys' own `Curve.verify`.
 *
 * Why: every Noise handshake checks the same two server certificates (the
 * intermediate against WhatsApp's root, the leaf against the intermediate),
 * ~0.25 ms of CPU each; a connect burst paid them once per socket. A
 * signature check is a pure function of (key, message, signature), so a
 * `true` seen for exactly these bytes is `true` again. Only successes are
 * kept (a forged certificate is checked every time), keyed by the full
 * bytes, in a small bounded map. Baileys calls this verify for the
 * certificate chain and the pairing's account signature only; libsignal's
 * message signatures do not come through here.
 */
type Bytes = Uint8Array;
type Verify = (publicKey: Bytes, message: Bytes, signature: Bytes) => boolean;

export const VERIFY_MEMO_SIZE = 16;
/** Larger inputs are checked every time (certificates are ~100-200 bytes). */
const MAX_MEMO_MESSAGE_BYTES = 1024;

const asKey = (b: Bytes): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

export function withVerifyMemo(verify: Verify, size = VERIFY_MEMO_SIZE): Verify {
  const verified = new Set<string>();
  return (publicKey, message, signature) => {
    if (!(publicKey instanceof Uint8Array) || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
      return verify(publicKey, message, signature);
    }
    if (message.byteLength > MAX_MEMO_MESSAGE_BYTES) return verify(publicKey, message, signature);
    const key = `${asKey(publicKey)}.${asKey(message)}.${asKey(signature)}`;
    if (verified.has(key)) return true;
    const ok = verify(publicKey, message, signature);
    if (ok === true) {
      verified.add(key);
      // Oldest first (insertion order): a new server certificate pushes an old one out.
      if (verified.size > size) verified.delete(verified.values().next().value!);
    }
    return ok;
  };
}
