/**
 * The QR refs the network hands out in `pair-device`, remembered with their
 * connection and deadline so a scan can be checked: a ref is honoured only
 * while its connection is open and its display window has not passed.
 * Bounded: old records are forgotten first.
 */
import { randomBytes } from 'node:crypto';

export interface IssuedRef {
  ref: string;
  connectionId: number;
  noiseKey: string;
  expiresAt: number;
  /** False once the connection closed. */
  live: boolean;
  used: boolean;
}

export interface RefTiming {
  /** Fixed ttl for every ref, or the client's default (60 s first, 20 s later). */
  ttlMs?: number;
  count: number;
}

const MAX_REMEMBERED = 20_000;
const REF_BYTES = 33;
const FIRST_TTL_MS = 60_000;
const LATER_TTL_MS = 20_000;

export class QrRefRegistry {
  private readonly refs = new Map<string, IssuedRef>();
  private readonly byConnection = new Map<number, string[]>();

  /** `oneRandomDraw` (load mode): the refs of one pair-device come from one randomBytes call instead of one each. */
  constructor(private readonly opts: { oneRandomDraw?: boolean } = {}) {}

  /** New refs for a registering connection; ref i is shown after refs 0..i-1 and lives its own ttl. */
  issue(connectionId: number, noiseKey: string, timing: RefTiming, now = Date.now()): string[] {
    const refs: string[] = [];
    let deadline = now;
    const pool = this.opts.oneRandomDraw ? randomBytes(REF_BYTES * timing.count) : null;
    for (let i = 0; i < timing.count; i++) {
      deadline += timing.ttlMs ?? (i === 0 ? FIRST_TTL_MS : LATER_TTL_MS);
      const bytes = pool ? pool.subarray(i * REF_BYTES, (i + 1) * REF_BYTES) : randomBytes(REF_BYTES);
      const ref = `2@${bytes.toString('base64')}`;
      this.refs.set(ref, { ref, connectionId, noiseKey, expiresAt: deadline, live: true, used: false });
      refs.push(ref);
    }
    this.byConnection.set(connectionId, [...(this.byConnection.get(connectionId) ?? []), ...refs]);
    this.trim();
    return refs;
  }

  lookup(ref: string): IssuedRef | undefined {
    return this.refs.get(ref);
  }

  /** Every ref of this connection becomes stale. */
  connectionClosed(connectionId: number): void {
    for (const ref of this.byConnection.get(connectionId) ?? []) {
      const record = this.refs.get(ref);
      if (record) record.live = false;
    }
    this.byConnection.delete(connectionId);
  }

  private trim(): void {
    // Map iteration order is insertion order: drop the oldest.
    for (const ref of this.refs.keys()) {
      if (this.refs.size <= MAX_REMEMBERED) break;
      this.refs.delete(ref);
    }
  }
}

export interface ParsedQr {
  ref: string;
  noiseKey: string;
  identityKey: Buffer;
  advSecret: Buffer;
  /** Absent in the QRs of baileys 6 (four fields). */
  platformId: string | null;
}

const QR_PREFIX = 'https://wa.me/settings/linked_devices#';

/** Parses `[prefix]ref,noiseKey,identityKey,advSecret[,platform]` (baileys 6 omits the platform); null when malformed. */
export function parseQr(qr: string): ParsedQr | null {
  const body = qr.startsWith(QR_PREFIX) ? qr.slice(QR_PREFIX.length) : qr;
  const parts = body.split(',');
  if (parts.length !== 4 && parts.length !== 5) return null;
  const [ref, noiseKey, identity, adv] = parts as [string, string, string, string];
  const platformId = parts[4] ?? null;
  if (!/^2@[A-Za-z0-9+/=]+$/.test(ref)) return null;
  const noise = decode32(noiseKey);
  const identityKey = decode32(identity);
  const advSecret = decode32(adv);
  if (!noise || !identityKey || !advSecret || (platformId !== null && !/^\d+$/.test(platformId))) return null;
  return { ref, noiseKey: noise.toString('base64'), identityKey, advSecret, platformId };
}

function decode32(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 ? bytes : null;
}
