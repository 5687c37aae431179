/**
 * GOWA hands out QR codes as PNG files under /statics and deletes them when
 * they expire; we keep them in memory for their lifetime instead of on disk.
 */
import { randomUUID } from 'node:crypto';

export class QrFiles {
  private readonly files = new Map<string, { png: Buffer; timer: NodeJS.Timeout }>();

  /** Store a PNG for ttlSeconds; returns its file name (`scan-qr-<uuid>.png`). */
  put(png: Buffer, ttlSeconds: number): string {
    const name = `scan-qr-${randomUUID()}.png`;
    const timer = setTimeout(() => this.files.delete(name), ttlSeconds * 1000);
    timer.unref();
    this.files.set(name, { png, timer });
    return name;
  }

  get(name: string): Buffer | undefined {
    return this.files.get(name)?.png;
  }

  clear(): void {
    for (const { timer } of this.files.values()) clearTimeout(timer);
    this.files.clear();
  }
}
