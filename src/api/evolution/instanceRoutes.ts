/**
 * Evolution API's `/instance/*` routes: create, connect (QR and pairing
 * code), connectionState, restart, logout, delete, fetchInstances.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mayAccess, type Action } from '../../core/access.js';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import type { SessionView } from '../../core/model.js';
import { authorizeRequest } from '../http/auth.js';
import { booleanField, stringField } from '../compat-shared/credentials.js';
import { logoutIfLinked, restartSession, startSession } from '../compat-shared/lifecycle.js';
import { qrDataUrl } from '../compat-shared/qrImage.js';
import { settleStarting } from '../compat-shared/sessions.js';
import { PAIRING_CODE_WAIT_MS, QR_WAIT_MS, STARTING_SETTLE_MS } from '../compat-shared/timing.js';
import { connectionStateAnswer, EVOLUTION_INTEGRATION, evolutionInstanceRecord, evolutionState } from './instanceInfo.js';
import { asBody } from './sendBodies.js';
import { deleteEvolutionWebhook, parseWebhookSettings, writeEvolutionWebhook } from './webhookSettings.js';
import { originalQrPayload } from '../compat-shared/qrPayload.js';
import { syncEvolutionWebhook } from './webhookTargets.js';

type InstanceParams = { instanceName: string };

const TOKEN_LABEL = 'evolution instance token';
const SETTING_FLAGS = ['rejectCall', 'groupsIgnore', 'alwaysOnline', 'readMessages', 'readStatus', 'syncFullHistory'] as const;

function success(message: string): { status: 'SUCCESS'; error: false; response: { message: string } } {
  return { status: 'SUCCESS', error: false, response: { message } };
}

/** `serverUrl`: the gateway's public URL for webhook bodies (Evolution's `server_url`), null when not configured. */
export function registerInstanceRoutes(app: FastifyInstance, core: GatewayCore, serverUrl: string | null): void {
  const { sessions } = core;

  const instanceFor = (request: FastifyRequest, name: string, action: Action = 'session.use'): SessionView => {
    authorizeRequest(request, { action, sessionId: name });
    return sessions.get(name);
  };

  const currentQr = (name: string): { qr: string } | null => {
    try {
      return sessions.getQr(name);
    } catch {
      return null; // no QR right now (e.g. a pairing code was issued instead)
    }
  };

  /**
   * Evolution's connect answer: `{pairingCode, code, base64, count}` while
   * linking, `{instance: {instanceName, state}}` once open. A linked
   * instance that is not running reconnects (no QR needed). A `number`
   * always asks for a pairing code, also while already connecting (Evolution
   * ignores it then, evolution-api#2197).
   */
  const connectAnswer = async (name: string, number: string | undefined): Promise<Record<string, unknown>> => {
    const view = sessions.get(name);
    if (view.state === 'connected') return connectionStateAnswer(view);
    if (view.paired) {
      await startSession(sessions, name);
      return connectionStateAnswer(await settleStarting(sessions, name, STARTING_SETTLE_MS));
    }
    let pairingCode: string | null = null;
    let qr: { qr: string } | null;
    if (number !== undefined) {
      const info = await sessions.connectAndRequestPairingCode(name, number, PAIRING_CODE_WAIT_MS);
      pairingCode = info.code.replace('-', ''); // Evolution hands out Baileys' code as is: 8 characters, no dash
      qr = currentQr(name);
    } else {
      qr = await sessions.waitForQr(name, QR_WAIT_MS);
    }
    return { pairingCode, code: qr === null ? null : originalQrPayload(qr.qr), base64: qr === null ? null : await qrDataUrl(qr.qr), count: qr === null ? 0 : 1 };
  };

  app.post('/instance/create', async (request, reply) => {
    authorizeRequest(request, { action: 'session.create' });
    const body = asBody(request.body);
    const name = stringField(body, 'instanceName');
    if (name === undefined) throw new GatewayError('BAD_REQUEST', '"instanceName" is required', { field: 'instanceName' });
    const integration = stringField(body, 'integration') ?? EVOLUTION_INTEGRATION;
    if (integration !== EVOLUTION_INTEGRATION) {
      throw new GatewayError('BAD_REQUEST', `Invalid integration "${integration}": wagate serves ${EVOLUTION_INTEGRATION}`, { field: 'integration' });
    }
    const inUse = new GatewayError('FORBIDDEN', `This name "${name}" is already in use.`);
    if (sessions.has(name)) throw inUse;
    const webhook = body.webhook === undefined ? undefined : parseWebhookSettings(body.webhook, { enabledByDefault: true });
    // A URL the webhook rules refuse is refused before anything is made.
    if (webhook?.enabled) await core.webhooks.checkUrl(webhook.url);
    const token = stringField(body, 'token');
    const number = stringField(body, 'number');

    let view: SessionView;
    try {
      view = await sessions.create({ sessionId: name });
    } catch (err) {
      if (isGatewayError(err) && err.code === 'SESSION_EXISTS') throw inUse;
      throw err;
    }
    const log = request.log.child({ sessionId: name });
    let answer: Record<string, unknown>;
    try {
      // The instance token is a key scoped to this session; a token the client chose is used as given.
      const key = await core.apiKeys.createSessionKey(name, TOKEN_LABEL, token === undefined ? {} : { key: token });
      if (webhook !== undefined) {
        await writeEvolutionWebhook(core.settings, name, webhook);
        // Before connecting, so the instance's first connection.update and QR are delivered.
        await syncEvolutionWebhook(core, name, webhook, serverUrl);
      }
      const qrcode = booleanField(body, 'qrcode') === true ? await connectAnswer(name, number) : undefined;
      view = sessions.get(name);
      const settings = {
        ...Object.fromEntries(SETTING_FLAGS.map((flag) => [flag, booleanField(body, flag) === true])),
        msgCall: stringField(body, 'msgCall') ?? '',
        wavoipToken: '',
      };
      answer = {
        instance: {
          instanceName: name,
          instanceId: name,
          integration,
          webhookWaBusiness: null,
          accessTokenWaBusiness: '',
          status: evolutionState(view.state),
        },
        hash: key.key,
        webhook: webhook === undefined ? {} : { webhookUrl: webhook.url, webhookHeaders: webhook.headers, webhookByEvents: webhook.byEvents, webhookBase64: webhook.base64 },
        websocket: {},
        rabbitmq: {},
        nats: {},
        sqs: {},
        settings,
        ...(qrcode === undefined ? {} : { qrcode }),
      };
    } catch (err) {
      // As Evolution does: a create that fails part-way leaves no instance behind.
      await sessions.delete(name).catch((cleanupErr: unknown) => log.error({ err: cleanupErr }, 'evolution create: could not remove the half-made instance'));
      await deleteEvolutionWebhook(core.settings, name).catch(() => undefined);
      throw err;
    }
    log.info({ qrcode: 'qrcode' in answer, webhook: webhook !== undefined }, 'evolution instance created');
    return reply.code(201).send(answer);
  });

  app.get<{ Params: InstanceParams }>('/instance/connect/:instanceName', async (request) => {
    const name = request.params.instanceName;
    instanceFor(request, name);
    return connectAnswer(name, stringField(request.query, 'number'));
  });

  app.get<{ Params: InstanceParams }>('/instance/connectionState/:instanceName', async (request) =>
    connectionStateAnswer(instanceFor(request, request.params.instanceName)),
  );

  app.post<{ Params: InstanceParams }>('/instance/restart/:instanceName', async (request) => {
    const name = request.params.instanceName;
    instanceFor(request, name);
    await restartSession(sessions, name);
    request.log.child({ sessionId: name }).info('evolution instance restarted');
    return connectionStateAnswer(await settleStarting(sessions, name, STARTING_SETTLE_MS));
  });

  app.delete<{ Params: InstanceParams }>('/instance/logout/:instanceName', async (request) => {
    const name = request.params.instanceName;
    const view = instanceFor(request, name);
    if (evolutionState(view.state) === 'close') throw new GatewayError('BAD_REQUEST', `The "${name}" instance is not connected`);
    await logoutIfLinked(sessions, name);
    request.log.child({ sessionId: name }).info('evolution instance logged out');
    return success('Instance logged out');
  });

  app.delete<{ Params: InstanceParams }>('/instance/delete/:instanceName', async (request) => {
    const name = request.params.instanceName;
    instanceFor(request, name, 'session.delete');
    await sessions.delete(name);
    await deleteEvolutionWebhook(core.settings, name);
    request.log.child({ sessionId: name }).info('evolution instance deleted');
    return success('Instance deleted');
  });

  app.get('/instance/fetchInstances', async (request) => {
    authorizeRequest(request, { action: 'session.list' });
    const name = stringField(request.query, 'instanceName') ?? stringField(request.query, 'instanceId');
    if (name !== undefined) {
      if (!sessions.has(name)) throw new GatewayError('NOT_FOUND', `Instance "${name}" not found`);
      return [evolutionInstanceRecord(instanceFor(request, name))];
    }
    return sessions
      .list()
      .filter((view) => mayAccess(request.principal, view.sessionId))
      .map(evolutionInstanceRecord);
  });
}
