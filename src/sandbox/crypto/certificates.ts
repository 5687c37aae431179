/**
 * The sandbox's Noise certificate chain: root key → intermediate → leaf,
 * signed with real XEdDSA signatures. The leaf certifies the server's static
 * Noise key; the client trusts the root key (WA_CERT_DETAILS.PUBLIC_KEY) and
 * checks intermediate.issuerSerial == 0.
 */
import { proto } from 'baileys';
import { generateKeyPair, sign, type KeyPair } from './curve.js';

/** The issuer serial the intermediate carries; the client insists on 0. */
export const ROOT_SERIAL = 0;
const INTERMEDIATE_SERIAL = 1;
const LEAF_SERIAL = 2;
const TEN_YEARS_S = 10 * 365 * 24 * 3600;

function certificate(serial: number, issuerSerial: number, key: Buffer, issuerKey: KeyPair): proto.CertChain.INoiseCertificate {
  const now = Math.floor(Date.now() / 1000);
  const details = proto.CertChain.NoiseCertificate.Details.encode({
    serial,
    issuerSerial,
    key,
    notBefore: now - 3600,
    notAfter: now + TEN_YEARS_S,
  }).finish();
  return { details, signature: sign(issuerKey.private, details) };
}

/** Encoded CertChain{leaf, intermediate} for the ServerHello payload. */
export function buildCertChain(root: KeyPair, serverStatic: KeyPair): Buffer {
  const intermediate = generateKeyPair();
  const chain = proto.CertChain.encode({
    intermediate: certificate(INTERMEDIATE_SERIAL, ROOT_SERIAL, intermediate.public, root),
    leaf: certificate(LEAF_SERIAL, INTERMEDIATE_SERIAL, serverStatic.public, intermediate),
  }).finish();
  return Buffer.from(chain);
}
