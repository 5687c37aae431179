/**
 * messaging: N sessions connected, then
 * - sends flat out: POST /messages with autocannon (each session writes to
 *   the next session's phone), `sends_per_s` counts 201s;
 * - send → phone latency at a fixed rate (`--rate`, default 500/s, half the
 *   1000/s target): each accepted message's request time against the time
 *   the simulated phone decrypted it, p50/p99.
 * - receives flat out: one sender phone per session (not linked to any
 *   session) writes to that session's phone as fast as the sandbox takes it;
 *   `receives_per_s` counts `message.received` events read off the gateway's
 *   SSE stream (`/api/v1/events`) from the first send to the last arrival;
 * - phone send → SSE latency at a fixed rate (`--rate`): the epoch ms just
 *   before the sandbox phone sent each text against the time its
 *   `message.received` reached the driver, p50/p99.
 */
import autocannon from 'autocannon';
import { phoneOf, sessionIdOf } from '../lib/pairing.js';
import { BENCH_ADMIN_KEY, type GatewayProc, type SandboxProc } from '../lib/processes.js';
import type { Figures } from '../lib/results.js';
import { listenForReceived, type ReceivedOnSse } from '../lib/sseEvents.js';
import { percentile, round } from '../lib/stats.js';
import { sandboxFor, stopGateway } from './common.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { Scenario } from './types.js';

/** As a JID: the bench's simulated numbers are not valid numbers outside sandbox mode (a JID skips the number check). */
const recipientOf = (i: number, n: number): string => `${phoneOf((i + 1) % n)}@s.whatsapp.net`;

async function sendsFlatOut(gw: GatewayProc, n: number, connections: number, seconds: number): Promise<Figures> {
  let i = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${gw.port}`,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const k = i++ % n;
          return { ...req, path: `/api/v1/sessions/${sessionIdOf(k)}/messages`, body: JSON.stringify({ to: recipientOf(k, n), content: { type: 'text', text: `flat ${i}` } }) };
        },
      },
    ],
  });
  return {
    sends_per_s: round(result['2xx'] / seconds, 0),
    p50_ms: round(result.latency.p50, 2),
    p99_ms: round(result.latency.p99, 2),
    non_2xx: result.non2xx,
    errors: result.errors,
  };
}

/** Sends at a fixed rate; returns each accepted message's id and request time. */
async function sendsAtRate(gw: GatewayProc, n: number, rate: number, seconds: number): Promise<Array<{ id: string; at: number; phone: string }>> {
  const sent: Array<{ id: string; at: number; phone: string }> = [];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const total = rate * seconds;
  for (let k = 0; k < total; k++) {
    const due = started + (k * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const s = k % n;
    const phone = recipientOf(s, n);
    const at = Date.now();
    const p = fetch(`http://127.0.0.1:${gw.port}/api/v1/sessions/${sessionIdOf(s)}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: phone, content: { type: 'text', text: `rate ${k}` } }),
    })
      .then(async (res) => {
        const body = (await res.json()) as { data?: { messageId: string } };
        if (res.status === 201 && body.data) sent.push({ id: body.data.messageId, at, phone });
      })
      .catch(() => undefined)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all([...inFlight]);
  return sent;
}

/** Session k's phone gets texts from its own sender phone, which no session is linked to. */
const senderOf = (k: number, n: number): string => phoneOf(n + k);
const textFrom = (k: number, n: number, text: string) => ({ from: senderOf(k, n), to: phoneOf(k), text });

/** Every sender writes once (Signal sessions set up, phones created) and its message arrives, before measuring. */
async function warmReceives(sandbox: SandboxProc, sse: ReceivedOnSse, n: number): Promise<number> {
  const sent = await sandbox.phoneSend(Array.from({ length: n }, (_, k) => textFrom(k, n, `warm ${k}`)));
  await sse.waitFor(sent.map((s) => s.id), 30_000);
  return sent.filter((s) => sse.arrivals.has(s.id)).length;
}

/** Phones write as fast as the sandbox takes it (a few batches of one text per session in flight) for `seconds`. */
async function receivesFlatOut(sandbox: SandboxProc, sse: ReceivedOnSse, n: number, seconds: number): Promise<Figures> {
  const sent: Array<{ id: string; at: number }> = [];
  const started = Date.now();
  const end = started + seconds * 1000;
  let batchNo = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const r = batchNo++;
      sent.push(...(await sandbox.phoneSend(Array.from({ length: n }, (_, k) => textFrom(k, n, `flat ${r}.${k}`)))));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  await sse.waitFor(sent.map((s) => s.id), 30_000);
  const arrived = sent.filter((s) => sse.arrivals.has(s.id));
  const last = Math.max(started, ...arrived.map((s) => sse.arrivals.get(s.id)!));
  return {
    receives_per_s: round(arrived.length / ((last - started) / 1000), 0),
    sent: sent.length,
    arrived: arrived.length,
    seconds: round((last - started) / 1000, 2),
  };
}

/** Phones write at `rate` per second in total (spread over the sessions), in 10 ms ticks; phone send → SSE, p50/p99. */
async function receivesAtRate(sandbox: SandboxProc, sse: ReceivedOnSse, n: number, rate: number, seconds: number): Promise<Figures> {
  const sent: Array<{ id: string; at: number }> = [];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const total = rate * seconds;
  let k = 0;
  while (k < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
    const batch: Array<{ from: string; to: string; text: string }> = [];
    for (; k < due; k++) batch.push(textFrom(k % n, n, `rate ${k}`));
    if (batch.length > 0) {
      const p = sandbox
        .phoneSend(batch)
        .then((got) => void sent.push(...got))
        .catch(() => undefined)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all([...inFlight]);
  await sse.waitFor(sent.map((s) => s.id), 30_000);
  const latencies = sent.filter((s) => sse.arrivals.has(s.id)).map((s) => sse.arrivals.get(s.id)! - s.at);
  return {
    rate_per_s: rate,
    seconds,
    sent: sent.length,
    arrived: latencies.length,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
  };
}

export const messagingScenario: Scenario = async (ctx) => {
  const n = ctx.opts.sessions;
  const sandbox = await sandboxFor(ctx);
  await pairAll(ctx, sandbox, n);
  const restored = await restoreAll(ctx, sandbox, n, { fastCurve: ctx.opts.fastCurve !== 'off' });
  const gw = restored.gw;
  const seconds = Math.max(5, ctx.opts.duration);
  const flat = await sendsFlatOut(gw, n, ctx.opts.connections, seconds);

  const rate = ctx.opts.rate;
  // The phones keep their newest 200 messages: one short window per sample keeps every one of them.
  const sampleSeconds = Math.max(1, Math.min(seconds, Math.floor((200 * n) / Math.max(1, rate)) - 1));
  const sent = await sendsAtRate(gw, n, rate, sampleSeconds);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const phones = [...new Set(sent.map((s) => s.phone.split('@')[0]!))];
  const arrived = new Map((await sandbox.inbox(phones)).map((m) => [m.id, m.at]));
  const latencies = sent.filter((s) => arrived.has(s.id)).map((s) => arrived.get(s.id)! - s.at);

  // Receives: phones write, the driver reads message.received off the SSE stream.
  const sse = await listenForReceived(gw.port);
  let receivesFlat: Figures;
  let receivesRate: Figures;
  let warmed: number;
  try {
    warmed = await warmReceives(sandbox, sse, n);
    receivesFlat = await receivesFlatOut(sandbox, sse, n, seconds);
    receivesRate = await receivesAtRate(sandbox, sse, n, rate, sampleSeconds);
  } finally {
    sse.close();
  }
  await stopGateway(ctx, gw);
  const atRate: Figures = {
    rate_per_s: rate,
    seconds: sampleSeconds,
    accepted: sent.length,
    arrived: latencies.length,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
  };
  return {
    figures: {
      sends_per_s: flat.sends_per_s!,
      send_to_phone_p50_ms: atRate.p50_ms!,
      send_to_phone_p99_ms: atRate.p99_ms!,
      receives_per_s: receivesFlat.receives_per_s!,
      phone_to_sse_p50_ms: receivesRate.p50_ms!,
      phone_to_sse_p99_ms: receivesRate.p99_ms!,
      connected: restored.connected,
    },
    runs: [
      { label: 'sends_flat_out', figures: flat },
      { label: 'send_to_phone_at_rate', figures: atRate },
      { label: 'receives_flat_out', figures: { ...receivesFlat, warmed_senders: warmed } },
      { label: 'phone_to_sse_at_rate', figures: receivesRate },
      { label: 'restore', figures: restored.figures },
    ],
    notes: [
      'receives: one sender phone per session (phones N..2N-1), texts sent by the sandbox process (its CPU is the ceiling flat out); latency from just before the phone sent to the driver reading message.received off /api/v1/events',
      'recipients are JIDs: the simulated numbers are not valid outside sandbox mode',
      'the driver (autocannon, fetch) shares the machine',
    ],
  };
};
