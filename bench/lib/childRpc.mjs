// The stock-engine children (plain Node, no tsx: what a stock user runs)
// talk to the driver over Node IPC: notices out, numbered calls in.

/** A notice to the driver (qr, open, close, ready, …). */
export const notify = (notice, data) => process.send?.({ notice, data });

/** Answer the driver's numbered calls with `handlers`; leave when the driver goes. */
export function serveRpc(handlers) {
  process.on('message', async (message) => {
    if (typeof message?.rpc !== 'number') return;
    try {
      const result = await handlers[message.method]?.(message.params);
      process.send?.({ rpc: message.rpc, result });
    } catch (err) {
      process.send?.({ rpc: message.rpc, error: String(err?.message ?? err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Stop: end every socket without logging out, give pending credential writes `graceMs`, exit 0. */
export async function stopSockets(socks, graceMs) {
  for (const sock of socks) sock?.end(undefined);
  await new Promise((r) => setTimeout(r, graceMs));
  setImmediate(() => process.exit(0));
  return true;
}
