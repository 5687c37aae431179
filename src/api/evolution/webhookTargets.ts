/**
 * An instance's Evolution webhook settings as the core's dialect webhooks:
 * one target per URL. With `byEvents` Evolution posts each event to its own
 * URL (`<url>/messages-upsert`), so each rendered event gets its own target
 * filtered to that event. `syncEvolutionWebhook` makes the core's webhooks
 * match the stored settings (create, webhook/set); deleting the instance
 * deletes its webhooks with it.
 *
 * The client's own headers (`webhook.headers`) often carry credentials, so
 * they travel in the target's secret, which the store keeps encrypted,
 * not in its options, which it keeps as plain JSON. Evolution signs nothing,
 * so the secret has no other use.
 */
import type { GatewayCore } from '../../core/gateway.js';
import type { GatewayEvent } from '../../core/model.js';
import type { DialectWebhookInput, WebhookFormat } from '../../core/webhooks/types.js';
import { evolutionWebhookUrl, renderEvolutionEvent } from './events.js';
import { evolutionEventKey, type EvolutionWebhookSettings } from './webhookSettings.js';

export const EVOLUTION_WEBHOOK_FORMAT = 'evolution';

/** The Evolution events wagate renders (events.ts). */
export const RENDERED_EVOLUTION_EVENTS = ['qrcode.updated', 'connection.update', 'messages.upsert', 'messages.update', 'send.message'] as const;

export interface EvolutionTargetOptions extends Record<string, unknown> {
  /** The URL the body is posted to (Evolution's `destination`). */
  destination: string;
  /** Evolution event keys this target takes (`MESSAGES_UPSERT`); empty = every rendered event. */
  events: string[];
  serverUrl: string | null;
}

export interface EvolutionWebhookTarget extends DialectWebhookInput {
  format: typeof EVOLUTION_WEBHOOK_FORMAT;
  sessionId: string;
  /** The client's headers as JSON ('' when none): see the top of this file. */
  secret: string;
  options: EvolutionTargetOptions;
}

export function evolutionWebhookTargets(sessionId: string, webhook: EvolutionWebhookSettings | undefined, serverUrl: string | null = null): EvolutionWebhookTarget[] {
  if (webhook === undefined || !webhook.enabled) return [];
  const secret = Object.keys(webhook.headers).length === 0 ? '' : JSON.stringify(webhook.headers);
  const target = (url: string, events: string[]): EvolutionWebhookTarget => ({
    url,
    format: EVOLUTION_WEBHOOK_FORMAT,
    sessionId,
    secret,
    options: { destination: url, events, serverUrl },
  });
  if (!webhook.byEvents) return [target(webhook.url, webhook.events)];
  return RENDERED_EVOLUTION_EVENTS.filter((name) => webhook.events.length === 0 || webhook.events.includes(evolutionEventKey(name))).map((name) =>
    target(evolutionWebhookUrl(webhook.url, name, true), [evolutionEventKey(name)]),
  );
}

function optionsOf(raw: Record<string, unknown> | null): EvolutionTargetOptions | undefined {
  return raw !== null && typeof raw.destination === 'string' && Array.isArray(raw.events) ? (raw as EvolutionTargetOptions) : undefined;
}

function headersOf(secret: string): Record<string, string> {
  if (secret === '') return {};
  try {
    const parsed = JSON.parse(secret) as unknown;
    if (parsed === null || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

/**
 * The webhook sender's format for Evolution targets. `senderOf` gives the
 * instance's own JID (`<number>@s.whatsapp.net`, Evolution's `sender`), null
 * before it is linked.
 */
export function evolutionWebhookFormat(senderOf: (sessionId: string) => string | null = () => null): WebhookFormat {
  return {
    render(event: GatewayEvent, rawOptions: Record<string, unknown> | null): string | null {
      const options = optionsOf(rawOptions);
      const sender = senderOf(event.sessionId);
      const rendered = renderEvolutionEvent(event, {
        ...(options === undefined ? {} : { destination: options.destination }),
        ...(options?.serverUrl ? { serverUrl: options.serverUrl } : {}),
        ...(sender === null ? {} : { sender }),
      });
      if (rendered === null) return null;
      if (options !== undefined && options.events.length > 0 && !options.events.includes(evolutionEventKey(rendered.event))) return null;
      return JSON.stringify(rendered.payload);
    },
    /** Evolution sends no signature: only the client's own headers. */
    headers(_body: string, secret: string): Record<string, string> {
      return { 'content-type': 'application/json', ...headersOf(secret) };
    },
  };
}

/**
 * Make the core's webhooks of this instance match its settings (none when
 * `webhook` is undefined or disabled). Throws URL_NOT_ALLOWED for a URL the
 * webhook rules refuse; call `core.webhooks.checkUrl` first to refuse before
 * changing anything.
 */
export async function syncEvolutionWebhook(core: GatewayCore, sessionId: string, webhook: EvolutionWebhookSettings | undefined, serverUrl: string | null): Promise<void> {
  await core.webhooks.syncDialectWebhooks(EVOLUTION_WEBHOOK_FORMAT, sessionId, evolutionWebhookTargets(sessionId, webhook, serverUrl));
}
