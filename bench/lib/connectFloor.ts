/**
 * One connect at a time on an otherwise idle gateway, and the floor under
 * it measured from the driver with the same loopback and sandbox:
 * - `http`: a GET status round trip to the gateway (the API's own cost);
 * - `websocket`: a WebSocket open to the sandbox (TCP + HTTP upgrade);
 * - `handshake`: a light client's full start (WebSocket, Noise XX with the
 *   certificate chain, registration payload) until the sandbox's
 *   `pair-device` (the first QR's refs) arrives: what any client pays
 *   before it can show a QR, without Baileys or the gateway.
 */
import type { BenchEvent } from './gatewayChild.js';
import { LoadClient } from './loadClient.js';
import { createSessions, sessionIdOf } from './pairing.js';
import { waitForEvents, type GatewayProc, type SandboxProc } from './processes.js';
import { percentile, round } from './stats.js';
import type { Figures } from './results.js';

/** `count` sessions from index `from`, connected one after the other; each is disconnected once its QR is in. */
export async function singleConnects(gw: GatewayProc, from: number, count: number): Promise<{ latencies: number[]; cpuMs: number[] }> {
  const ids = Array.from({ length: count }, (_, k) => sessionIdOf(from + k));
  await createSessions(gw, ids);
  const latencies: number[] = [];
  // Gateway CPU from the connect request until its QR has reached the driver (idle otherwise).
  const cpuMs: number[] = [];
  for (const sessionId of ids) {
    let qrAt: number | null = null;
    const off = gw.onEvent((e: BenchEvent) => {
      if (e.sessionId === sessionId && e.type === 'auth.qr') qrAt ??= e.at;
    });
    const cpuBefore = (await gw.stats()).cpuMs;
    const startAt = Date.now();
    const res = await gw.http('POST', `/api/v1/sessions/${sessionId}/connect`);
    if (res.status >= 300) throw new Error(`connect ${sessionId}: ${res.status}`);
    await waitForEvents(gw, () => qrAt !== null, 30_000);
    off();
    if (qrAt !== null) {
      latencies.push(qrAt - startAt);
      cpuMs.push((await gw.stats()).cpuMs - cpuBefore);
    }
    await gw.http('POST', `/api/v1/sessions/${sessionId}/disconnect`);
    // Let the gateway go idle again: the next connect must not share the loop with this one's close.
    await new Promise((r) => setTimeout(r, 50));
  }
  return { latencies, cpuMs };
}

/** The floor under a connect: HTTP round trip, WebSocket open, client handshake to pair-device (p50 of `count`). */
export async function connectFloor(gw: GatewayProc, sandbox: SandboxProc, count: number): Promise<Figures> {
  const http: number[] = [];
  const websocket: number[] = [];
  const handshake: number[] = [];
  for (let k = 0; k < count; k++) {
    const t = performance.now();
    await gw.http('GET', `/api/v1/sessions/${sessionIdOf(0)}/status`);
    http.push(performance.now() - t);
    const client = await LoadClient.connect({ url: sandbox.url, rootPublicKey: Buffer.from(sandbox.rootPublicKey, 'base64'), timeoutMs: 10_000 });
    websocket.push(client.timings.openAt - client.timings.startAt);
    handshake.push(client.timings.pairDeviceAt - client.timings.startAt);
    client.close();
  }
  return {
    floor_http_p50_ms: round(percentile(http, 50), 2),
    floor_websocket_p50_ms: round(percentile(websocket, 50), 1),
    floor_handshake_p50_ms: round(percentile(handshake, 50), 1),
  };
}
