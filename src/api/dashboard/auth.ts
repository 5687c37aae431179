/**
 * Sign-in for the dashboard: the admin API key is exchanged once for an
 * HttpOnly session cookie; every write also carries the CSRF token handed out
 * at sign-in (in `X-CSRF-Token`) and, when the browser sends one, an Origin
 * that is this gateway's own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import { refuseWrongCredentials } from '../http/authThrottle.js';
import { SESSION_COOKIE, parseCookies, serializeSessionCookie } from './cookies.js';
import { SignInSessions, type SignInSession } from './signInSessions.js';

export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard sign-in a request carries, set by the dashboard's auth hook. */
    dashboardUser?: SignInSession;
  }
}

/** The signed-in user of a request that passed the dashboard's auth hook. */
export function signedInUser(request: FastifyRequest): SignInSession {
  const user = request.dashboardUser;
  if (!user) throw new GatewayError('UNAUTHORIZED', 'Sign in to the dashboard first');
  return user;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses requests another site's page made the browser send. `Sec-Fetch-Site`
 * and `Origin` are set by browsers and cannot be forged by page scripts.
 */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string | undefined): void {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
    throw new GatewayError('FORBIDDEN', 'The request did not come from the dashboard page');
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let originUrl: URL;
  let ownHost: string;
  try {
    originUrl = new URL(origin);
    // Normalised the same way, so `Host: x:80` equals `Origin: http://x` (default ports drop out).
    ownHost = new URL(`${originUrl.protocol}//${request.host}`).host;
  } catch {
    throw new GatewayError('FORBIDDEN', 'The request did not come from the dashboard page');
  }
  const originHost = originUrl.host;
  const allowed = new Set([ownHost]);
  if (publicUrl) {
    try {
      allowed.add(new URL(publicUrl).host);
    } catch {
      // A malformed WAGATE_PUBLIC_URL only loses this extra allowance.
    }
  }
  if (!allowed.has(originHost)) throw new GatewayError('FORBIDDEN', 'The request did not come from the dashboard page');
}

export interface AuthOptions {
  core: GatewayCore;
  signIns: SignInSessions;
  publicUrl: string | undefined;
}

function isSecure(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/** Registers sign-in/out/me and an onRequest hook guarding every other /api route. */
export async function registerAuth(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  const { core, signIns, publicUrl } = opts;

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const url = request.routeOptions.url ?? '';
    if (!url.includes('/api/') || url.endsWith('/api/sign-in')) return;
    const user = await signIns.get(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
    if (!user) throw new GatewayError('UNAUTHORIZED', 'Sign in to the dashboard first');
    if (!SAFE_METHODS.has(request.method)) {
      assertSameOrigin(request, publicUrl);
      const presented = request.headers[CSRF_HEADER];
      if (!SignInSessions.csrfMatches(user, typeof presented === 'string' ? presented : undefined)) {
        throw new GatewayError('FORBIDDEN', 'The request is missing the dashboard CSRF token; reload the page');
      }
    }
    request.dashboardUser = user;
    // Only the admin key signs in, so a signed-in page acts as the admin.
    request.principal = { kind: 'admin' };
  });

  app.post('/api/sign-in', async (request: FastifyRequest, reply: FastifyReply) => {
    assertSameOrigin(request, publicUrl);
    const body = request.body as { apiKey?: unknown } | undefined;
    const apiKey = typeof body?.apiKey === 'string' ? body.apiKey.trim() : '';
    if (!apiKey) throw new GatewayError('UNAUTHORIZED', 'Enter the admin API key');
    const principal = await core.apiKeys.verify(apiKey);
    if (principal?.kind !== 'admin') {
      request.log.info({ ip: request.ip }, 'dashboard sign-in refused');
      // Counted per address like every wrong key; the right key is never held back by it.
      return refuseWrongCredentials(request, new GatewayError('UNAUTHORIZED', 'That is not the admin API key'));
    }
    // A fresh id on every sign-in, so a planted cookie can never be signed in (session fixation).
    const previous = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (previous) await signIns.delete(previous);
    const user = await signIns.create();
    reply.header(
      'set-cookie',
      serializeSessionCookie(user.id, { maxAgeSeconds: signIns.remainingSeconds(user), secure: isSecure(request) }),
    );
    request.log.info({}, 'dashboard sign-in');
    return { csrfToken: user.csrfToken, expiresAt: new Date(user.expiresAt).toISOString() };
  });

  app.post('/api/sign-out', async (request: FastifyRequest, reply: FastifyReply) => {
    await signIns.delete(signedInUser(request).id);
    reply.header('set-cookie', serializeSessionCookie('', { maxAgeSeconds: 0, secure: isSecure(request) }));
    return reply.code(204).send();
  });

  app.get('/api/me', async (request: FastifyRequest) => {
    const user = signedInUser(request);
    return { csrfToken: user.csrfToken, expiresAt: new Date(user.expiresAt).toISOString(), sandbox: core.sandbox };
  });
}
