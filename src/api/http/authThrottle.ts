/**
 * Throttles wrong credentials per client address, on every surface (native
 * API, dialects, dashboard sign-in), with a counter in the gateway's shared
 * state: every node counts the same wrongs, so spreading guesses over the
 * nodes behind a load balancer gains nothing (the store keeps a hash of the
 * address, not the address). Only
 * a wrong key counts, and only a wrong key is ever refused with 429: the key
 * is always checked first, so the right key gets in even from an address
 * that has just sent many wrong ones (a guesser cannot lock the owner out).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { SharedState } from '../../core/gateway.js';

// Constants for now; the config's schema will take them over as settings.
/** Wrong keys one address may send per window before the next ones get 429. */
export const WRONG_KEYS_PER_WINDOW = 10;
/** The window, which also bounds how long an address is throttled (Retry-After). */
export const WRONG_KEY_WINDOW_MS = 5 * 60 * 1000;

export interface AuthThrottleOptions {
  max?: number;
  windowMs?: number;
  now?: () => number;
}

export interface AuthThrottle {
  /**
   * Count one wrong credential from the request's address and return the
   * error to throw: `refusal` (the surface's 401) while under the limit,
   * AUTH_RATE_LIMITED with Retry-After once over it.
   */
  wrongCredentials(request: FastifyRequest, refusal: GatewayError): Promise<GatewayError>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by buildApp (installAuthThrottle); every surface's auth reports wrong keys here. */
    authThrottle: AuthThrottle;
  }
}

/** Decorate the root app with `authThrottle`, counting in `shared` (no route is limited by it). */
export async function installAuthThrottle(app: FastifyInstance, shared: SharedState, opts: AuthThrottleOptions = {}): Promise<void> {
  const max = opts.max ?? WRONG_KEYS_PER_WINDOW;
  const windowMs = opts.windowMs ?? WRONG_KEY_WINDOW_MS;
  const now = opts.now ?? Date.now;
  const throttle: AuthThrottle = {
    wrongCredentials: async (request, refusal) => {
      const at = now();
      const key = `auth.wrong:${createHash('sha256').update(request.ip).digest('base64url')}`;
      let count: { n: number; expiresAt: number };
      try {
        count = await shared.increment(key, at + windowMs, at);
      } catch (err) {
        // The refusal stands either way; only the count is lost.
        request.log.warn({ err }, 'could not count a wrong credential');
        return refusal;
      }
      if (count.n <= max) return refusal;
      const retryAfterSeconds = Math.max(1, Math.ceil((count.expiresAt - at) / 1000));
      request.log.warn({ ip: request.ip }, 'wrong credentials throttled');
      return new GatewayError(
        'AUTH_RATE_LIMITED',
        `Too many wrong API keys from this address; try again in ${retryAfterSeconds} seconds`,
        undefined,
        { retryAfterSeconds },
      );
    },
  };
  app.decorate('authThrottle', throttle);
}

/** Throw the refusal for a wrong credential: the surface's 401, or 429 once the address is over the limit. */
export async function refuseWrongCredentials(request: FastifyRequest, refusal: GatewayError): Promise<never> {
  throw await request.server.authThrottle.wrongCredentials(request, refusal);
}
