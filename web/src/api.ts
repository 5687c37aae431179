/**
 * The page's client for /dashboard/api/*: JSON in and out, the CSRF token on
 * every write, and the gateway's error envelope turned into an ApiError the
 * components can show (message) and act on (code, retryAfterSeconds).
 */
import type { GatewayEvent, PairingCodeInfo, QrInfo, SessionState, SessionView } from '../../src/core/model.js';
import type { ApiKeyInfo } from '../../src/core/gateway.js';
import type { MessageView } from '../../src/core/messaging/model.js';
import type { DeliveryView, UpdateWebhookInput, WebhookView, WebhookWithSecret } from '../../src/core/webhooks/types.js';

export type { ApiKeyInfo, DeliveryView, GatewayEvent, MessageView, PairingCodeInfo, QrInfo, SessionState, SessionView, WebhookView, WebhookWithSecret };

const BASE = '/dashboard/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

async function request<T>(method: string, path: string, opts: { body?: unknown; otpCode?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (opts.otpCode) headers['x-otp-code'] = opts.otpCode;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The gateway cannot be reached. Check that it is running and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    const header = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
    const fromDetails = error?.details?.retryAfterSeconds;
    const retryAfter = typeof fromDetails === 'number' ? fromDetails : Number.isFinite(header) ? header : undefined;
    throw new ApiError(
      response.status,
      error?.code ?? 'HTTP_' + response.status,
      error?.message ?? `The gateway answered ${response.status}`,
      error?.details ?? {},
      retryAfter,
    );
  }
  return json as T;
}

export interface Me {
  csrfToken: string;
  expiresAt: string;
  sandbox: boolean;
}

export type OtpMethod = 'whatsapp' | 'totp' | 'none';
export type GuardedAction = 'logout' | 'delete' | 'qr';

export interface OtpStatus {
  method: OtpMethod;
  ownerNumber: string | null;
  totpEnabled: boolean;
  lockedForSeconds: number;
}

export type QrReveal = QrInfo & { image: string };

export type SessionSort = 'created' | '-created' | 'name' | 'state';

export interface SessionQuery {
  q?: string;
  state?: SessionState;
  sort: SessionSort;
  cursor?: string;
  limit: number;
}

export interface SessionPage {
  sessions: SessionView[];
  nextCursor: string | null;
  total: number;
  counts: Record<SessionState, number>;
  all: number;
}

export interface BulkOutcome {
  sessionId: string;
  ok: boolean;
  error?: { code: string; message: string };
}

export type CreatedKey = ApiKeyInfo & { key: string };

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

const sid = (id: string) => encodeURIComponent(id);

/** The native API (/api/v1) as the dashboard reaches it, under its own sign-in: answers are `{data}`. */
async function v1<T>(method: string, path: string, body?: unknown): Promise<T> {
  const answer = await request<{ data: T }>(method, `/v1${path}`, body === undefined ? {} : { body });
  return answer.data;
}

export const api = {
  me: () => request<Me>('GET', '/me'),
  signIn: (apiKey: string) => request<{ csrfToken: string; expiresAt: string }>('POST', '/sign-in', { body: { apiKey } }),
  signOut: () => request<void>('POST', '/sign-out', { body: {} }),
  listSessions: (query: SessionQuery) => request<SessionPage>('GET', `/sessions${queryString({ ...query })}`),
  bulk: (action: 'connect' | 'disconnect', sessionIds: string[]) =>
    request<{ results: BulkOutcome[] }>('POST', '/sessions/bulk', { body: { action, sessionIds } }),
  recentEvents: () => request<{ events: GatewayEvent[] }>('GET', '/events/recent?limit=300'),
  sendText: (id: string, to: string, text: string) =>
    v1<MessageView>('POST', `/sessions/${sid(id)}/messages`, { to, content: { type: 'text', text } }),
  listKeys: (id: string) => v1<ApiKeyInfo[]>('GET', `/sessions/${sid(id)}/keys`),
  createKey: (id: string, label: string | undefined) => v1<CreatedKey>('POST', `/sessions/${sid(id)}/keys`, label ? { label } : {}),
  revokeKey: (id: string, keyId: string) => v1<unknown>('DELETE', `/sessions/${sid(id)}/keys/${encodeURIComponent(keyId)}`),
  listWebhooks: () => v1<WebhookView[]>('GET', '/webhooks'),
  createWebhook: (input: { url: string; events: string[]; sessionId?: string }) => v1<WebhookWithSecret>('POST', '/webhooks', input),
  updateWebhook: (id: string, input: UpdateWebhookInput) =>
    v1<WebhookView & { secret?: string }>('PATCH', `/webhooks/${encodeURIComponent(id)}`, input),
  deleteWebhook: (id: string) => v1<unknown>('DELETE', `/webhooks/${encodeURIComponent(id)}`),
  testWebhook: (id: string) => v1<DeliveryView>('POST', `/webhooks/${encodeURIComponent(id)}/test`, {}),
  deliveries: (id: string) =>
    request<{ data: DeliveryView[]; nextCursor: number | null }>('GET', `/v1/webhooks/${encodeURIComponent(id)}/deliveries?limit=50`),
  replayDelivery: (id: string, deliveryId: number) =>
    v1<DeliveryView>('POST', `/webhooks/${encodeURIComponent(id)}/deliveries/${deliveryId}/replay`, {}),
  getSession: (id: string) => request<SessionView>('GET', `/sessions/${encodeURIComponent(id)}`),
  createSession: (input: { sessionId?: string; displayName?: string }) =>
    request<SessionView>('POST', '/sessions', { body: input }),
  connect: (id: string) => request<SessionView>('POST', `/sessions/${encodeURIComponent(id)}/connect`, { body: {} }),
  disconnect: (id: string) => request<SessionView>('POST', `/sessions/${encodeURIComponent(id)}/disconnect`, { body: {} }),
  logout: (id: string, otpCode?: string) =>
    request<SessionView>('POST', `/sessions/${encodeURIComponent(id)}/logout`, { body: {}, otpCode }),
  deleteSession: (id: string, otpCode?: string) =>
    request<void>('DELETE', `/sessions/${encodeURIComponent(id)}`, { otpCode }),
  qr: (id: string, otpCode?: string) => request<QrReveal>('GET', `/sessions/${encodeURIComponent(id)}/qr`, { otpCode }),
  pairingCode: (id: string, phoneNumber: string) =>
    request<PairingCodeInfo>('POST', `/sessions/${encodeURIComponent(id)}/pairing-code`, { body: { phoneNumber } }),
  history: (id: string) => request<{ events: GatewayEvent[] }>('GET', `/sessions/${encodeURIComponent(id)}/events?limit=50`),
  otpStatus: () => request<OtpStatus>('GET', '/otp'),
  sendOtp: (action: GuardedAction, sessionId: string) =>
    request<{ sentTo: string; expiresAt: string }>('POST', '/otp/send', { body: { action, sessionId } }),
  totpSetup: () => request<{ secret: string; uri: string; image: string }>('POST', '/otp/totp/setup', { body: {} }),
  totpEnable: (code: string) => request<OtpStatus>('POST', '/otp/totp/enable', { body: { code } }),
  totpDisable: (code: string) => request<OtpStatus>('POST', '/otp/totp/disable', { body: { code } }),
};
