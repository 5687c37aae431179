/**
 * Curve25519 for the sandbox: X25519 agreement and XEdDSA sign/verify.
 *
 * Routed to whatsapp-rust-bridge's WASM functions (~0.1 ms) because
 * libsignal's pure-JS curve costs ~10 ms per sign/verify and blocks the event
 * loop; falls back to libsignal when the WASM module cannot load. Verify is
 * strict: a `false` result (not only a throw) is a failure.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
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

// ---- agreement keys for the Noise handshake ----------------------------------

/** An X25519 private key ready for agreements (the server's side of a Noise handshake). */
export interface AgreementKey {
  /** 32-byte public key. */
  readonly public: Buffer;
  /** X25519 with a 32-byte peer key (or 33 with the 0x05 prefix). */
  agree(peerPublic: Uint8Array): Buffer;
}

/** Raw key bytes through the curve backend (WASM or libsignal): the default path. */
export function agreementKey(pair: KeyPair): AgreementKey {
  return { public: pair.public, agree: (peer) => sharedKey(pair.private, peer) };
}

/** A fresh ephemeral for one handshake (default path: libsignal key generation). */
export function ephemeralKey(): AgreementKey {
  return agreementKey(generateKeyPair());
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** Imported peer keys by the buffer they came in (serverHello agrees twice with the client's ephemeral); the handshake never mutates those buffers. */
const importedPeers = new WeakMap<Uint8Array, KeyObject>();

function nodePublicKey(peer: Uint8Array): KeyObject {
  const cached = importedPeers.get(peer);
  if (cached) return cached;
  const raw = peer.length === 33 && peer[0] === 5 ? peer.subarray(1) : peer;
  if (raw.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(raw) }, format: 'jwk' });
  importedPeers.set(peer, key);
  return key;
}

function nodeKey(privateKey: KeyObject, publicKey: Buffer): AgreementKey {
  return { public: publicKey, agree: (peer) => diffieHellman({ privateKey, publicKey: nodePublicKey(peer) }) };
}

/**
 * Load mode: the same X25519 on Node's own KeyObjects, kept for the key's
 * lifetime, so an agreement is one import of the peer's key plus one
 * `diffieHellman` (~0.05 ms) instead of the backend's call (~0.1–0.2 ms on
 * WASM, more through libsignal's DER round trip).
 */
export function nodeAgreementKey(pair: KeyPair): AgreementKey {
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(pair.private), x: b64url(pair.public) }, format: 'jwk' });
  return nodeKey(privateKey, pair.public);
}

/** Load mode: a fresh ephemeral from Node's key generator; only its public half is exported (~0.04 ms vs ~0.25 ms). */
export function nodeEphemeralKey(): AgreementKey {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const x = publicKey.export({ format: 'jwk' }).x;
  if (!x) throw new Error('X25519 public key export failed');
  return nodeKey(privateKey, Buffer.from(x, 'base64url'));
}

let nodeX25519Checked: boolean | null = null;

/**
 * True when Node's X25519 gives the backend's results for the same keys, both
 * ways (checked once per process); load mode falls back to the default path otherwise.
 */
export function nodeX25519Works(): boolean {
  if (nodeX25519Checked !== null) return nodeX25519Checked;
  try {
    const a = generateKeyPair();
    const b = nodeEphemeralKey();
    const viaNode = nodeAgreementKey(a).agree(b.public);
    const viaNodeEphemeral = b.agree(a.public);
    const b2 = generateKeyPair();
    const viaBackend = sharedKey(b2.private, a.public);
    nodeX25519Checked =
      viaNode.length === 32 && viaNode.equals(viaNodeEphemeral) && nodeAgreementKey(a).agree(b2.public).equals(viaBackend);
  } catch {
    nodeX25519Checked = false;
  }
  return nodeX25519Checked;
}
