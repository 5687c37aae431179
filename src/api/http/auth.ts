/**
 * API key authentication, done once per request in an onRequest hook.
 * Keys come as `Authorization: Bearer <key>` or `X-Api-Key: <key>`. The
 * resolved principal is stored on the request; a session-scoped key may
 * only touch routes whose `:sessionId` is its own.
 */
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { ApiKeyService, Principal } from '../../core/gateway.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API key hook; undefined on routes without auth. */
    principal?: Principal;
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

/** Resolve the request's key or throw UNAUTHORIZED. */
export async function authenticate(request: FastifyRequest, apiKeys: ApiKeyService): Promise<Principal> {
  const key = extractApiKey(request);
  if (key === undefined) {
    throw new GatewayError('UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>"');
  }
  const principal = await apiKeys.verify(key);
  if (principal === undefined) throw new GatewayError('UNAUTHORIZED', 'The API key is not valid');
  return principal;
}

/**
 * Scope rule: an admin key may do everything; a session key only what is
 * under its own session (`routeSessionId` undefined = a global route).
 */
export function authorize(principal: Principal, routeSessionId: string | undefined): void {
  if (principal.kind === 'admin') return;
  if (routeSessionId === undefined || routeSessionId !== principal.sessionId) {
    throw new GatewayError('FORBIDDEN', 'This key belongs to another session, or the route needs the admin key', {
      keySessionId: principal.sessionId,
    });
  }
}

/** onRequest hook factory: authenticate, then authorize against the route's `:sessionId`. */
export function apiKeyHook(apiKeys: ApiKeyService): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const principal = await authenticate(request, apiKeys);
    const params = request.params as Record<string, string | undefined> | undefined;
    authorize(principal, params?.sessionId);
    request.principal = principal;
  };
}

/**
 * Some routes under a session still need the admin key: minting or revoking
 * keys and deleting the session. A leaked session key must not be able to
 * create more keys for itself or destroy what it was given access to.
 */
export function requireAdmin(request: FastifyRequest): void {
  const principal = request.principal;
  if (principal?.kind !== 'admin') {
    throw new GatewayError('FORBIDDEN', 'This action needs the admin key', {
      keySessionId: principal?.kind === 'session' ? principal.sessionId : null,
    });
  }
}
