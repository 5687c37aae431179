/** Engine and store failures carry no HTTP meaning; the core alone maps them onto the catalogue. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { fromLowerLayer } from '../../src/core/lowerErrors.js';
import { EngineError, type EngineErrorCode } from '../../src/engine/errors.js';
import { StoreError } from '../../src/store/errors.js';

const context = { sessionId: 's1', action: 'send a message' };

describe('fromLowerLayer', () => {
  it.each([
    ['INVALID_ADDRESS', 'INVALID_PHONE_NUMBER', 400],
    ['ALREADY_PAIRED', 'ALREADY_PAIRED', 409],
    ['NOT_CONNECTED', 'SESSION_NOT_READY', 422],
    ['TIMEOUT', 'TIMEOUT', 504],
    ['FAILED', 'ENGINE_ERROR', 502],
  ] as Array<[EngineErrorCode, string, number]>)('engine %s → %s (%i) with the session id', (engineCode, code, status) => {
    const cause = new EngineError(engineCode, 'boom');
    const error = fromLowerLayer(cause, context);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code, status, details: { sessionId: 's1' } });
    expect(error.cause).toBe(cause);
  });

  it('says what failed for engine failures', () => {
    expect(fromLowerLayer(new EngineError('FAILED', 'stream errored'), context).message).toBe(
      'WhatsApp did not send a message: stream errored',
    );
  });

  it('a duplicate row in the store is SESSION_EXISTS', () => {
    expect(fromLowerLayer(new StoreError('DUPLICATE', 'dup'), context)).toMatchObject({ code: 'SESSION_EXISTS', status: 409 });
  });

  it('passes catalogue errors through untouched, and anything else is a 502 naming the action', () => {
    const own = new GatewayError('SESSION_NOT_FOUND');
    expect(fromLowerLayer(own, context)).toBe(own);
    expect(fromLowerLayer(new Error('socket hang up'), context)).toMatchObject({
      code: 'ENGINE_ERROR',
      message: 'WhatsApp did not send a message: socket hang up',
    });
  });
});
