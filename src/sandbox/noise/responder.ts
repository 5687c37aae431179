/**
 * Noise XX responder (25519, AES-GCM, SHA-256) in WhatsApp's variant: the
 * protocol name is used directly as h/ck (it is exactly 32 bytes), the
 * prologue is the 4-byte WA header, and one counter is shared by encrypt and
 * decrypt during the handshake. See baileys-wire-map §2.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { proto } from 'baileys';
import { ephemeralKey, type AgreementKey } from '../crypto/curve.js';
import { WA_HEADER } from '../transport/framing.js';

const NOISE_MODE = Buffer.from('Noise_XX_25519_AESGCM_SHA256\0\0\0\0');
const TAG_LENGTH = 16;
const EMPTY = Buffer.alloc(0);

export class NoiseError extends Error {}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
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

export interface ClientFinish {
  /** The client's long-term Noise public key (creds.noiseKey.public), 32 bytes. */
  clientStatic: Buffer;
  /** Decrypted ClientPayload bytes. */
  payload: Buffer;
  transport: TransportCipher;
}

/** One handshake, server side. Call serverHello() then clientFinish(). */
export class NoiseResponder {
  private hash: Buffer = NOISE_MODE;
  private salt: Buffer = NOISE_MODE;
  private key: Buffer = NOISE_MODE;
  private counter = 0;

  /** `ephemeral`: a fresh key for this handshake (load mode passes one from Node's key generator). */
  constructor(
    private readonly serverStatic: AgreementKey,
    private readonly certChain: Buffer,
    private readonly ephemeral: AgreementKey = ephemeralKey(),
  ) {
    this.mixHash(WA_HEADER);
  }

  /** Takes the client's HandshakeMessage (clientHello), returns the encoded serverHello message. */
  serverHello(message: Uint8Array): Buffer {
    let clientEphemeral: Uint8Array | null | undefined;
    try {
      clientEphemeral = proto.HandshakeMessage.decode(message).clientHello?.ephemeral;
    } catch {
      throw new NoiseError('undecodable client hello');
    }
    if (!clientEphemeral || clientEphemeral.length !== 32) throw new NoiseError('client hello without a 32-byte ephemeral key');
    this.clientEphemeral = Buffer.from(clientEphemeral);
    this.mixHash(this.clientEphemeral);
    this.mixHash(this.ephemeral.public);
    this.mixKey(this.ephemeral.agree(this.clientEphemeral));
    const encryptedStatic = this.encrypt(this.serverStatic.public);
    this.mixKey(this.serverStatic.agree(this.clientEphemeral));
    const encryptedCerts = this.encrypt(this.certChain);
    return Buffer.from(
      proto.HandshakeMessage.encode({
        serverHello: { ephemeral: this.ephemeral.public, static: encryptedStatic, payload: encryptedCerts },
      }).finish(),
    );
  }

  private clientEphemeral: Buffer | null = null;

  /** Takes the client's HandshakeMessage (clientFinish); authenticates it and splits into transport keys. */
  clientFinish(message: Uint8Array): ClientFinish {
    if (!this.clientEphemeral) throw new NoiseError('client finish before client hello');
    let finish: proto.HandshakeMessage.IClientFinish | null | undefined;
    try {
      finish = proto.HandshakeMessage.decode(message).clientFinish;
    } catch {
      throw new NoiseError('undecodable client finish');
    }
    if (!finish?.static || !finish.payload) throw new NoiseError('client finish without static key or payload');
    let clientStatic: Buffer;
    let payload: Buffer;
    try {
      clientStatic = this.decrypt(finish.static);
      if (clientStatic.length !== 32) throw new NoiseError('client static key is not 32 bytes');
      this.mixKey(this.ephemeral.agree(clientStatic));
      payload = this.decrypt(finish.payload);
    } catch (err) {
      if (err instanceof NoiseError) throw err;
      throw new NoiseError('client finish failed authentication');
    }
    const [clientToServer, serverToClient] = hkdf64(EMPTY, this.salt);
    return { clientStatic, payload, transport: new TransportCipher(serverToClient, clientToServer) };
  }

  private mixHash(data: Uint8Array): void {
    this.hash = sha256(this.hash, data);
  }

  private mixKey(ikm: Uint8Array): void {
    const [salt, key] = hkdf64(ikm, this.salt);
    this.salt = salt;
    this.key = key;
    this.counter = 0;
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const ciphertext = aesGcmEncrypt(plaintext, this.key, iv(this.counter++), this.hash);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const plaintext = aesGcmDecrypt(ciphertext, this.key, iv(this.counter++), this.hash);
    this.mixHash(ciphertext);
    return plaintext;
  }
}
