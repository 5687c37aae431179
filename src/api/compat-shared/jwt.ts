/**
 * Minimal HS256 JSON Web Tokens (RFC 7519) for gomulti's device tokens. Only
 * what we mint is accepted: alg must be HS256, the signature must match and
 * `exp` must lie in the future.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Record<string, unknown> & { exp: number; iat: number };

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function signature(secret: Buffer, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

export function signJwt(secret: Buffer, claims: Record<string, unknown>, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const payload = { ...claims, iat, exp: iat + ttlSeconds };
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${b64url(signature(secret, signingInput))}`;
}

function parseJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a valid, unexpired token; undefined otherwise. */
export function verifyJwt(secret: Buffer, token: string, now = Date.now()): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJson(headerPart);
  if (header?.alg !== 'HS256') return undefined;
  const expected = signature(secret, `${headerPart}.${payloadPart}`);
  const presented = Buffer.from(signaturePart, 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
  const claims = parseJson(payloadPart);
  if (claims === undefined || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return undefined;
  if (claims.exp * 1000 <= now) return undefined;
  return claims as JwtClaims;
}
