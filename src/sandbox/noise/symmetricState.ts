/**
 * The symmetric half of WhatsApp's Noise XX (AES-256-GCM, SHA-256): the
 * running hash and chaining key both sides keep during the handshake, and
 * the transport cipher it splits into. WhatsApp's variant uses the protocol
 * name directly as h/ck (it is exactly 32 bytes) and one counter shared by
 * encrypt and decrypt during the handshake. See baileys-wire-map §2.
 * The responder (sandbox) and the bench's light client both build on it.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';

export const NOISE_MODE = Buffer.from('Noise_XX_25519_AESGCM_SHA256\0\0\0\0');
const TAG_LENGTH = 16;
const EMPTY = Buffer.alloc(0);

export class NoiseError extends Error {}

function sha256(a: Uint8Array, b: Uint8Array): Buffer {
  return createHash('sha256').update(a).update(b).digest();
}

function hkdf64(ikm: Uint8Array, salt: Uint8Array): [Buffer, Buffer] {
  const out = Buffer.from(hkdfSync('sha256', ikm, salt, EMPTY, 64));
  return [out.subarray(0, 32), out.subarray(32)];
}

function iv(counter: number): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt32BE(counter >>> 0, 8);
  return buf;
}

export function aesGcmEncrypt(plaintext: Uint8Array, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

export function aesGcmDecrypt(ciphertext: Uint8Array, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array): Buffer {
  if (ciphertext.length < TAG_LENGTH) throw new NoiseError('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
  return Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH)), decipher.final()]);
}

/** Post-handshake cipher: separate read/write counters, empty AAD. */
export class TransportCipher {
  private readCounter = 0;
  private writeCounter = 0;

  constructor(
    private readonly encryptKey: Buffer,
    private readonly decryptKey: Buffer,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return aesGcmEncrypt(plaintext, this.encryptKey, iv(this.writeCounter++), EMPTY);
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return aesGcmDecrypt(ciphertext, this.decryptKey, iv(this.readCounter++), EMPTY);
  }
}

/** h, ck and k of one handshake, from either side. */
export class NoiseSymmetricState {
  private hash: Buffer = NOISE_MODE;
  private salt: Buffer = NOISE_MODE;
  private key: Buffer = NOISE_MODE;
  private counter = 0;

  mixHash(data: Uint8Array): void {
    this.hash = sha256(this.hash, data);
  }

  mixKey(ikm: Uint8Array): void {
    const [salt, key] = hkdf64(ikm, this.salt);
    this.salt = salt;
    this.key = key;
    this.counter = 0;
  }

  encrypt(plaintext: Uint8Array): Buffer {
    const ciphertext = aesGcmEncrypt(plaintext, this.key, iv(this.counter++), this.hash);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    const plaintext = aesGcmDecrypt(ciphertext, this.key, iv(this.counter++), this.hash);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** The two transport keys: [initiator → responder, responder → initiator]. */
  split(): [Buffer, Buffer] {
    return hkdf64(EMPTY, this.salt);
  }
}
