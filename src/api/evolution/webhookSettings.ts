/**
 * An instance's webhook as Evolution API configures it (`webhook` of
 * /instance/create, `POST /webhook/set/{name}`), kept in the core's settings
 * under `evolution.webhook.<sessionId>` (encrypted: headers often carry
 * credentials). The webhook sender (src/core/webhooks) turns these into
 * deliveries; see events.ts for the envelope and the URL per event.
 */
import { GatewayError } from '../../core/errors.js';
import type { GatewaySettings } from '../../core/gateway.js';
import { asBody, type Body } from './sendBodies.js';

/** Evolution's event names as its webhook settings list them. */
export const EVOLUTION_EVENTS = [
  'APPLICATION_STARTUP', 'QRCODE_UPDATED', 'MESSAGES_SET', 'MESSAGES_UPSERT', 'MESSAGES_EDITED', 'MESSAGES_UPDATE',
  'MESSAGES_DELETE', 'SEND_MESSAGE', 'SEND_MESSAGE_UPDATE', 'CONTACTS_SET', 'CONTACTS_UPSERT', 'CONTACTS_UPDATE',
  'PRESENCE_UPDATE', 'CHATS_SET', 'CHATS_UPSERT', 'CHATS_UPDATE', 'CHATS_DELETE', 'GROUPS_UPSERT', 'GROUP_UPDATE',
  'GROUP_PARTICIPANTS_UPDATE', 'CONNECTION_UPDATE', 'LABELS_EDIT', 'LABELS_ASSOCIATION', 'CALL', 'TYPEBOT_START',
  'TYPEBOT_CHANGE_STATUS', 'REMOVE_INSTANCE', 'LOGOUT_INSTANCE', 'INSTANCE_CREATE', 'INSTANCE_DELETE', 'STATUS_INSTANCE',
] as const;

export interface EvolutionWebhookSettings {
  enabled: boolean;
  url: string;
  /** Post each event to `<url>/<event-name>` (evolutionWebhookUrl). */
  byEvents: boolean;
  /** Evolution inlines media as base64; wagate does not (the setting is kept, not acted on). */
  base64: boolean;
  /** Evolution's event keys (`MESSAGES_UPSERT`); every event when enabled with none listed, as in Evolution. */
  events: string[];
  headers: Record<string, string>;
}

export function evolutionWebhookSettingsKey(sessionId: string): string {
  return `evolution.webhook.${sessionId}`;
}

/** `messages.upsert` or `messages-upsert` or `MESSAGES_UPSERT` → `MESSAGES_UPSERT`. */
export function evolutionEventKey(event: string): string {
  return event.replace(/[.-]/g, '_').toUpperCase();
}

function bool(value: unknown): boolean {
  return value === true || value === 'true';
}

/**
 * A webhook body as settings; undefined when it names no URL (the n8n node
 * sends `url: ""`, or `"vazio"`, when the user left the field empty).
 * Throws BAD_REQUEST for a URL that is not http(s) or an unknown event.
 */
export function parseWebhookSettings(raw: unknown, opts: { enabledByDefault: boolean }): EvolutionWebhookSettings | undefined {
  const body: Body = asBody(raw);
  const url = typeof body.url === 'string' ? body.url.trim() : '';
  if (url === '' || url === 'vazio') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'Invalid "url" property in webhook: use an http(s) URL', { field: 'webhook.url' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new GatewayError('BAD_REQUEST', 'Invalid "url" property in webhook: use an http(s) URL', { field: 'webhook.url' });
  }
  const events = (Array.isArray(body.events) ? body.events : []).filter((e): e is string => typeof e === 'string' && e !== '').map(evolutionEventKey);
  const unknown = events.find((e) => !(EVOLUTION_EVENTS as readonly string[]).includes(e));
  if (unknown !== undefined) {
    throw new GatewayError('BAD_REQUEST', `Unknown webhook event "${unknown}"; use Evolution's names, e.g. MESSAGES_UPSERT`, { field: 'webhook.events' });
  }
  const headers = Object.fromEntries(
    Object.entries(asBody(body.headers)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const enabled = body.enabled === undefined ? opts.enabledByDefault : bool(body.enabled);
  return {
    enabled,
    url,
    byEvents: bool(body.byEvents ?? body.webhookByEvents),
    base64: bool(body.base64 ?? body.webhookBase64),
    events: enabled ? [...new Set(events)] : [],
    headers,
  };
}

export async function writeEvolutionWebhook(settings: GatewaySettings, sessionId: string, webhook: EvolutionWebhookSettings): Promise<void> {
  await settings.set(evolutionWebhookSettingsKey(sessionId), JSON.stringify(webhook), { secret: true });
}

/** The stored webhook of a session, or undefined. */
export async function readEvolutionWebhook(settings: GatewaySettings, sessionId: string): Promise<EvolutionWebhookSettings | undefined> {
  const raw = await settings.get(evolutionWebhookSettingsKey(sessionId));
  return raw === undefined ? undefined : (JSON.parse(raw) as EvolutionWebhookSettings);
}

export async function deleteEvolutionWebhook(settings: GatewaySettings, sessionId: string): Promise<void> {
  await settings.delete(evolutionWebhookSettingsKey(sessionId));
}

/** Whether a webhook wants an event (Evolution's event name, `messages.upsert`). */
export function evolutionWebhookWants(webhook: EvolutionWebhookSettings, event: string): boolean {
  return webhook.enabled && (webhook.events.length === 0 || webhook.events.includes(evolutionEventKey(event)));
}

/** Evolution's answer to `POST /webhook/set` and `GET /webhook/find`: its stored webhook row. */
export function evolutionWebhookRecord(sessionId: string, webhook: EvolutionWebhookSettings): Record<string, unknown> {
  return {
    id: sessionId,
    url: webhook.url,
    headers: webhook.headers,
    enabled: webhook.enabled,
    events: webhook.events.length === 0 && webhook.enabled ? [...EVOLUTION_EVENTS] : webhook.events,
    webhookByEvents: webhook.byEvents,
    webhookBase64: webhook.base64,
    instanceId: sessionId,
  };
}
