/** SharedState in one process's memory: for unit tests and a gateway without a store. Same semantics as the store's. */
import type { SharedState, SharedStateEntry } from './gateway.js';

export class MemorySharedState implements SharedState {
  private readonly rows = new Map<string, SharedStateEntry>();

  private live(key: string, now: number): SharedStateEntry | undefined {
    const row = this.rows.get(key);
    if (row && row.expiresAt <= now) this.rows.delete(key);
    return row && row.expiresAt > now ? row : undefined;
  }

  async get(key: string, now: number): Promise<SharedStateEntry | undefined> {
    const row = this.live(key, now);
    return row && { ...row };
  }

  async put(key: string, entry: { value?: string; n?: number; expiresAt: number }): Promise<void> {
    this.rows.set(key, { value: entry.value ?? '', n: entry.n ?? 0, expiresAt: entry.expiresAt });
  }

  async putIfAbsent(key: string, entry: { value?: string; n?: number; expiresAt: number }, now: number): Promise<boolean> {
    if (this.live(key, now)) return false;
    await this.put(key, entry);
    return true;
  }

  async take(key: string, now: number, value?: string): Promise<boolean> {
    const row = this.live(key, now);
    if (!row || (value !== undefined && row.value !== value)) return false;
    this.rows.delete(key);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.rows.delete(key);
  }

  async increment(key: string, expiresAt: number, now: number): Promise<{ n: number; expiresAt: number }> {
    const row = this.live(key, now) ?? { value: '', n: 0, expiresAt };
    row.n += 1;
    this.rows.set(key, row);
    return { n: row.n, expiresAt: row.expiresAt };
  }

  async raise(key: string, n: number, expiresAt: number, now: number): Promise<boolean> {
    const row = this.live(key, now);
    if (row && row.n >= n) return false;
    this.rows.set(key, { value: '', n, expiresAt });
    return true;
  }
}
