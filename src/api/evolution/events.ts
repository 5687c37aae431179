/**
 * Gateway events as Evolution API's webhooks send them:
 * `{event, instance, data, destination, date_time, sender, server_url}` with
 * Evolution's event names. Evolution also puts the instance's API key in the
 * body (`apikey`); wagate never does.
 *
 * For the webhook sender: `renderEvolutionEvent(event, context)` gives the
 * body; fill `context.destination` with the URL the body is posted to
 * (`evolutionWebhookUrl(settings.url, rendered.event, settings.byEvents)`),
 * `context.serverUrl` with the gateway's public URL and `context.sender` with
 * the account's JID (`<number>@s.whatsapp.net`) when known. Without a context
 * those fields are null (sender is still filled where the event names the
 * account). Whether an instance wants an event: webhookSettings.ts.
 */
import QRCode from 'qrcode';
import type { MessageView } from '../../core/messaging/model.js';
import type { GatewayEvent } from '../../core/model.js';
import { isSessionState } from '../../domain/sessionState.js';
import type { DialectEvent } from '../types.js';
import { evolutionState } from './instanceInfo.js';
import { evolutionMessageRecord, evolutionMessageStatus } from './messageRecord.js';
import { originalQrPayload } from '../compat-shared/qrPayload.js';

export interface EvolutionEventContext {
  /** The URL this body is posted to. */
  destination?: string;
  /** The gateway's public base URL. */
  serverUrl?: string;
  /** The account's JID, `<number>@s.whatsapp.net`. */
  sender?: string | null;
}

/**
 * Where an event goes: the webhook URL, or with `byEvents` the URL plus the
 * event as a path segment (`messages.upsert` → `…/messages-upsert`), before
 * any query string, as Evolution does.
 */
export function evolutionWebhookUrl(base: string, event: string, byEvents: boolean): string {
  if (!byEvents) return base;
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${event.replace(/[._]/g, '-').toLowerCase()}`;
  return url.toString();
}

/** A QR as an SVG data URL, built synchronously (the PNG encoder is asynchronous; renderEvent is not). */
function qrSvgDataUrl(payload: string): string {
  const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'L' });
  const margin = 2;
  const size = modules.size + margin * 2;
  let path = '';
  for (let y = 0; y < modules.size; y++) {
    for (let x = 0; x < modules.size; x++) {
      if (modules.get(y, x)) path += `M${x + margin},${y + margin}h1v1h-1z`;
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

function messageOf(event: GatewayEvent): MessageView | undefined {
  const message = event.data.message;
  return message !== null && typeof message === 'object' ? (message as MessageView) : undefined;
}

function accountJid(jid: string): string {
  return jid.replace(/:\d+@/, '@');
}

/** The event name and `data` as Evolution sends them, plus the sender when the event itself names the account. */
function evolutionData(event: GatewayEvent): { name: string; data: unknown; sender?: string } | null {
  switch (event.type) {
    case 'auth.qr': {
      if (typeof event.data.qr !== 'string') return null;
      const qr = originalQrPayload(event.data.qr);
      return { name: 'qrcode.updated', data: { qrcode: { instance: event.sessionId, pairingCode: null, code: qr, base64: qrSvgDataUrl(qr) } } };
    }
    case 'connection.state': {
      const { state, previous, code } = event.data;
      if (!isSessionState(state)) return null;
      // Several of our states are one of Evolution's (qr → pairing_code): send only changes.
      if (isSessionState(previous) && evolutionState(previous) === evolutionState(state)) return null;
      return {
        name: 'connection.update',
        data: { instance: event.sessionId, state: evolutionState(state), statusReason: typeof code === 'number' ? code : 200 },
      };
    }
    case 'message.received': {
      const message = messageOf(event);
      return message === undefined ? null : { name: 'messages.upsert', data: evolutionMessageRecord(message) };
    }
    case 'message.sent': {
      const message = messageOf(event);
      if (message === undefined) return null;
      return { name: 'send.message', data: evolutionMessageRecord(message), ...(message.from ? { sender: accountJid(message.from.jid) } : {}) };
    }
    case 'message.receipt': {
      const { messageId, chat, status, participant } = event.data as { messageId?: unknown; chat?: { jid?: unknown }; status?: unknown; participant?: unknown };
      if (typeof messageId !== 'string' || typeof status !== 'string') return null;
      return {
        name: 'messages.update',
        data: {
          messageId,
          keyId: messageId,
          remoteJid: typeof chat?.jid === 'string' ? chat.jid : null,
          fromMe: true,
          participant: typeof participant === 'string' ? participant : undefined,
          status: evolutionMessageStatus(status as MessageView['status']),
          instanceId: event.sessionId,
        },
      };
    }
    default:
      return null;
  }
}

export function renderEvolutionEvent(event: GatewayEvent, context: EvolutionEventContext = {}): DialectEvent | null {
  const rendered = evolutionData(event);
  if (rendered === null) return null;
  return {
    event: rendered.name,
    payload: {
      event: rendered.name,
      instance: event.sessionId,
      data: rendered.data,
      destination: context.destination ?? null,
      date_time: event.createdAt,
      sender: context.sender ?? rendered.sender ?? null,
      server_url: context.serverUrl ?? null,
    },
  };
}
