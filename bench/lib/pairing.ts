/**
 * Creates sessions through the gateway's HTTP API, connects them, and pairs
 * each by QR with its own simulated phone in the sandbox process. Records,
 * per session: connect request → first QR, and scan → connected.
 */
import type { BenchEvent } from './gatewayChild.js';
import type { GatewayProc, SandboxProc } from './processes.js';
import { waitForEvents } from './processes.js';

export interface PairTiming {
  sessionId: string;
  connectAt: number;
  qrAt: number | null;
  scanAt: number | null;
  /** The phone accepted the link (pair-success answered); login follows. */
  pairedAt: number | null;
  connectedAt: number | null;
}

export interface PairOptions {
  /** Sessions connected at once (the "concurrent connects" of the figure). */
  batch: number;
  /** Scans in flight at once. */
  scanConcurrency: number;
  timeoutMs: number;
  /** Called once a batch's first QRs are all in, before any phone scans (e.g. to end a profile of the connects). */
  afterFirstQrs?: () => Promise<void>;
  /** The sessions exist already (createSessions ran), so a measured window holds connects only. */
  created?: boolean;
}

export const sessionIdOf = (i: number): string => `bench-${String(i).padStart(5, '0')}`;
export const phoneOf = (i: number): string => `1555${String(i).padStart(7, '0')}`;

export async function createSessions(gw: GatewayProc, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (sessionId) => {
        const res = await gw.http('POST', '/api/v1/sessions', { sessionId });
        if (res.status !== 201) throw new Error(`create ${sessionId}: ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
  }
}

/** Pair sessions `from..from+count-1` in batches; returns one timing per session. */
export async function pairSessions(gw: GatewayProc, sandbox: SandboxProc, from: number, count: number, opts: PairOptions): Promise<PairTiming[]> {
  const all: PairTiming[] = [];
  const ids = Array.from({ length: count }, (_, k) => sessionIdOf(from + k));
  if (!opts.created) await createSessions(gw, ids);
  for (let start = 0; start < count; start += opts.batch) {
    const batchIds = ids.slice(start, start + opts.batch);
    all.push(...(await pairBatch(gw, sandbox, batchIds, from + start, opts)));
  }
  return all;
}

async function pairBatch(gw: GatewayProc, sandbox: SandboxProc, ids: string[], firstIndex: number, opts: PairOptions): Promise<PairTiming[]> {
  const timings = new Map<string, PairTiming>();
  const latestQr = new Map<string, string>();
  const off = gw.onEvent((event: BenchEvent) => {
    const t = timings.get(event.sessionId);
    if (!t) return;
    if (event.type === 'auth.qr' && event.qr) {
      latestQr.set(event.sessionId, event.qr);
      t.qrAt ??= event.at;
    }
    if (event.type === 'auth.paired') t.pairedAt ??= event.at;
    if (event.type === 'connection.state' && event.state === 'connected') t.connectedAt ??= event.at;
  });
  try {
    // Phase 1: every session of the batch connects at once; wait for all first QRs.
    for (const sessionId of ids) timings.set(sessionId, { sessionId, connectAt: 0, qrAt: null, scanAt: null, pairedAt: null, connectedAt: null });
    await Promise.all(
      ids.map(async (sessionId) => {
        timings.get(sessionId)!.connectAt = Date.now();
        const res = await gw.http('POST', `/api/v1/sessions/${sessionId}/connect`);
        if (res.status >= 300) throw new Error(`connect ${sessionId}: ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
    await waitForEvents(gw, () => ids.every((id) => timings.get(id)!.qrAt !== null), opts.timeoutMs);
    await opts.afterFirstQrs?.();

    // Phase 2: the phones scan, a bounded number at a time.
    let next = 0;
    const scanner = async (): Promise<void> => {
      while (next < ids.length) {
        const k = next++;
        const sessionId = ids[k]!;
        const qr = latestQr.get(sessionId);
        if (!qr) continue;
        const t = timings.get(sessionId)!;
        t.scanAt = Date.now();
        try {
          await sandbox.scan(phoneOf(firstIndex + k), latestQr.get(sessionId) ?? qr);
        } catch (err) {
          process.stderr.write(`scan ${sessionId} failed: ${(err as Error).message}\n`);
          continue;
        }
        await waitForEvents(gw, () => t.connectedAt !== null, opts.timeoutMs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.scanConcurrency, ids.length) }, scanner));
  } finally {
    off();
  }
  return [...timings.values()];
}
