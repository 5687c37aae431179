/**
 * Route the signature of every group (sender-key) message through the curve
 * installFastCurve patched.
 *
 * Why: Baileys' group cipher (lib/Signal/Group/sender-key-message.js) binds
 * libsignal's calculateSignature/verifySignature at import, an ES-module copy
 * of the CommonJS exports, so patching those exports does not reach it. Each
 * group message sent paid a pure-JS XEdDSA signature and each one received a
 * pure-JS check, ~10 ms apiece, ~90 % of a group message's CPU
 * (bench/micro/signalCiphers.mjs, bench/README.md "Signal ciphers").
 *
 * What changes: SenderKeyMessage's two prototype methods, with the stock
 * slicing and error contract ("Invalid signature!"). Message bytes and stored
 * sender keys are unchanged. Trusted only after a self-test against the stock
 * methods in both directions and a tampered message refused.
 */
import { SenderKeyMessage } from 'baileys/lib/Signal/Group/sender-key-message.js';

type Bytes = Uint8Array;

export interface CurveSignatures {
  calculateSignature(privKey: Buffer, message: Bytes): Buffer;
  verifySignature(pubKey: Buffer, msg: Bytes, sig: Bytes, isInit?: boolean): boolean;
}

/** The two methods as the compiled class has them (private in Baileys' .d.ts). */
interface SenderKeyMessageMethods {
  getSignature(signatureKey: Bytes, serialized: Bytes): Buffer;
  verifySignature(signatureKey: Bytes): void;
}

/** The field the compiled class keeps its bytes in (private in the .d.ts). */
interface SignedMessage {
  serialized: Buffer;
}

const SIGNATURE_LENGTH = 64;

const SELF_TEST_TEXT = Buffer.from('wagate sender-key self-test');

/** `stockSigned` was made before the patch; everything else here runs patched. */
function selfTest(stock: SenderKeyMessageMethods, stockSigned: SenderKeyMessage, pubKey: Buffer, privKey: Buffer): string | null {
  try {
    stockSigned.verifySignature(pubKey);
  } catch {
    return 'routed verify rejected a stock signature';
  }
  const routedSigned = new SenderKeyMessage(7, 4, SELF_TEST_TEXT, privKey);
  try {
    stock.verifySignature.call(routedSigned, pubKey);
  } catch {
    return 'stock verify rejected a routed signature';
  }
  const tampered = Buffer.from(routedSigned.serialize());
  tampered[2] = (tampered[2]! + 1) % 256;
  try {
    new SenderKeyMessage(null, null, null, null, tampered).verifySignature(pubKey);
  } catch {
    return null;
  }
  return 'routed verify accepted a tampered message';
}

/**
 * Patches SenderKeyMessage once; returns null when done, else why not (the
 * stock methods then stay). `curve` is libsignal's patched curve module;
 * `keyPair` a libsignal-shaped pair (33-byte public key) for the self-test.
 */
export function routeSenderKeySignatures(curve: CurveSignatures, keyPair: { pubKey: Buffer; privKey: Buffer }): string | null {
  const proto = SenderKeyMessage.prototype as unknown as SenderKeyMessageMethods;
  if (typeof proto.getSignature !== 'function' || typeof proto.verifySignature !== 'function') {
    return 'SenderKeyMessage has no getSignature/verifySignature';
  }
  const stock: SenderKeyMessageMethods = { getSignature: proto.getSignature, verifySignature: proto.verifySignature };
  let stockSigned: SenderKeyMessage;
  try {
    stockSigned = new SenderKeyMessage(7, 3, SELF_TEST_TEXT, keyPair.privKey);
  } catch (err) {
    return `stock signing threw: ${(err as Error).message}`;
  }

  proto.getSignature = (signatureKey, serialized) => Buffer.from(curve.calculateSignature(Buffer.from(signatureKey), serialized));
  proto.verifySignature = function (this: SignedMessage, signatureKey: Bytes): void {
    const body = this.serialized.subarray(0, this.serialized.length - SIGNATURE_LENGTH);
    const signature = this.serialized.subarray(-SIGNATURE_LENGTH);
    if (!curve.verifySignature(Buffer.from(signatureKey), body, signature)) throw new Error('Invalid signature!');
  };

  let failure: string | null;
  try {
    failure = selfTest(stock, stockSigned, keyPair.pubKey, keyPair.privKey);
  } catch (err) {
    failure = `self-test threw: ${(err as Error).message}`;
  }
  if (failure) {
    proto.getSignature = stock.getSignature;
    proto.verifySignature = stock.verifySignature;
  }
  return failure;
}
