/**
 * The driver's side of the gateway's SSE stream (`/api/v1/events`, every
 * session): for each `message.received`, the epoch ms it reached the driver,
 * by message id. The receive scenarios time phone send → here.
 */
import { eachSseData } from '../../test/support/sseData.js';
import { BENCH_ADMIN_KEY } from './processes.js';

export interface ReceivedOnSse {
  /** messageId → epoch ms the event was read off the stream. */
  arrivals: Map<string, number>;
  /** Resolves once every id is in `arrivals`, or after `timeoutMs`. */
  waitFor(ids: readonly string[], timeoutMs: number): Promise<void>;
  close(): void;
}

export async function listenForReceived(port: number): Promise<ReceivedOnSse> {
  const arrivals = new Map<string, number>();
  const controller = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, {
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`SSE stream answered ${res.status}`);
  eachSseData(res.body, (data, receivedAt) => {
    const event = JSON.parse(data) as { type?: string; data?: { message?: { messageId?: string } } };
    const id = event.type === 'message.received' ? event.data?.message?.messageId : undefined;
    if (id !== undefined && !arrivals.has(id)) arrivals.set(id, receivedAt);
  }).catch(() => undefined);
  return {
    arrivals,
    waitFor: async (ids, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && ids.some((id) => !arrivals.has(id))) await new Promise((r) => setTimeout(r, 50));
    },
    close: () => controller.abort(),
  };
}
