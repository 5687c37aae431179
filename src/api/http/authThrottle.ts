/**
 * Throttles wrong credentials per client address, on every surface (native
 * API, dialects, dashboard sign-in), with @fastify/rate-limit's counter. Only
 * a wrong key counts, and only a wrong key is ever refused with 429: the key
 * is always checked first, so the right key gets in even from an address
 * that has just sent many wrong ones (a guesser cannot lock the owner out).
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';

// Constants for now; the config's schema will take them over as settings.
/** Wrong keys one address may send per window before the next ones get 429. */
export const WRONG_KEYS_PER_WINDOW = 10;
/** The window, which also bounds how long an address is throttled (Retry-After). */
export const WRONG_KEY_WINDOW_MS = 5 * 60 * 1000;

export interface AuthThrottleOptions {
  max?: number;
  windowMs?: number;
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

/** Register the counter on the root app (no route is limited by it) and decorate `authThrottle`. */
export async function installAuthThrottle(app: FastifyInstance, opts: AuthThrottleOptions = {}): Promise<void> {
  await app.register(rateLimit, { global: false });
  const limiter = app.createRateLimit({
    max: opts.max ?? WRONG_KEYS_PER_WINDOW,
    timeWindow: opts.windowMs ?? WRONG_KEY_WINDOW_MS,
  });
  const throttle: AuthThrottle = {
    wrongCredentials: async (request, refusal) => {
      const result = await limiter(request);
      // `isAllowed` only means "on the allow list"; the count is in `isExceeded`.
      if (result.isAllowed || !result.isExceeded) return refusal;
      request.log.warn({ ip: request.ip }, 'wrong credentials throttled');
      return new GatewayError(
        'AUTH_RATE_LIMITED',
        `Too many wrong API keys from this address; try again in ${result.ttlInSeconds} seconds`,
        undefined,
        { retryAfterSeconds: Math.max(1, result.ttlInSeconds) },
      );
    },
  };
  app.decorate('authThrottle', throttle);
}

/** Throw the refusal for a wrong credential: the surface's 401, or 429 once the address is over the limit. */
export async function refuseWrongCredentials(request: FastifyRequest, refusal: GatewayError): Promise<never> {
  throw await request.server.authThrottle.wrongCredentials(request, refusal);
}
