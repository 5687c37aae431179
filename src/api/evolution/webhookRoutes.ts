/**
 * Evolution API's `POST /webhook/set/{name}` and `GET /webhook/find/{name}`:
 * the settings (webhookSettings.ts), made into the core's webhooks (webhookTargets.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import { authorizeRequest } from '../http/auth.js';
import { asBody } from './sendBodies.js';
import { deleteEvolutionWebhook, evolutionWebhookRecord, parseWebhookSettings, readEvolutionWebhook, writeEvolutionWebhook } from './webhookSettings.js';
import { syncEvolutionWebhook } from './webhookTargets.js';

type InstanceParams = { instanceName: string };

export function registerWebhookRoutes(app: FastifyInstance, core: GatewayCore, serverUrl: string | null): void {
  app.post<{ Params: InstanceParams }>('/webhook/set/:instanceName', async (request, reply) => {
    const name = request.params.instanceName;
    authorizeRequest(request, { action: 'session.use', sessionId: name });
    core.sessions.get(name);
    const webhook = parseWebhookSettings(asBody(request.body).webhook, { enabledByDefault: true });
    const log = request.log.child({ sessionId: name });
    if (webhook === undefined) {
      // No URL (the n8n node sends "vazio" for an empty field): the instance has no webhook.
      await deleteEvolutionWebhook(core.settings, name);
      await syncEvolutionWebhook(core, name, undefined, serverUrl);
      log.info('evolution webhook removed');
      return reply.code(201).send(evolutionWebhookRecord(name, { enabled: false, url: '', byEvents: false, base64: false, events: [], headers: {} }));
    }
    // A URL the webhook rules refuse is refused before the stored settings change.
    if (webhook.enabled) await core.webhooks.checkUrl(webhook.url);
    await writeEvolutionWebhook(core.settings, name, webhook);
    await syncEvolutionWebhook(core, name, webhook, serverUrl);
    log.info({ enabled: webhook.enabled, byEvents: webhook.byEvents, events: webhook.events.length }, 'evolution webhook set');
    return reply.code(201).send(evolutionWebhookRecord(name, webhook));
  });

  app.get<{ Params: InstanceParams }>('/webhook/find/:instanceName', async (request, reply) => {
    const name = request.params.instanceName;
    authorizeRequest(request, { action: 'session.use', sessionId: name });
    core.sessions.get(name);
    const webhook = await readEvolutionWebhook(core.settings, name);
    // Evolution answers `null` for an instance without a webhook.
    return reply.type('application/json; charset=utf-8').send(webhook === undefined ? 'null' : JSON.stringify(evolutionWebhookRecord(name, webhook)));
  });
}
