/**
 * What every dialect plugin installs in its own (encapsulated) scope: an
 * error handler that maps anything thrown through the app's one mapping
 * (src/api/http/errors.ts) and renders it in the dialect's envelope, a 404 in
 * that envelope, and the dialect's path prefixes in the app's error surfaces
 * so failures before routing are rendered the same way. Body parsing is the
 * app's (src/api/http/bodyParsers.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { logIfServerError, toGatewayError } from '../http/errors.js';
import { sendError, type ErrorRenderer, type ErrorSurface } from '../http/errorSurfaces.js';

export { reasonPhrase, type ErrorRenderer, type RenderedError } from '../http/errorSurfaces.js';

export interface DialectHandlerOptions {
  /** The dialect's name, for the error surface (`waha`, `gowa`, …). */
  name: string;
  render: ErrorRenderer;
  /** Static root prefixes (from Dialect.rootPaths) that get this dialect's 404 when mounted at the root. */
  rootPaths: string[];
  /** The session a request is about, for error logs (default: a `session` or `device_id` path parameter). */
  sessionIdOf?: (request: FastifyRequest) => string | undefined;
  /**
   * For many nodes: the session a request is about before its body is read
   * and before auth, when no path parameter names it (a token, a query field,
   * the one session a dialect serves). Set on every route of the dialect.
   */
  routeSessionOf?: (request: FastifyRequest) => string | undefined;
}

/** The session named by a `session` or `device_id` path parameter. */
export function sessionIdFromParams(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const value = params?.session ?? params?.device_id;
  return typeof value === 'string' ? value : undefined;
}

export function installDialectHandlers(app: FastifyInstance, options: DialectHandlerOptions): void {
  const sessionIdOf = options.sessionIdOf ?? sessionIdFromParams;
  const surface: ErrorSurface = { name: options.name, render: options.render };
  app.errorSurfaces?.add(surface, app.prefix === '' ? options.rootPaths : [app.prefix]);
  const routeSession = options.routeSessionOf;
  if (routeSession !== undefined) {
    // onRoute is scoped to this dialect's plugin: only its routes get the resolver.
    app.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), routeSession };
    });
  }

  app.setErrorHandler((err, request, reply) => {
    const error = toGatewayError(err);
    logIfServerError(request, error, err, sessionIdOf(request));
    return sendError(reply, error, surface, request);
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    sendError(reply, new GatewayError('NOT_FOUND', `Cannot ${request.method} ${request.url.split('?')[0]}`), surface, request);

  if (app.prefix !== '') {
    app.setNotFoundHandler(notFound);
    return;
  }
  // Mounted at the root: the app owns the root 404, so claim only our own prefixes.
  for (const rootPath of options.rootPaths) {
    if (rootPath.includes(':')) continue;
    void app.register(
      async (scoped) => {
        scoped.setNotFoundHandler(notFound);
      },
      { prefix: rootPath },
    );
  }
}
