/**
 * Evolution API (EvolutionAPI/evolution-api), as its n8n node and other
 * clients call it. The `apikey` header holds the global key (wagate's admin
 * key) or an instance token (a key scoped to that session). Instances are
 * core sessions named by `instanceName`.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { ApiPlugin } from '../types.js';
import { SEND_BODY_LIMIT_BYTES } from '../native/routes/messages.js';
import { headerValue, requirePrincipal } from '../compat-shared/credentials.js';
import { installDialectHandlers } from '../compat-shared/dialectPlugin.js';
import { registerChatRoutes } from './chatRoutes.js';
import { registerInstanceRoutes } from './instanceRoutes.js';
import { registerMessageRoutes } from './messageRoutes.js';
import { renderEvolutionError } from './render.js';
import { registerWebhookRoutes } from './webhookRoutes.js';
import { EVOLUTION_WEBHOOK_FORMAT, evolutionWebhookFormat } from './webhookTargets.js';

export const EVOLUTION_ROOT_PATHS = ['/instance', '/message', '/chat', '/webhook'];

export const evolutionPlugin: ApiPlugin = async (app: FastifyInstance, opts) => {
  const { core, config } = opts;
  const serverUrl = config.server.publicUrl?.replace(/\/+$/, '') ?? null;
  // Evolution's `sender`: the instance's own account, once linked.
  core.webhooks.registerFormat(
    EVOLUTION_WEBHOOK_FORMAT,
    evolutionWebhookFormat((sessionId) => {
      const me = core.sessions.has(sessionId) ? core.sessions.get(sessionId).me : null;
      return me === null ? null : `${me.phoneNumber}@s.whatsapp.net`;
    }),
  );
  installDialectHandlers(app, {
    name: 'evolution',
    render: renderEvolutionError,
    rootPaths: EVOLUTION_ROOT_PATHS,
    sessionIdOf: (request) => {
      const name = (request.params as Record<string, unknown> | undefined)?.instanceName;
      return typeof name === 'string' ? name : undefined;
    },
  });

  // Evolution's media routes also take the file as an upload (multipart field `file`), beside URL and base64.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: SEND_BODY_LIMIT_BYTES, files: 1, fields: 30 },
    onFile: async (part) => {
      (part as { value?: unknown }).value = { bytes: await part.toBuffer(), mimetype: part.mimetype, fileName: part.filename };
    },
  });

  app.addHook('onRequest', async (request) => {
    await requirePrincipal(request, core, headerValue(request, 'apikey'), new GatewayError('UNAUTHORIZED'));
  });

  registerInstanceRoutes(app, core, serverUrl);
  registerMessageRoutes(app, core);
  registerChatRoutes(app, core);
  registerWebhookRoutes(app, core, serverUrl);
};
