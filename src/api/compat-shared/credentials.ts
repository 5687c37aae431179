/**
 * Reading credentials and loose fields from dialect requests. Dialect clients
 * send keys in headers, query strings or bodies, and numbers as strings or
 * numbers; these helpers take whatever form the originals accept.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { GatewayCore, Principal } from '../../core/gateway.js';
import type { GatewayError } from '../../core/errors.js';
import { resolveRequestPrincipal } from '../http/auth.js';
import { refuseWrongCredentials } from '../http/authThrottle.js';

/** A header's first value, trimmed; undefined when absent or empty. */
export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const raw = request.headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The first of `names` present in `source` as a non-empty string (numbers become strings). */
export function stringField(source: unknown, ...names: string[]): string | undefined {
  const record = asRecord(source);
  if (record === undefined) return undefined;
  for (const name of names) {
    const value = record[name];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** The first of `names` found in the query string, then in the body. */
export function queryOrBodyField(request: FastifyRequest, ...names: string[]): string | undefined {
  return stringField(request.query, ...names) ?? stringField(request.body, ...names);
}

/** A boolean-ish field (`true`, `"true"`, `1`), undefined when absent. */
export function booleanField(source: unknown, name: string): boolean | undefined {
  const value = asRecord(source)?.[name];
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
  return undefined;
}

/**
 * Resolve a presented key through the core and store it as
 * `request.principal`; undefined for a missing or unknown key.
 */
export async function resolvePrincipal(request: FastifyRequest, core: GatewayCore, key: string | undefined): Promise<Principal | undefined> {
  return resolveRequestPrincipal(request, core.apiKeys, key);
}

/**
 * The presented key's principal (stored as `request.principal`), or throw
 * `refusal`: at once for a missing key, through the wrong-key throttle for a
 * wrong one (then 429 once the address sent too many).
 */
export async function requirePrincipal(
  request: FastifyRequest,
  core: GatewayCore,
  key: string | undefined,
  refusal: GatewayError,
): Promise<Principal> {
  if (key === undefined || key === '') throw refusal;
  const principal = await resolvePrincipal(request, core, key);
  return principal ?? refuseWrongCredentials(request, refusal);
}

/** Compare secrets in constant time whatever their lengths (hashing first hides the length). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
