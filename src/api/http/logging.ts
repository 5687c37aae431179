/**
 * What an HTTP request contributes to a log line: never headers (they carry
 * Authorization / X-Api-Key), and query values that look like credentials
 * (some dialects accept `?x-api-key=` or `?access_token=`) are masked.
 */
import type { FastifyRequest } from 'fastify';

const SECRET_QUERY_NAME = /key|token|secret|password|passwd|auth|code|otp|signature/i;

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of new Set(params.keys())) {
    if (SECRET_QUERY_NAME.test(name)) {
      params.set(name, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** pino serializer for `req` in Fastify's request logs. */
export function serializeRequest(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
  };
}

/** Paths pino must censor wherever a header object is logged by accident. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'key',
  'apiKey',
];
