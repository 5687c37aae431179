/**
 * Turns anything a route or Fastify throws into a GatewayError, so every
 * envelope (native and dialects) starts from the same catalogue code.
 * Fastify's own failures (body parsing, schema validation, 404, router and
 * header-size failures) are mapped here once; each surface then renders the
 * GatewayError in its envelope (errorSurfaces.ts).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError, type ErrorCode } from '../../core/errors.js';
import { nativeSurface, sendError } from './errorSurfaces.js';

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

/** Fastify (and Node http parser) error codes with a catalogue entry of their own. */
const BY_CODE: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
  FST_ERR_BAD_URL: 'INVALID_URL',
  FST_ERR_INVALID_URL: 'INVALID_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
};

/** Statuses a thrown 4xx may carry that have a catalogue entry of their own. */
const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/**
 * Map any thrown value onto the catalogue: the one mapping every surface
 * (native, dialects, dashboard, router-level failures) uses.
 */
export function toGatewayError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  if (isMalformedMultipart(err)) {
    return new GatewayError('BAD_REQUEST', `The multipart/form-data body is malformed: ${(err as Error).message}`, undefined, { cause: err });
  }
  const fe = err as Partial<FastifyError> | null;
  if (fe && typeof fe === 'object') {
    if (Array.isArray(fe.validation)) return fromValidation(fe as FastifyError);
    const byCode = typeof fe.code === 'string' ? BY_CODE[fe.code] : undefined;
    if (byCode !== undefined) return new GatewayError(byCode, undefined, undefined, { cause: err });
    const status = fe.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const byStatus = BY_STATUS[status];
      if (byStatus !== undefined) return new GatewayError(byStatus, undefined, undefined, { cause: err });
      // Other client errors keep Fastify's text (it names the problem) under the generic code.
      return new GatewayError('BAD_REQUEST', typeof fe.message === 'string' ? fe.message : undefined, undefined, { cause: err });
    }
  }
  return new GatewayError('INTERNAL', undefined, undefined, { cause: err });
}

/**
 * Log server-side failures with the request's logger (which carries the
 * request id) and the session the request is about; never the request's secrets.
 */
export function logIfServerError(request: FastifyRequest, error: GatewayError, original: unknown, sessionId?: string): void {
  if (error.status < 500) return;
  const fromParams = (request.params as Record<string, unknown> | undefined)?.sessionId;
  const session = sessionId ?? (typeof fromParams === 'string' ? fromParams : undefined);
  request.log.error({ err: original, code: error.code, ...(session === undefined ? {} : { sessionId: session }) }, 'request failed');
}

/** Write the native envelope: `{"error": {"code", "message", "details"}}` plus Retry-After. */
export function renderNativeError(error: GatewayError, reply: FastifyReply): FastifyReply {
  return sendError(reply, error, nativeSurface);
}

/** The multipart parser (busboy) fails on a broken body with a bare Error: the client's 400, not our 500. */
function isMalformedMultipart(err: unknown): boolean {
  if (!(err instanceof Error) || (err as { statusCode?: unknown }).statusCode !== undefined) return false;
  return (err.stack ?? '').includes('@fastify/busboy') || /multipart|boundary/i.test(err.message);
}
