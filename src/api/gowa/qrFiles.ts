/**
 * GOWA hands out QR codes as PNG files under /statics and deletes them when
 * they expire. We keep them in the gateway's shared state for their
 * lifetime instead of on disk, so a link issued by one node is served by any
 * node behind the load balancer. The file name is the only credential (the
 * route has no auth, as in the original): the store keeps its hash, and the
 * image (a login QR) encrypted.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SharedState } from '../../core/gateway.js';

const keyOf = (name: string): string => `gowa.qr:${createHash('sha256').update(name).digest('base64url')}`;

export class QrFiles {
  constructor(
    private readonly shared: SharedState,
    private readonly now: () => number = Date.now,
  ) {}

  /** Store a PNG for ttlSeconds; returns its file name (`scan-qr-<uuid>.png`). */
  async put(png: Buffer, ttlSeconds: number): Promise<string> {
    const name = `scan-qr-${randomUUID()}.png`;
    await this.shared.put(keyOf(name), { value: png.toString('base64'), expiresAt: this.now() + ttlSeconds * 1000 }, { secret: true });
    return name;
  }

  async get(name: string): Promise<Buffer | undefined> {
    // Only names we hand out: anything else is not looked up at all.
    if (!/^scan-qr-[0-9a-f-]{36}\.png$/.test(name)) return undefined;
    const entry = await this.shared.get(keyOf(name), this.now());
    return entry && Buffer.from(entry.value, 'base64');
  }
}
