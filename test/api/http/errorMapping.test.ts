/**
 * The one mapping from anything thrown to the catalogue: every kind of
 * Fastify (and Node HTTP parser) failure lands on a stable code and status.
 */
import { errorCodes } from 'fastify';
import { describe, expect, it } from 'vitest';
import { toGatewayError } from '../../../src/api/http/errors.js';
import { ErrorSurfaces, nativeSurface, type ErrorSurface } from '../../../src/api/http/errorSurfaces.js';
import { requestLinePath } from '../../../src/api/http/routerErrors.js';
import { GatewayError } from '../../../src/core/errors.js';

function mapped(err: unknown): { code: string; status: number } {
  const { code, status } = toGatewayError(err);
  return { code, status };
}

describe('toGatewayError', () => {
  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), 'PAYLOAD_TOO_LARGE', 413],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/csv'), 'UNSUPPORTED_MEDIA_TYPE', 415],
    ['FST_ERR_CTP_INVALID_JSON_BODY', new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), 'INVALID_JSON', 400],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), 'INVALID_JSON', 400],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), 'BAD_REQUEST', 400],
    ['FST_ERR_NOT_FOUND', new errorCodes.FST_ERR_NOT_FOUND(), 'NOT_FOUND', 404],
    ['FST_ERR_BAD_URL', new errorCodes.FST_ERR_BAD_URL('/%zz'), 'INVALID_URL', 400],
    ['FST_ERR_INVALID_URL', new errorCodes.FST_ERR_INVALID_URL(42), 'INVALID_URL', 400],
    ['FST_ERR_MAX_PARAM_LENGTH', new errorCodes.FST_ERR_MAX_PARAM_LENGTH('/x'), 'URI_TOO_LONG', 414],
    ['FST_ERR_ASYNC_CONSTRAINT', new errorCodes.FST_ERR_ASYNC_CONSTRAINT(), 'INTERNAL', 500],
    ['HPE_HEADER_OVERFLOW', Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW' }), 'HEADERS_TOO_LARGE', 431],
  ])('%s → its catalogue entry', (_name, err, code, status) => {
    expect(mapped(err)).toEqual({ code, status });
  });

  it.each([
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [414, 'URI_TOO_LONG'],
    [415, 'UNSUPPORTED_MEDIA_TYPE'],
    [429, 'RATE_LIMITED'],
    [431, 'HEADERS_TOO_LARGE'],
  ])('a thrown %i keeps its status as %s', (statusCode, code) => {
    expect(mapped(Object.assign(new Error('x'), { statusCode }))).toEqual({ code, status: statusCode });
  });

  it('any other 4xx is a 400 BAD_REQUEST carrying the original text, never a 500', () => {
    const err = toGatewayError(Object.assign(new Error('Not Acceptable here'), { statusCode: 406, code: 'SOME_PLUGIN_ERROR' }));
    expect(err).toMatchObject({ code: 'BAD_REQUEST', status: 400, message: 'Not Acceptable here' });
  });

  it('schema validation names the field; a bad :sessionId is INVALID_SESSION_ID', () => {
    const body = Object.assign(new Error('body must have required property'), {
      validation: [{ keyword: 'required', instancePath: '', params: { missingProperty: 'phoneNumber' } }],
      validationContext: 'body',
    });
    expect(toGatewayError(body)).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, message: 'body.phoneNumber is required' });
    const params = Object.assign(new Error('params/sessionId'), {
      validation: [{ keyword: 'pattern', instancePath: '/sessionId', params: {}, message: 'must match pattern' }],
      validationContext: 'params',
    });
    expect(mapped(params)).toEqual({ code: 'INVALID_SESSION_ID', status: 400 });
  });

  it('a GatewayError passes through; anything else is INTERNAL 500', () => {
    const own = new GatewayError('SESSION_NOT_FOUND');
    expect(toGatewayError(own)).toBe(own);
    expect(mapped(new TypeError('boom'))).toEqual({ code: 'INTERNAL', status: 500 });
    expect(mapped('a string')).toEqual({ code: 'INTERNAL', status: 500 });
    expect(mapped(null)).toEqual({ code: 'INTERNAL', status: 500 });
  });
});

describe('ErrorSurfaces', () => {
  const named = (name: string): ErrorSurface => ({ name, render: nativeSurface.render });
  const surfaces = new ErrorSurfaces(nativeSurface);
  surfaces.add(nativeSurface, ['/api/v1', '/sandbox']);
  surfaces.add(named('waha'), ['/compat/waha']);
  surfaces.add(named('waha-root'), ['/api/sessions', '/api/:session/auth']);
  surfaces.add(named('dashboard'), ['/dashboard']);

  it.each([
    ['/api/v1/sessions/x', 'native'],
    ['/compat/waha/api/sessions/x?all=1', 'waha'],
    ['/compat/wahax/api', 'native'],
    ['/api/sessions/abc', 'waha-root'],
    ['/api/abc/auth/qr', 'waha-root'],
    ['/api/v1/auth', 'native'],
    ['/dashboard/api/me', 'dashboard'],
    ['/sandbox/phones', 'native'],
    ['/nowhere', 'native'],
  ])('%s → %s', (url, name) => {
    expect(surfaces.forUrl(url).name).toBe(name);
  });

  it('reads the path from the request line the parser had read', () => {
    expect(requestLinePath(Buffer.from('GET /compat/waha/api/sessions HTTP/1.1\r\nHost: x\r\n'))).toBe('/compat/waha/api/sessions');
    expect(requestLinePath(Buffer.from('garbage'))).toBe('/');
    expect(requestLinePath(undefined)).toBe('/');
  });
});
