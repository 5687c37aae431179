/**
 * The native API's own routes (webhooks, API keys, messages, history …),
 * mounted again under /dashboard/api/v1 behind the dashboard's cookie
 * sign-in and CSRF check instead of an API key. The page then uses the
 * documented shapes, validation and permission rule (src/core/access.ts)
 * with no second copy of any route. Hidden from /openapi.json: the documented
 * home of these routes is /api/v1.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { principalOf } from '../http/auth.js';
import { createNativeApi } from '../native/index.js';
import type { ApiPluginOptions } from '../types.js';

export async function registerNativeRoutes(app: FastifyInstance, opts: ApiPluginOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route: RouteOptions) => {
      route.schema = { ...route.schema, hide: true };
    });
    // The dashboard's auth hook (registered before, so it runs first) set the principal.
    await scope.register(createNativeApi({ principal: async (request) => principalOf(request) }), { prefix: '/api/v1', ...opts });
  });
}
