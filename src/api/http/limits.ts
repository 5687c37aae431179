/**
 * Caps that keep one client (or many) from exhausting the process: event
 * streams in all and per client address, open connections per address, and
 * how long a client may take to send its headers and its whole request.
 * The defaults are what a 2-core machine serves comfortably; each has a
 * setting (README, Configuration).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { headersOf, reasonPhrase, renderNative } from './errorSurfaces.js';

export interface HttpLimits {
  /** Event streams (SSE) open at once, every surface together; 0 = no cap. */
  maxSseStreams: number;
  /** Event streams one client address may hold; 0 = no cap. */
  maxSseStreamsPerAddress: number;
  /** Connections one client address may hold open; 0 = no cap. */
  maxConnectionsPerAddress: number;
  /** A client must have sent its headers this soon (ms) after connecting or its previous request. */
  headersTimeoutMs: number;
  /** A client must have sent its whole request, body included, this soon (ms). Responses (SSE) are not bounded. */
  requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxSseStreams: 1000,
  maxSseStreamsPerAddress: 100,
  maxConnectionsPerAddress: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
};

/** Seconds an over-cap client is told to wait. */
const RETRY_AFTER_S = 5;

/** Counts open event streams, in all and per address. */
export class StreamSlots {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits: Pick<HttpLimits, 'maxSseStreams' | 'maxSseStreamsPerAddress'>) {}

  get open(): number {
    return this.total;
  }

  /** Take a slot for `address`, or throw the over-cap error. The returned release is idempotent. */
  acquire(address: string): () => void {
    const { maxSseStreams, maxSseStreamsPerAddress } = this.limits;
    const mine = this.perAddress.get(address) ?? 0;
    if (maxSseStreamsPerAddress > 0 && mine >= maxSseStreamsPerAddress) {
      throw new GatewayError('TOO_MANY_STREAMS', undefined, { limit: maxSseStreamsPerAddress }, { retryAfterSeconds: RETRY_AFTER_S });
    }
    if (maxSseStreams > 0 && this.total >= maxSseStreams) {
      throw new GatewayError('STREAM_LIMIT_REACHED', undefined, { limit: maxSseStreams }, { retryAfterSeconds: RETRY_AFTER_S });
    }
    this.total += 1;
    this.perAddress.set(address, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    };
  }
}

/** A stream slot for this request (throws when over a cap); a no-op when the app has no limits. */
export function acquireStreamSlot(request: FastifyRequest): () => void {
  const slots = request.server.streamSlots;
  return slots ? slots.acquire(request.ip) : () => undefined;
}

/**
 * Refuse a client's connection beyond `max` open ones from its address with
 * a raw 429 in the native envelope (nothing was read yet, so no surface is known).
 */
export function limitConnectionsPerAddress(server: Server, max: number): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const mine = open.get(address) ?? 0;
    if (mine >= max) {
      refuse(socket, new GatewayError('TOO_MANY_CONNECTIONS', undefined, { limit: max }, { retryAfterSeconds: RETRY_AFTER_S }));
      return;
    }
    open.set(address, mine + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

function refuse(socket: Socket, error: GatewayError): void {
  const rendered = renderNative(error);
  const body = JSON.stringify(rendered.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...headersOf(error, rendered),
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  // Errors on a socket we are closing anyway have nobody to tell.
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${rendered.status} ${reasonPhrase(rendered.status)}\r\n${head}\r\n${body}`);
  // A client that never reads must not keep the socket.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** Node's checks of the header and request timeouts run this often; its 30 s default would let a slow client stay 30 s longer. */
export function timeoutCheckIntervalMs(limits: Pick<HttpLimits, 'headersTimeoutMs'>): number {
  return Math.max(250, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 4)));
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by buildApp: the event-stream caps every SSE route takes a slot from. */
    streamSlots?: StreamSlots;
  }
}
