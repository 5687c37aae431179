/**
 * An instance's Evolution webhook settings as the deliveries the webhook
 * sender makes: one target per URL. With `byEvents` Evolution posts each
 * event to its own URL (`<url>/messages-upsert`), so each rendered event
 * gets its own target filtered to that event. Written against the webhook
 * sender's format contract (render an event with a target's options, give
 * the headers for a body) without importing it, so the sender can register
 * `evolutionWebhookFormat` and sync `evolutionWebhookTargets(...)` whenever
 * create, webhook/set or delete change the stored settings.
 */
import type { GatewayEvent } from '../../core/model.js';
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
  /** The client's own headers (Evolution's `webhook.headers`): to send with every delivery. */
  headers: Record<string, string>;
  serverUrl: string | null;
}

export interface EvolutionWebhookTarget {
  url: string;
  format: typeof EVOLUTION_WEBHOOK_FORMAT;
  sessionId: string;
  /** Evolution does not sign its webhooks. */
  secret: '';
  options: EvolutionTargetOptions;
}

export function evolutionWebhookTargets(sessionId: string, webhook: EvolutionWebhookSettings | undefined, serverUrl: string | null = null): EvolutionWebhookTarget[] {
  if (webhook === undefined || !webhook.enabled) return [];
  const target = (url: string, events: string[]): EvolutionWebhookTarget => ({
    url,
    format: EVOLUTION_WEBHOOK_FORMAT,
    sessionId,
    secret: '',
    options: { destination: url, events, headers: webhook.headers, serverUrl },
  });
  if (!webhook.byEvents) return [target(webhook.url, webhook.events)];
  return RENDERED_EVOLUTION_EVENTS.filter((name) => webhook.events.length === 0 || webhook.events.includes(evolutionEventKey(name))).map((name) =>
    target(evolutionWebhookUrl(webhook.url, name, true), [evolutionEventKey(name)]),
  );
}

function optionsOf(raw: Record<string, unknown> | null): EvolutionTargetOptions | undefined {
  return raw !== null && typeof raw.destination === 'string' && Array.isArray(raw.events) ? (raw as EvolutionTargetOptions) : undefined;
}

/** The webhook sender's format for Evolution targets: the JSON body, or null when the target does not take the event. */
export const evolutionWebhookFormat = {
  render(event: GatewayEvent, rawOptions: Record<string, unknown> | null): string | null {
    const options = optionsOf(rawOptions);
    const rendered = renderEvolutionEvent(event, options === undefined ? {} : { destination: options.destination, ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}) });
    if (rendered === null) return null;
    if (options !== undefined && options.events.length > 0 && !options.events.includes(evolutionEventKey(rendered.event))) return null;
    return JSON.stringify(rendered.payload);
  },
  /** Evolution sends no signature; the client's own headers come from the target's options. */
  headers(_body: string, _secret: string, _ctx: unknown, rawOptions: Record<string, unknown> | null = null): Record<string, string> {
    return { 'content-type': 'application/json', ...(optionsOf(rawOptions)?.headers ?? {}) };
  },
};
