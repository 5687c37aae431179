/**
 * Curve25519 for the sandbox: X25519 agreement and XEdDSA sign/verify.
 *
 * Routed to whatsapp-rust-bridge's WASM functions (~0.1 ms) because
 * libsignal's pure-JS curve costs ~10 ms per sign/verify and blocks the event
 * loop; falls back to libsignal when the WASM module cannot load. Verify is
 * strict: a `false` result (not only a throw) is a failure.
 */
import * as libsignalCurve from 'libsignal/src/curve.js';

export interface KeyPair {
  /** 32-byte Curve25519 public key (no 0x05 type prefix). */
  public: Buffer;
  /** 32-byte private key. */
  private: Buffer;
}

interface CurveBackend {
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey33: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  agree(publicKey33: Uint8Array, privateKey: Uint8Array): Uint8Array;
}

const libsignalBackend: CurveBackend = {
  sign: (priv, msg) => libsignalCurve.calculateSignature(Buffer.from(priv), Buffer.from(msg)),
  verify: (pub, msg, sig) => libsignalCurve.verifySignature(Buffer.from(pub), Buffer.from(msg), Buffer.from(sig)) === true,
  agree: (pub, priv) => libsignalCurve.calculateAgreement(Buffer.from(pub), Buffer.from(priv)),
};

async function loadBackend(): Promise<CurveBackend> {
  try {
    const wasm = await import('whatsapp-rust-bridge');
    const probe = libsignalCurve.generateKeyPair();
    const msg = Buffer.from('probe');
    const sig = wasm.calculateSignature(probe.privKey, msg);
    if (!wasm.verifySignature(probe.pubKey, msg, sig)) throw new Error('WASM curve self-test failed');
    return {
      sign: (priv, msg2) => wasm.calculateSignature(priv, msg2),
      verify: (pub, msg2, sig2) => wasm.verifySignature(pub, msg2, sig2) === true,
      agree: (pub, priv) => wasm.calculateAgreement(pub, priv),
    };
  } catch {
    return libsignalBackend;
  }
}

const backend: CurveBackend = await loadBackend();

const KEY_TYPE = Buffer.from([5]);

function withTypePrefix(publicKey: Uint8Array): Buffer {
  if (publicKey.length === 33 && publicKey[0] === 5) return Buffer.from(publicKey);
  return Buffer.concat([KEY_TYPE, publicKey]);
}

export function generateKeyPair(): KeyPair {
  const { pubKey, privKey } = libsignalCurve.generateKeyPair();
  return { public: Buffer.from(pubKey.subarray(1)), private: Buffer.from(privKey) };
}

/** XEdDSA signature (64 bytes). */
export function sign(privateKey: Uint8Array, message: Uint8Array): Buffer {
  return Buffer.from(backend.sign(privateKey, message));
}

/** True only for a valid signature by publicKey (32 bytes, or 33 with 0x05). Never throws. */
export function verify(publicKey: Uint8Array | null | undefined, message: Uint8Array, signature: Uint8Array | null | undefined): boolean {
  if (!publicKey || !signature || signature.length !== 64) return false;
  if (!(publicKey.length === 32 || (publicKey.length === 33 && publicKey[0] === 5))) return false;
  try {
    return backend.verify(withTypePrefix(publicKey), message, signature);
  } catch {
    return false;
  }
}

/** X25519 shared secret. */
export function sharedKey(privateKey: Uint8Array, publicKey: Uint8Array): Buffer {
  return Buffer.from(backend.agree(withTypePrefix(publicKey), privateKey));
}
