/**
 * The one error catalogue of the gateway (after Fastify's lib/errors.js):
 * every failure a client can see has a stable machine code, an HTTP status
 * and a message. The native API renders it as
 * `{"error": {"code", "message", "details"}}`; each dialect maps the same
 * error onto its own envelope, so the catalogue stays the single truth.
 */

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export const ERRORS = {
  // 400
  BAD_REQUEST: { status: 400, message: 'The request is not valid' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON' },
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the expected schema' },
  INVALID_SESSION_ID: {
    status: 400,
    message: 'A session id is 1 to 64 characters of letters, digits, "_" and "-"',
  },
  INVALID_PHONE_NUMBER: { status: 400, message: 'The phone number is not valid' },
  INVALID_QR: { status: 400, message: 'The QR code is not valid' },
  INVALID_PAIRING_CODE: { status: 400, message: 'The pairing code is not valid' },
  INVALID_MEDIA: { status: 400, message: 'The media is not valid' },
  URL_NOT_ALLOWED: { status: 400, message: 'The URL points to an address the gateway may not reach' },
  INVALID_URL: { status: 400, message: 'The URL is not valid; percent-encode reserved characters (%XX) in path segments' },
  // 401 / 403
  UNAUTHORIZED: { status: 401, message: 'A valid API key is required' },
  FORBIDDEN: { status: 403, message: 'This key may not act on this resource' },
  OTP_REQUIRED: { status: 403, message: 'This action needs a one-time code' },
  OTP_INVALID: { status: 403, message: 'The one-time code is wrong or expired' },
  OTP_LOCKED: { status: 429, message: 'Too many wrong one-time codes; try again later' },
  // 404
  NOT_FOUND: { status: 404, message: 'Not found' },
  SESSION_NOT_FOUND: { status: 404, message: 'No session with this id' },
  KEY_NOT_FOUND: { status: 404, message: 'No key with this id' },
  PHONE_NOT_FOUND: { status: 404, message: 'No simulated phone with this number' },
  DEVICE_NOT_FOUND: { status: 404, message: 'No linked device with this id' },
  QR_NOT_FOUND: { status: 404, message: 'No QR code is available' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No message with this id in this session' },
  MEDIA_NOT_AVAILABLE: { status: 404, message: 'This message has no media to download' },
  WEBHOOK_NOT_FOUND: { status: 404, message: 'No webhook with this id' },
  DELIVERY_NOT_FOUND: { status: 404, message: 'No delivery with this id for this webhook' },
  // 408
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  // 409
  SESSION_EXISTS: { status: 409, message: 'A session with this id already exists' },
  ALREADY_PAIRED: { status: 409, message: 'The session is already paired; use connect to reconnect' },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'This Idempotency-Key was used for a different request; use a new key for new content',
  },
  // 413
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than allowed' },
  MEDIA_TOO_LARGE: { status: 413, message: 'The media is larger than allowed' },
  // 414
  URI_TOO_LONG: { status: 414, message: 'A path segment is too long; ids are at most 100 characters' },
  // 415
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be JSON' },
  // 422
  SESSION_NOT_READY: { status: 422, message: 'The session is not in a state that allows this action' },
  NOT_ON_WHATSAPP: { status: 422, message: 'The recipient is not on WhatsApp' },
  MEDIA_FETCH_FAILED: { status: 422, message: 'The media could not be fetched from the URL' },
  // 429
  PAIRING_RATE_LIMITED: {
    status: 429,
    message: 'Too many pairing codes were requested for this phone number; wait before asking again',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  AUTH_RATE_LIMITED: { status: 429, message: 'Too many wrong API keys from this address; wait before trying again' },
  SESSION_LIMIT_REACHED: {
    status: 429,
    message: 'The gateway holds as many sessions as it may (WAGATE_MAX_SESSIONS); delete one or raise the setting',
  },
  TOO_MANY_STREAMS: {
    status: 429,
    message: 'This address has as many event streams open as it may (WAGATE_MAX_SSE_STREAMS_PER_ADDRESS); close one first',
  },
  TOO_MANY_CONNECTIONS: {
    status: 429,
    message: 'This address has as many connections open as it may (WAGATE_MAX_CONNECTIONS_PER_ADDRESS); reuse or close one',
  },
  // 429, not 503: the limit is one session's (its client sends faster than WhatsApp takes the messages), not
  // the gateway's health. Load balancers and proxies read a 503 as "this node is down" and may fail over or
  // retry it on another node, which does not hold the session; HTTP clients that honour Retry-After
  // (urllib3's Retry, got, Polly, OkHttp interceptors) treat 429 as "slow down and retry", which is what helps.
  SEND_BACKLOG_FULL: {
    status: 429,
    message:
      'The session has as many messages waiting to be sent as it may (WAGATE_MAX_PENDING_SENDS); nothing was stored: retry after Retry-After seconds, send more slowly, or raise the setting',
  },
  // 431
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large; send them under 16 KB' },
  // 5xx
  ENGINE_ERROR: { status: 502, message: 'The WhatsApp engine failed to complete the request' },
  TIMEOUT: { status: 504, message: 'The WhatsApp engine did not answer in time' },
  SHUTTING_DOWN: { status: 503, message: 'The gateway is shutting down' },
  SESSION_MOVED: {
    status: 503,
    message: 'The session moved to another gateway node while this request waited for it; retry (any node forwards it to the new owner)',
  },
  SESSION_OWNED_ELSEWHERE: {
    status: 503,
    message: 'Another gateway node holds this session and could not be reached; retry in a few seconds (it takes the session over when that node is gone)',
  },
  STREAM_LIMIT_REACHED: {
    status: 503,
    message: 'The gateway serves as many event streams as it may (WAGATE_MAX_SSE_STREAMS); try again later or raise the setting',
  },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds a client should wait (rendered as Retry-After). */
  readonly retryAfterSeconds: number | undefined;
  /** What to do next, where one thing helps (e.g. "call POST …/connect first"). */
  readonly hint: string | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    details?: Record<string, unknown>,
    opts: { retryAfterSeconds?: number; cause?: unknown; hint?: string } = {},
  ) {
    super(message ?? ERRORS[code].message, { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.hint = opts.hint;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
