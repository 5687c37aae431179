import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { normalizePhoneNumber, type PhoneNumberProblem } from '../../src/core/phoneNumber.js';

function reasonOf(input: string, sandbox: boolean): PhoneNumberProblem | 'OK' {
  try {
    normalizePhoneNumber(input, { sandbox });
    return 'OK';
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as GatewayError;
    expect(e.code).toBe('INVALID_PHONE_NUMBER');
    expect(e.status).toBe(400);
    expect(e.details?.phoneNumber).toBe(input);
    return e.details?.reason as PhoneNumberProblem;
  }
}

describe('normalizePhoneNumber', () => {
  describe('seed examples pass in sandbox mode', () => {
    it.each(['15551234567', '910000000000', '6281234567890', '628912344551', '201145202826'])('%s', (n) => {
      expect(normalizePhoneNumber(n, { sandbox: true })).toBe(n);
    });
  });

  describe('real-looking valid mobile numbers pass in both modes', () => {
    it.each([
      ['447911123456', '447911123456'],
      ['4915123456789', '4915123456789'],
      ['+1 (415) 555-2671', '14155552671'],
      ['+44 7911 123456', '447911123456'],
      ['0049 151 2345 6789', '4915123456789'],
      ['+49.151.2345.6789', '4915123456789'],
      [' 201145202826 ', '201145202826'],
      ['6281234567890', '6281234567890'],
    ])('%s → %s', (input, expected) => {
      expect(normalizePhoneNumber(input, { sandbox: false })).toBe(expected);
      expect(normalizePhoneNumber(input, { sandbox: true })).toBe(expected);
    });
  });

  it('accepts fictional +1 555 numbers only in sandbox mode', () => {
    expect(normalizePhoneNumber('+1 555 123 4567', { sandbox: true })).toBe('15551234567');
    expect(reasonOf('15551234567', false)).toBe('NOT_IN_USE');
    expect(reasonOf('910000000000', false)).toBe('NOT_IN_USE');
  });

  describe('each reason', () => {
    it.each<[string, boolean, PhoneNumberProblem]>([
      ['', true, 'NOT_A_NUMBER'],
      ['   ', false, 'NOT_A_NUMBER'],
      ['hello', true, 'NOT_A_NUMBER'],
      ['1555abc4567', true, 'NOT_A_NUMBER'],
      ['+', true, 'NOT_A_NUMBER'],
      ['++15551234567', true, 'NOT_A_NUMBER'],
      ['01112223333', true, 'NO_COUNTRY_CODE'],
      ['01112223333', false, 'NO_COUNTRY_CODE'],
      ['123', true, 'TOO_SHORT'],
      ['4412', false, 'TOO_SHORT'],
      ['1234567890123456789', true, 'TOO_LONG'],
      ['4915123456789012', false, 'TOO_LONG'],
      ['999123456', true, 'INVALID_COUNTRY_CODE'],
      ['+999 123 456', false, 'INVALID_COUNTRY_CODE'],
      ['11234567890', false, 'NOT_IN_USE'],
      ['442071838750', false, 'NOT_MOBILE'],
      ['4930123456', false, 'NOT_MOBILE'],
    ])('%j (sandbox %s) → %s', (input, sandbox, reason) => {
      expect(reasonOf(input, sandbox)).toBe(reason);
    });
  });

  it('explains how to add the country code to a national number', () => {
    expect(() => normalizePhoneNumber('01112223333', { sandbox: false })).toThrow(/country code.*201112223333/);
  });

  it('lets fixed-line numbers through in sandbox mode (any possible number passes)', () => {
    expect(normalizePhoneNumber('442071838750', { sandbox: true })).toBe('442071838750');
  });
});

describe('normalizePhoneNumber canonical form', () => {
  it('drops a national trunk 0 written after the country code outside sandbox mode', () => {
    expect(normalizePhoneNumber('+44 07911 123456', { sandbox: false })).toBe('447911123456');
  });
});
