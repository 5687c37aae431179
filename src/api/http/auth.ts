/**
 * API key authentication, shared by every surface. Keys come as
 * `Authorization: Bearer <key>` or `X-Api-Key: <key>` on the native API (the
 * dialects read theirs where their clients send them). The resolved key is
 * stored on the request as `request.principal`, the one place any surface
 * looks for who is calling; what it may do is the core's rule
 * (src/core/access.ts).
 */
import type { FastifyRequest } from 'fastify';
import { authorize, type AccessRequest } from '../../core/access.js';
import { GatewayError } from '../../core/errors.js';
import type { ApiKeyService, Principal } from '../../core/gateway.js';
import { refuseWrongCredentials } from './authThrottle.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key that authenticated this request; undefined on routes without auth or before the auth hook. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /**
     * The route scopes session keys itself (e.g. /webhooks: a session key
     * sees its own session's webhooks), so the hook only authenticates.
     */
    scopedByRoute?: boolean;
  }
}

/** The presented key, or undefined when none was sent. */
export function extractApiKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return undefined;
}

/**
 * Resolve a presented key and store it as `request.principal`. Undefined (and
 * nothing stored) for a missing or unknown key; the caller says how it refuses.
 */
export async function resolveRequestPrincipal(
  request: FastifyRequest,
  apiKeys: ApiKeyService,
  key: string | undefined,
): Promise<Principal | undefined> {
  if (key === undefined || key === '') return undefined;
  const principal = await apiKeys.verify(key);
  if (principal !== undefined) request.principal = principal;
  return principal;
}

/** Resolve the request's native key (Bearer or X-Api-Key) or throw UNAUTHORIZED. */
export async function authenticate(request: FastifyRequest, apiKeys: ApiKeyService): Promise<Principal> {
  const key = extractApiKey(request);
  if (key === undefined) {
    throw new GatewayError('UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>"');
  }
  const principal = await resolveRequestPrincipal(request, apiKeys, key);
  if (principal === undefined) return refuseWrongCredentials(request, new GatewayError('UNAUTHORIZED', 'The API key is not valid'));
  return principal;
}

/** The request's principal, or UNAUTHORIZED when no auth hook set one. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === undefined) throw new GatewayError('UNAUTHORIZED');
  return principal;
}

/** Check the request's principal against the core's rule (src/core/access.ts). */
export function authorizeRequest(request: FastifyRequest, access: AccessRequest): void {
  authorize(request.principal, access);
}

/**
 * Allow a route under `:sessionId` to that session's key and every other
 * route to the admin key (routes that need more, like deleting a session,
 * ask again). Routes marked `scopedByRoute` only need a key.
 */
export function authorizeRoute(request: FastifyRequest, principal: Principal): void {
  // A route that scopes its answers to the key itself (e.g. /webhooks) lets any key list what it may see.
  if (request.routeOptions.config?.scopedByRoute === true) return authorize(principal, { action: 'session.list' });
  const sessionId = (request.params as Record<string, string | undefined> | undefined)?.sessionId;
  authorize(principal, sessionId === undefined ? { action: 'gateway.operate' } : { action: 'session.use', sessionId });
}

/** How a surface finds who is calling; the native API's default reads the API key. */
export type PrincipalSource = (request: FastifyRequest) => Promise<Principal>;

/** onRequest hook factory: find the caller (by API key unless told otherwise), then authorizeRoute. */
export function apiKeyHook(apiKeys: ApiKeyService, source?: PrincipalSource): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const principal = source ? await source(request) : await authenticate(request, apiKeys);
    request.principal = principal;
    authorizeRoute(request, principal);
  };
}
