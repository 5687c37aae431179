/**
 * Turns anything a route or Fastify throws into a GatewayError, so every
 * envelope (native and dialects) starts from the same catalogue code.
 * Fastify's own failures (body parsing, schema validation, 404) are mapped
 * here once; `renderNativeError` then writes the native `{"error": …}` body.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError } from '../../core/errors.js';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface FieldProblem {
  /** `body.phoneNumber`, `query.limit`, `params.sessionId`. */
  field: string;
  message: string;
}

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

function fieldPath(part: string, instancePath: string, extra?: string): string {
  const segments = instancePath.split('/').filter((s) => s !== '');
  if (extra !== undefined) segments.push(extra);
  return [part, ...segments].join('.');
}

/** One readable problem per failing field (TypeBox / Ajv error objects). */
export function describeValidation(part: string, issues: readonly ValidationIssue[]): FieldProblem[] {
  const prefix = PART_NAMES[part] ?? part;
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    // TypeBox reports an unknown property twice ("schema is false" on it, then on the object).
    if (issue.keyword === 'boolean') continue;
    if (issue.keyword === 'required') {
      const names = (issue.params.requiredProperties ?? [issue.params.missingProperty]) as unknown[];
      for (const name of names) problems.push({ field: fieldPath(prefix, issue.instancePath, String(name)), message: 'is required' });
    } else if (issue.keyword === 'additionalProperties') {
      const names = (issue.params.additionalProperties ?? [issue.params.additionalProperty]) as unknown[];
      for (const name of [names].flat()) {
        problems.push({ field: fieldPath(prefix, issue.instancePath, String(name)), message: 'is not a known field' });
      }
    } else {
      problems.push({ field: fieldPath(prefix, issue.instancePath), message: issue.message ?? 'is not valid' });
    }
  }
  if (problems.length === 0) problems.push({ field: prefix, message: 'is not valid' });
  return problems;
}

function fromValidation(err: FastifyError): GatewayError {
  const part = err.validationContext ?? 'body';
  const problems = describeValidation(part, (err.validation ?? []) as ValidationIssue[]);
  if (part === 'params' && problems.some((p) => p.field === 'params.sessionId')) {
    return new GatewayError('INVALID_SESSION_ID');
  }
  const first = problems[0]!;
  return new GatewayError('VALIDATION_FAILED', `${first.field} ${first.message}`, {
    field: first.field,
    errors: problems,
  });
}

/** Map any thrown value onto the catalogue. */
export function toGatewayError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  const fe = err as Partial<FastifyError> | null;
  if (fe && typeof fe === 'object') {
    if (Array.isArray(fe.validation)) return fromValidation(fe as FastifyError);
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new GatewayError('PAYLOAD_TOO_LARGE');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new GatewayError('UNSUPPORTED_MEDIA_TYPE');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new GatewayError('INVALID_JSON');
      case 'FST_ERR_NOT_FOUND':
        return new GatewayError('NOT_FOUND');
    }
    const status = fe.statusCode;
    if (status === 404) return new GatewayError('NOT_FOUND');
    if (status === 413) return new GatewayError('PAYLOAD_TOO_LARGE');
    if (status === 415) return new GatewayError('UNSUPPORTED_MEDIA_TYPE');
    if (status === 429) return new GatewayError('RATE_LIMITED');
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new GatewayError('BAD_REQUEST', typeof fe.message === 'string' ? fe.message : undefined);
    }
  }
  return new GatewayError('INTERNAL', undefined, undefined, { cause: err });
}

/** Log server-side failures with the request's logger (which carries the request id); never the request's secrets. */
export function logIfServerError(request: FastifyRequest, error: GatewayError, original: unknown): void {
  if (error.status < 500) return;
  const sessionId = (request.params as Record<string, unknown> | undefined)?.sessionId;
  request.log.error({ err: original, code: error.code, sessionId }, 'request failed');
}

/** Write the native envelope: `{"error": {"code", "message", "details"}}` plus Retry-After. */
export function renderNativeError(error: GatewayError, reply: FastifyReply): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  // A stream that already started cannot carry an error body.
  if (reply.sent) return reply;
  // Plain JSON.stringify: a route's response schema must never trim `details`.
  return reply
    .status(error.status)
    .type('application/json; charset=utf-8')
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send({ error: error.toJSON() });
}
