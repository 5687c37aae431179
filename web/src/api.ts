/**
 * The page's client for /dashboard/api/*: JSON in and out, the CSRF token on
 * every write, and the gateway's error envelope turned into an ApiError the
 * components can show (message) and act on (code, retryAfterSeconds).
 */
import type { GatewayEvent, PairingCodeInfo, QrInfo, SessionView } from '../../src/core/model.js';

export type { GatewayEvent, PairingCodeInfo, QrInfo, SessionView };

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

export const api = {
  me: () => request<Me>('GET', '/me'),
  signIn: (apiKey: string) => request<{ csrfToken: string; expiresAt: string }>('POST', '/sign-in', { body: { apiKey } }),
  signOut: () => request<void>('POST', '/sign-out', { body: {} }),
  listSessions: () => request<{ sessions: SessionView[] }>('GET', '/sessions'),
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
