/**
 * Restores sessions a bounded number at a time. A slot is held until the
 * session settles (connected, or failed), not just until the socket opens:
 * that is what keeps a restart of many sessions from flooding the event
 * loop and WhatsApp with simultaneous handshakes.
 */
export interface PaceResult {
  started: number;
  maxInFlight: number;
}

export async function runPaced<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<PaceResult> {
  const limit = Math.max(1, concurrency);
  let next = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await task(item);
      } catch {
        // A session that fails to restore must not stop the others; the
        // session itself records why.
      } finally {
        inFlight -= 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return { started: items.length, maxInFlight };
}
