/**
 * The native API under /api/v1 (seed 000, WADial's shapes: `{"data": …}`).
 * Authentication and key scope are checked once, in an onRequest hook; the
 * session's existence once, in a preHandler; state expectations live in
 * the core's single guard. Routes only translate HTTP to core calls.
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import { apiKeyHook, type PrincipalSource } from '../http/auth.js';
import { logIfServerError, renderNativeError, toGatewayError } from '../http/errors.js';
import { FORM_CONTENT_TYPE } from '../http/bodyParsers.js';
import type { ApiPlugin } from '../types.js';
import type { NativeContext } from './context.js';
import { contactRoutes } from './routes/contacts.js';
import { eventRoutes } from './routes/events.js';
import { groupRoutes } from './routes/groups.js';
import { keyRoutes } from './routes/keys.js';
import { messageRoutes, SEND_BODY_LIMIT_BYTES } from './routes/messages.js';
import { pairingRoutes } from './routes/pairing.js';
import { sessionRoutes } from './routes/sessions.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface NativeApiOptions {
  /** SSE heartbeat interval (default 15 s; tests shorten it). */
  sseHeartbeatMs?: number;
  /**
   * Who is calling, when not an API key: the dashboard mounts these same
   * routes behind its cookie sign-in. The permission rule is the same either way.
   */
  principal?: PrincipalSource;
}

export function createNativeApi(opts: NativeApiOptions = {}): ApiPlugin {
  return async (fastify, { core }) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    // JSON only: a text or form body on a JSON route is a 415, not something to validate.
    app.removeContentTypeParser('text/plain');
    app.removeContentTypeParser(FORM_CONTENT_TYPE);

    // Media can be uploaded as a file (multipart/form-data) on the send routes.
    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: SEND_BODY_LIMIT_BYTES, files: 1, fields: 20 },
      onFile: async (part) => {
        (part as { value?: unknown }).value = { bytes: await part.toBuffer(), mimetype: part.mimetype, fileName: part.filename };
      },
    });
    // A malformed multipart body fails inside the parser (busboy) with a bare
    // Error, before any handler ran: that is the client's 400, not our 500.
    const bodyRead = new WeakSet<object>();
    app.addHook('preHandler', async (request) => {
      bodyRead.add(request);
    });
    app.setErrorHandler((err, request, reply) => {
      const raw = err as { statusCode?: unknown; validation?: unknown };
      const malformedMultipart =
        request.isMultipart() &&
        !bodyRead.has(request) &&
        !isGatewayError(err) &&
        raw.validation === undefined &&
        (typeof raw.statusCode !== 'number' || raw.statusCode >= 500);
      const error = malformedMultipart
        ? new GatewayError('BAD_REQUEST', `The multipart/form-data body is malformed: ${err instanceof Error ? err.message : 'unreadable'}`, undefined, { cause: err })
        : toGatewayError(err);
      logIfServerError(request, error, err);
      return renderNativeError(error, reply);
    });
    app.addHook('onRequest', apiKeyHook(core.apiKeys, opts.principal));
    // No body on a route that takes one is an empty object, so a missing
    // required field is reported by name rather than as "body must be object".
    app.addHook('preValidation', async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    });
    app.addHook('preHandler', async (request) => {
      const sessionId = (request.params as Record<string, string | undefined>).sessionId;
      if (sessionId !== undefined && !core.sessions.has(sessionId)) {
        throw new GatewayError('SESSION_NOT_FOUND', undefined, { sessionId });
      }
    });

    const context: NativeContext = { core, sseHeartbeatMs: opts.sseHeartbeatMs };
    sessionRoutes(app, context);
    pairingRoutes(app, context);
    keyRoutes(app, context);
    eventRoutes(app, context);
    contactRoutes(app, context);
    messageRoutes(app, context);
    groupRoutes(app, context);
    webhookRoutes(app, context);
  };
}

export const nativeApi: ApiPlugin = createNativeApi();
