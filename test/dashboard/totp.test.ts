import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totp } from '../../src/api/dashboard/otp/totp.js';

// RFC 6238 appendix B, SHA-1 key, truncated to the 6 digits authenticator apps show.
const RFC_SECRET = Buffer.from('12345678901234567890');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(RFC_VECTORS)('at %i s gives %s', (seconds, code) => {
    expect(totp(RFC_SECRET, seconds * 1000)).toBe(code);
  });

  it('matches RFC 4226 HOTP vectors', () => {
    expect([0, 1, 2, 9].map((c) => hotp(RFC_SECRET, c))).toEqual(['755224', '287082', '359152', '520489']);
  });

  it('accepts one step of drift either way and nothing further', () => {
    const at = 1111111111_000;
    expect(matchTotp(RFC_SECRET, totp(RFC_SECRET, at - 30_000), at)).toBeDefined();
    expect(matchTotp(RFC_SECRET, totp(RFC_SECRET, at + 30_000), at)).toBeDefined();
    expect(matchTotp(RFC_SECRET, totp(RFC_SECRET, at - 90_000), at)).toBeUndefined();
    expect(matchTotp(RFC_SECRET, 'abcdef', at)).toBeUndefined();
  });

  it('round-trips base32 (RFC 4648 vectors)', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('f'))).toBe('MY');
    expect(base32Decode('MZXW6YTBOI').toString()).toBe('foobar');
    expect(base32Decode('mzxw 6ytb oi====').toString()).toBe('foobar');
  });

  it('builds an otpauth URI authenticator apps read', () => {
    const uri = new URL(otpauthUri(RFC_SECRET, 'dashboard', 'wagate'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/wagate:dashboard');
    expect(uri.searchParams.get('secret')).toBe(base32Encode(RFC_SECRET));
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
  });
});
