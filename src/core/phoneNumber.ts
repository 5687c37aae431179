/**
 * Phone numbers as WhatsApp wants them: E.164 digits without '+'.
 *
 * Users paste numbers in every format ("+1 (415) 555-2671", "0044 7911…"),
 * so we strip the usual punctuation first, then let libphonenumber's full
 * metadata decide. Outside sandbox mode a number must be valid for its
 * country and able to receive SMS/calls on a mobile line; in sandbox mode
 * any *possible* number passes, because simulated phones live in the
 * fictional +1 555 range that real metadata rejects.
 */
import { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';
import type { NumberType } from 'libphonenumber-js/max';
import { GatewayError } from './errors.js';

export type PhoneNumberProblem =
  | 'NOT_A_NUMBER'
  | 'NO_COUNTRY_CODE'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'INVALID_COUNTRY_CODE'
  | 'NOT_IN_USE'
  | 'NOT_MOBILE';

/** E.164 allows at most 15 digits including the country code. */
const MAX_E164_DIGITS = 15;

/** Types that cannot carry a WhatsApp account (no mobile line behind them). */
const NON_MOBILE_TYPES: ReadonlySet<NumberType> = new Set<NumberType>([
  'FIXED_LINE',
  'TOLL_FREE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'PAGER',
  'VOICEMAIL',
  'UAN',
]);

function fail(input: string, reason: PhoneNumberProblem, message: string): never {
  throw new GatewayError('INVALID_PHONE_NUMBER', message, { phoneNumber: input, reason });
}

/** Remove formatting and the international prefix; returns the digits or throws NOT_A_NUMBER. */
function toDigits(input: string): string {
  const compact = input.trim().replace(/[\s\-.()]/g, '');
  if (compact === '') fail(input, 'NOT_A_NUMBER', 'The phone number is empty');
  let digits = compact;
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  if (!/^\d+$/.test(digits)) {
    fail(input, 'NOT_A_NUMBER', 'A phone number may contain only digits, an optional leading "+", spaces, dashes, dots and parentheses');
  }
  return digits;
}

/**
 * Normalise and check a phone number; returns E.164 digits without '+'.
 * Throws GatewayError INVALID_PHONE_NUMBER with details {phoneNumber, reason}.
 */
export function normalizePhoneNumber(input: string, opts: { sandbox: boolean }): string {
  const digits = toDigits(input);

  // No country calling code starts with 0: this is a national number ("01112223333").
  if (digits.startsWith('0')) {
    fail(
      input,
      'NO_COUNTRY_CODE',
      'The phone number has no country code: include the country code and drop the national leading 0, ' +
        'e.g. 201112223333 for the Egyptian number 01112223333',
    );
  }
  if (digits.length > MAX_E164_DIGITS) {
    fail(input, 'TOO_LONG', `The phone number is too long: at most ${MAX_E164_DIGITS} digits including the country code`);
  }

  const international = `+${digits}`;
  const lengthProblem = validatePhoneNumberLength(international);
  switch (lengthProblem) {
    case 'INVALID_COUNTRY':
      fail(input, 'INVALID_COUNTRY_CODE', 'The phone number does not start with a known country code');
    case 'TOO_SHORT':
      fail(input, 'TOO_SHORT', 'The phone number is too short for its country');
    case 'TOO_LONG':
      fail(input, 'TOO_LONG', 'The phone number is too long for its country');
    case 'NOT_A_NUMBER':
      fail(input, 'NOT_A_NUMBER', 'The phone number is not a number');
    case 'INVALID_LENGTH':
      fail(input, 'NOT_IN_USE', 'No phone number of this length is in use in its country');
    case undefined:
      break;
  }

  const parsed = parsePhoneNumberFromString(international);
  if (parsed === undefined) fail(input, 'NOT_A_NUMBER', 'The phone number could not be read');
  if (!parsed.isPossible()) fail(input, 'NOT_IN_USE', 'No phone number of this length is in use in its country');

  // Sandbox phones are registered under the exact digits typed, so keep them;
  // libphonenumber would drop a national '0' after the country code (+91 0…).
  if (opts.sandbox) return digits;

  const country = parsed.country ?? `+${parsed.countryCallingCode}`;
  if (!parsed.isValid()) {
    fail(input, 'NOT_IN_USE', `The phone number is not a number in use in ${country}`);
  }
  const type = parsed.getType();
  if (type !== undefined && NON_MOBILE_TYPES.has(type)) {
    fail(
      input,
      'NOT_MOBILE',
      `The phone number is a ${type.toLowerCase().replace(/_/g, '-')} number in ${country}; WhatsApp needs a mobile number`,
    );
  }
  // Canonical form: "+44 07911 123456" becomes 447911123456.
  return parsed.number.slice(1);
}
