/**
 * Follows a gateway's SSE stream (one session's or all sessions') and keeps
 * following it: when the connection drops (gateway restart, proxy timeout)
 * it reconnects with Last-Event-ID, so the gateway replays what was missed
 * and no event is lost or shown twice. A refusal (unknown session, bad key)
 * ends it; so does the first connection failing, so a typo in --url fails fast.
 */
import type { GatewayEvent } from '../core/model.js';
import type { ApiClient } from './apiClient.js';
import { CliError, EXIT } from './exitCodes.js';

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 10_000;

export interface FollowOptions {
  /** `/events` or `/sessions/{id}/events`. */
  path: string;
  /** Resume after this event id. */
  lastEventId?: number;
  signal: AbortSignal;
  /** Called once per event; returning true stops following. */
  onEvent(event: GatewayEvent): boolean | void | Promise<boolean | void>;
  /** After each (re)connection is open. */
  onOpen?(reconnected: boolean): void | Promise<void>;
  /** The stream dropped; the next attempt follows after `delayMs`. */
  onDrop?(reason: string, delayMs: number): void;
}

/** Splits SSE text into frames and yields each frame's id and data. */
function parseFrame(frame: string): { id?: number; data?: string } {
  let id: number | undefined;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('id:')) id = Number(line.slice(3).trim());
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return { id: Number.isSafeInteger(id) ? id : undefined, data: data.length > 0 ? data.join('\n') : undefined };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** Reads one open stream to its end; true when onEvent asked to stop. */
async function readStream(res: Response, opts: FollowOptions, seen: { lastId?: number }): Promise<boolean> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (frame.data === undefined) continue;
        if (frame.id !== undefined) seen.lastId = frame.id;
        if ((await opts.onEvent(JSON.parse(frame.data) as GatewayEvent)) === true) return true;
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

export async function followEvents(client: ApiClient, opts: FollowOptions): Promise<void> {
  const seen: { lastId?: number } = { lastId: opts.lastEventId };
  let attempt = 0;
  let opened = false;
  while (!opts.signal.aborted) {
    let reason: string;
    try {
      const headers: Record<string, string> = seen.lastId === undefined ? {} : { 'last-event-id': String(seen.lastId) };
      const res = await client.stream(opts.path, headers, opts.signal);
      await opts.onOpen?.(opened);
      opened = true;
      attempt = 0;
      if (await readStream(res, opts, seen)) return;
      reason = 'the gateway closed the stream';
    } catch (err) {
      if (opts.signal.aborted) return;
      // Refusals are final; so is an unreachable gateway before the first connection.
      if (err instanceof CliError && (err.exitCode !== EXIT.UNREACHABLE || !opened)) throw err;
      reason = err instanceof Error ? err.message : String(err);
    }
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
    attempt++;
    opts.onDrop?.(reason, delayMs);
    await sleep(delayMs, opts.signal);
  }
}
