/**
 * Route Curve25519 signing, verification and key agreement through the WASM
 * functions of `whatsapp-rust-bridge` (a Baileys dependency).
 *
 * Why: libsignal's pure-JS XEdDSA sign/verify cost ~10 ms each and block the
 * event loop; a fresh socket pays three of them before its first QR (signed
 * pre-key, two certificate checks), so 1000 sessions starting together froze
 * the process for seconds. The WASM versions cost ~0.1 ms.
 *
 * What is patched, once per process, at start-up:
 *  - libsignal's `src/curve.js` exports (CommonJS, shared by libsignal's
 *    session builder/cipher and key helper): calculateSignature,
 *    verifySignature, calculateAgreement, keeping their input checks and
 *    return contracts;
 *  - Baileys' exported `Curve` object: sign, verify, sharedKey. The routed
 *    verify returns the real result, so a wrong signature fails (the stock
 *    one only fails when the check throws).
 *  - key generation (libsignal's and Baileys' Curve.generateKeyPair), when
 *    its own self-test passes;
 *  - the signature of group (sender-key) messages, whose cipher keeps its
 *    own copy of the curve functions (fastSenderKeySignatures.ts).
 *
 * Safety: if a function is missing or a self-test against the stock code
 * fails, nothing is patched and the stock behaviour stays.
 */
import { createRequire } from 'node:module';
import { Curve } from 'baileys';
import type { Logger } from 'pino';
import * as bridge from 'whatsapp-rust-bridge';
import { routeSenderKeySignatures } from './fastSenderKeySignatures.js';
import { sendGroupIterationsConsecutively } from './groupSendIterations.js';
import { withVerifyMemo } from './verifyMemo.js';

export interface FastCurveResult {
  installed: boolean;
  reason?: string;
}

type Bytes = Uint8Array;

/** The slice of libsignal/src/curve.js we touch. */
interface LibsignalCurve {
  calculateSignature(privKey: Buffer, message: Bytes): Buffer;
  verifySignature(pubKey: Buffer, msg: Bytes, sig: Bytes, isInit?: boolean): boolean;
  calculateAgreement(pubKey: Buffer, privKey: Buffer): Buffer;
  generateKeyPair(): { pubKey: Buffer; privKey: Buffer };
}

interface WasmCurve {
  calculateSignature(privateKey: Bytes, message: Bytes): Bytes;
  verifySignature(publicKey: Bytes, message: Bytes, signature: Bytes): boolean;
  calculateAgreement(publicKey: Bytes, privateKey: Bytes): Bytes;
  /** Optional: key pairs as libsignal returns them (33-byte 0x05 public key, 32-byte private key). */
  generateKeyPair?(): { pubKey: Bytes; privKey: Bytes };
}

let result: FastCurveResult | null = null;

/** The stock functions, kept for tests and comparisons. */
export interface StockCurve {
  sign(privateKey: Bytes, message: Bytes): Bytes;
  verify(publicKey: Bytes, message: Bytes, signature: Bytes): boolean;
  sharedKey(privateKey: Bytes, publicKey: Bytes): Buffer;
  generateKeyPair(): { private: Uint8Array; public: Uint8Array };
}
let stock: StockCurve | null = null;

function loadLibsignalCurve(): LibsignalCurve {
  // Resolve from Baileys' own location so we patch the copy Baileys loads.
  const requireFromBaileys = createRequire(import.meta.resolve('baileys'));
  return requireFromBaileys('libsignal/src/curve.js') as LibsignalCurve;
}

function wasmCurve(): WasmCurve | string {
  const b = bridge as Partial<WasmCurve>;
  for (const fn of ['calculateSignature', 'verifySignature', 'calculateAgreement'] as const) {
    if (typeof b[fn] !== 'function') return `whatsapp-rust-bridge has no ${fn}`;
  }
  return b as WasmCurve;
}

/** Same input checks as libsignal's scrubPubKeyFormat: 33 bytes with 0x05, or 32 bytes. */
function checkedPublicKey(pubKey: Bytes): Bytes {
  if (!(pubKey instanceof Uint8Array)) throw new Error('Invalid public key type');
  if ((pubKey.byteLength !== 33 || pubKey[0] !== 5) && pubKey.byteLength !== 32) {
    throw new Error('Invalid public key');
  }
  return pubKey.byteLength === 33 ? pubKey.subarray(1) : pubKey;
}

function checkedPrivateKey(privKey: Bytes): Bytes {
  if (!(privKey instanceof Uint8Array)) throw new Error('Invalid private key type');
  if (privKey.byteLength !== 32) throw new Error(`Incorrect private key length: ${privKey.byteLength}`);
  return privKey;
}

/** Proves the WASM functions interoperate with the stock ones before trusting them. */
function selfTest(wasm: WasmCurve, stockCurve: StockCurve): string | null {
  const a = Curve.generateKeyPair();
  const b = Curve.generateKeyPair();
  const message = Buffer.from('wagate fast-curve self-test');
  const wasmSig = wasm.calculateSignature(a.private, message);
  if (!stockCurve.verify(a.public, message, wasmSig)) return 'stock verify rejected a WASM signature';
  const stockSig = stockCurve.sign(a.private, message);
  if (wasm.verifySignature(a.public, message, stockSig) !== true) return 'WASM verify rejected a stock signature';
  if (wasm.verifySignature(a.public, Buffer.from('other message'), wasmSig) !== false) {
    return 'WASM verify accepted a wrong signature';
  }
  const shared = Buffer.from(wasm.calculateAgreement(b.public, a.private));
  if (!shared.equals(stockCurve.sharedKey(a.private, b.public))) return 'WASM key agreement differs from stock';
  return null;
}

/**
 * Key generation: a first login generates 812 one-time pre-keys, and Node's
 * generateKeyPairSync (DER encode/decode per key) costs ~0.2 ms each, over
 * half of the gateway's CPU while pairing (bench/README.md); the WASM one
 * ~0.07 ms. Trusted only when its pairs work with the stock functions.
 */
function keygenSelfTest(wasm: WasmCurve, stockCurve: StockCurve, stockKeygen: LibsignalCurve['generateKeyPair']): string | null {
  if (!wasm.generateKeyPair) return 'whatsapp-rust-bridge has no generateKeyPair';
  const raw = wasm.generateKeyPair();
  // libsignal insists on Buffers; the patched generator returns Buffers too.
  const w = { pubKey: Buffer.from(raw.pubKey), privKey: Buffer.from(raw.privKey) };
  if (w.pubKey.byteLength !== 33 || w.pubKey[0] !== 5 || w.privKey.byteLength !== 32) return 'WASM key pair has an unexpected shape';
  const s = stockKeygen();
  const mine = stockCurve.sharedKey(w.privKey, s.pubKey.subarray(1));
  const theirs = stockCurve.sharedKey(s.privKey, w.pubKey.subarray(1));
  if (!mine.equals(theirs)) return 'WASM key pair does not agree with a stock key pair';
  const sig = stockCurve.sign(w.privKey, Buffer.from('wagate keygen self-test'));
  if (wasm.verifySignature(w.pubKey.subarray(1), Buffer.from('wagate keygen self-test'), sig) !== true) {
    return 'a stock signature with a WASM private key does not verify';
  }
  return null;
}

/** Installs the WASM curve once; later calls return the first result. */
export function installFastCurve(logger: Logger): FastCurveResult {
  if (result) return result;
  const wasm = wasmCurve();
  if (typeof wasm === 'string') {
    result = { installed: false, reason: wasm };
    logger.warn({ reason: wasm }, 'fast curve not installed; using the stock pure-JS curve');
    return result;
  }

  let lib: LibsignalCurve;
  try {
    lib = loadLibsignalCurve();
  } catch (err) {
    result = { installed: false, reason: `libsignal curve not found: ${(err as Error).message}` };
    logger.warn({ reason: result.reason }, 'fast curve not installed; using the stock pure-JS curve');
    return result;
  }

  stock = { sign: Curve.sign, verify: Curve.verify, sharedKey: Curve.sharedKey, generateKeyPair: Curve.generateKeyPair };
  let failure: string | null;
  try {
    failure = selfTest(wasm, stock);
  } catch (err) {
    failure = `self-test threw: ${(err as Error).message}`;
  }
  if (failure) {
    result = { installed: false, reason: failure };
    logger.warn({ reason: failure }, 'fast curve not installed; using the stock pure-JS curve');
    return result;
  }

  let keygenFailure: string | null;
  try {
    keygenFailure = keygenSelfTest(wasm, stock, lib.generateKeyPair.bind(lib));
  } catch (err) {
    keygenFailure = `keygen self-test threw: ${(err as Error).message}`;
  }
  if (keygenFailure) {
    logger.info({ reason: keygenFailure }, 'key generation stays on the stock curve');
  } else {
    const generate = wasm.generateKeyPair!.bind(wasm);
    lib.generateKeyPair = () => {
      const pair = generate();
      return { pubKey: Buffer.from(pair.pubKey), privKey: Buffer.from(pair.privKey) };
    };
    // Baileys imports libsignal's curve as an ES module namespace, a copy of
    // the CommonJS exports taken at load: the line above does not reach it.
    // Its own Curve object is what fresh credentials and the Noise handshake use.
    Curve.generateKeyPair = () => {
      const pair = generate();
      return { private: Buffer.from(pair.privKey), public: Buffer.from(pair.pubKey.subarray(1)) };
    };
  }

  lib.calculateSignature = (privKey, message) => {
    checkedPrivateKey(privKey);
    if (!message) throw new Error('Invalid message');
    return Buffer.from(wasm.calculateSignature(privKey, message));
  };
  lib.verifySignature = (pubKey, msg, sig, isInit) => {
    const key = checkedPublicKey(pubKey);
    if (!msg) throw new Error('Invalid message');
    if (!sig || sig.byteLength !== 64) throw new Error('Invalid signature');
    // Same contract as libsignal: the boolean result, `true` for isInit.
    return isInit ? true : wasm.verifySignature(key, msg, sig) === true;
  };
  lib.calculateAgreement = (pubKey, privKey) => {
    const key = checkedPublicKey(pubKey);
    checkedPrivateKey(privKey);
    return Buffer.from(wasm.calculateAgreement(key, privKey));
  };

  Curve.sign = (privateKey, buf) => Buffer.from(wasm.calculateSignature(checkedPrivateKey(privateKey), buf));
  // The Noise certificates repeat on every handshake: their checks are remembered (verifyMemo.ts).
  Curve.verify = withVerifyMemo((pubKey, message, signature) => {
    try {
      return wasm.verifySignature(checkedPublicKey(pubKey), message, signature) === true;
    } catch {
      return false;
    }
  });
  Curve.sharedKey = (privateKey, publicKey) =>
    Buffer.from(wasm.calculateAgreement(checkedPublicKey(publicKey), checkedPrivateKey(privateKey)));

  // Group messages: Baileys' sender-key cipher holds its own copy of the curve functions.
  const signer = stock.generateKeyPair();
  const senderKeys = routeSenderKeySignatures(lib, {
    pubKey: Buffer.concat([Buffer.from([5]), signer.public]),
    privKey: Buffer.from(signer.private),
  });
  if (senderKeys) logger.warn({ reason: senderKeys }, 'group message signatures stay on the stock pure-JS curve');
  // Group sends on consecutive sender-key iterations (groupSendIterations.ts); self-tested after the routing above, async.
  sendGroupIterationsConsecutively().then(
    (why) => why && logger.warn({ reason: why }, 'group messages keep Baileys’ skipping sender-key iterations'),
    (err: unknown) => logger.warn({ err }, 'group messages keep Baileys’ skipping sender-key iterations'),
  );

  result = { installed: true };
  logger.info('fast curve installed: signing, verification and key agreement use whatsapp-rust-bridge (WASM)');
  return result;
}

/** The stock Baileys curve functions captured before patching (null until installFastCurve ran). */
export function stockCurve(): StockCurve | null {
  return stock;
}
