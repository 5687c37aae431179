/**
 * messaging: N sessions connected, then
 * - first contact: each session sends once to its recipient (device list,
 *   LID mapping, pre-key bundles, new Signal sessions, privacy token), its
 *   CPU per send reported apart (`gateway_cpu_ms_per_first_send`);
 * - sends flat out: POST /messages with autocannon (each session writes to
 *   the next session's phone), `sends_per_s` counts 201s;
 * - send → phone latency at a fixed rate (`--rate`, default 500/s, half the
 *   1000/s target): each accepted message's due time against the time
 *   the simulated phone decrypted it, p50/p99 (at most 128 connections:
 *   a request waiting for one counts its wait);
 * - receives flat out: one sender phone per session (not linked to any
 *   session) writes to that session's phone as fast as the sandbox takes it;
 *   `receives_per_s` counts `message.received` events read off the gateway's
 *   SSE stream (`/api/v1/events`) from the first send to the last arrival;
 * - phone send → SSE latency at a fixed rate (`--rate`): the epoch ms just
 *   before the sandbox phone sent each text against the time its
 *   `message.received` reached the driver, p50/p99.
 * Each phase also reports the CPU of the gateway, the sandbox and the driver
 * per send (over the `message.sent` events the gateway emitted in it) or
 * per receive (over the texts that reached SSE), and each one's share of a
 * core: on a shared machine the wall-clock rates measure the load, the CPU
 * per operation measures wagate. BENCH_PROFILE=<dir> profiles each phase.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { phoneOf, sessionIdOf } from '../lib/pairing.js';
import { BENCH_ADMIN_KEY, type GatewayProc, type SandboxProc } from '../lib/processes.js';
import type { Figures } from '../lib/results.js';
import { listenForReceived, type ReceivedOnSse } from '../lib/sseEvents.js';
import { percentile, round } from '../lib/stats.js';
import { sandboxFor, stopGateway } from './common.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { Scenario } from './types.js';

/** CPU of the three processes over one phase, and (BENCH_PROFILE=<dir>) a CPU profile of the gateway over it. */
interface PhaseCpu {
  /** message.sent events the gateway emitted over the phase (sends finished, whoever waited for them). */
  gateway_sent: number;
  gateway_cpu_ms: number;
  sandbox_cpu_ms: number;
  driver_cpu_ms: number;
  wall_ms: number;
}

async function measured<T>(gw: GatewayProc, sandbox: SandboxProc, label: string, phase: () => Promise<T>): Promise<{ result: T; cpu: PhaseCpu }> {
  const profileDir = process.env.BENCH_PROFILE;
  if (profileDir) await gw.child.call('profileStart');
  const [g0, s0] = await Promise.all([gw.stats(), sandbox.stats()]);
  const d0 = process.cpuUsage();
  const t0 = Date.now();
  const result = await phase();
  const d1 = process.cpuUsage(d0);
  const [g1, s1] = await Promise.all([gw.stats(), sandbox.stats()]);
  const wall = Date.now() - t0;
  if (profileDir) await gw.child.call('profileStop', { file: path.join(profileDir, `messaging-${label}-${Date.now()}.cpuprofile`) });
  return {
    result,
    cpu: {
      gateway_sent: g1.messagesSent - g0.messagesSent,
      gateway_cpu_ms: round(g1.cpuMs - g0.cpuMs, 0),
      sandbox_cpu_ms: round(s1.cpuMs - s0.cpuMs, 0),
      driver_cpu_ms: round((d1.user + d1.system) / 1000, 0),
      wall_ms: wall,
    },
  };
}

/** Waits until the gateway is nearly idle (under 10 % of a core over 500 ms; at most `maxMs`): a phase's backlog counts in that phase. */
async function settled(gw: GatewayProc, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = (await gw.stats()).cpuMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = (await gw.stats()).cpuMs;
    if (now - last < 50) return;
    last = now;
  }
}

/** CPU per operation of each process, and each process's share of one core over the phase. */
function perOp(cpu: PhaseCpu, ops: number, what: string): Figures {
  const per = (ms: number): number => (ops > 0 ? round(ms / ops, 3) : 0);
  const pct = (ms: number): number => (cpu.wall_ms > 0 ? round((100 * ms) / cpu.wall_ms, 0) : 0);
  return {
    [`gateway_cpu_ms_per_${what}`]: per(cpu.gateway_cpu_ms),
    [`sandbox_cpu_ms_per_${what}`]: per(cpu.sandbox_cpu_ms),
    [`driver_cpu_ms_per_${what}`]: per(cpu.driver_cpu_ms),
    gateway_cpu_pct: pct(cpu.gateway_cpu_ms),
    sandbox_cpu_pct: pct(cpu.sandbox_cpu_ms),
    driver_cpu_pct: pct(cpu.driver_cpu_ms),
  };
}

/** As a JID: the bench's simulated numbers are not valid numbers outside sandbox mode (a JID skips the number check). */
const recipientOf = (i: number, n: number): string => `${phoneOf((i + 1) % n)}@s.whatsapp.net`;

/** POST one text from session `s` to its recipient through `pool`. */
function postText(pool: Pool, s: number, n: number, text: string): ReturnType<Pool['request']> {
  return pool.request({
    method: 'POST',
    path: `/api/v1/sessions/${sessionIdOf(s)}/messages`,
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to: recipientOf(s, n), content: { type: 'text', text } }),
  });
}

/**
 * Each session's first send to its recipient, before measuring: it pays the
 * first contact (device list, LID mapping, pre-key bundles, new Signal
 * sessions, the privacy token), which later sends to the same chat do not.
 * The receives are warmed the same way. Its CPU per send is reported apart.
 */
async function warmSends(gw: GatewayProc, n: number): Promise<Figures> {
  const pool = new Pool(`http://127.0.0.1:${gw.port}`, { connections: 32 });
  const statuses = new Map<string, number>();
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, k) => {
        const res = await postText(pool, k, n, `warm ${k}`);
        const body = (await res.body.json()) as { data?: { status: string } };
        const key = `${res.statusCode}:${body.data?.status ?? 'none'}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }),
    );
  } finally {
    await pool.close();
  }
  return { answers: [...statuses].map(([k, v]) => `${k}:${v}`).join(' ') };
}

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
    accepted: result['2xx'],
    p50_ms: round(result.latency.p50, 2),
    p99_ms: round(result.latency.p99, 2),
    non_2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * Connections the fixed-rate sender keeps to the gateway. Without a bound the
 * driver opened one connection per request in flight: once the gateway fell
 * behind (500/s offered against ~90/s served) thousands were open at once,
 * the gateway's accept queue overflowed (undici's 10 s connect timeout,
 * UND_ERR_CONNECT_TIMEOUT) and requests it accepted but could not read within
 * its 10 s headers timeout got a 408 or, with the request still unread, a
 * reset (ECONNRESET). With a bound, requests beyond it wait in the driver, and
 * their wait counts in the latency (measured from when each was due).
 */
const RATE_CONNECTIONS = 128;

/** Sends at a fixed rate; returns each accepted message's id and due time, and how many were not accepted. */
async function sendsAtRate(
  gw: GatewayProc,
  n: number,
  rate: number,
  seconds: number,
): Promise<{ sent: Array<{ id: string; at: number; phone: string }>; refused: string }> {
  const sent: Array<{ id: string; at: number; phone: string }> = [];
  /** Answers other than 201 (by status, or `error:<code>` when the request failed): the driver's and the gateway's refusals alike. */
  const refusedBy = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const origin = `http://127.0.0.1:${gw.port}`;
  // Generous timeouts: a request waiting in the pool is the gateway being slow, which the latency shows.
  const pool = new Pool(origin, { connections: RATE_CONNECTIONS, connectTimeout: 60_000, headersTimeout: 300_000, bodyTimeout: 300_000 });
  const started = Date.now();
  const total = rate * seconds;
  try {
    for (let k = 0; k < total; k++) {
      const due = started + (k * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const s = k % n;
      const phone = recipientOf(s, n);
      const at = Math.min(Date.now(), Math.ceil(due));
      const p = postText(pool, s, n, `rate ${k}`)
        .then(async (res) => {
          const body = (await res.body.json()) as { data?: { messageId: string } };
          if (res.statusCode === 201 && body.data) sent.push({ id: body.data.messageId, at, phone });
          else refusedBy.set(String(res.statusCode), (refusedBy.get(String(res.statusCode)) ?? 0) + 1);
        })
        .catch((err: unknown) => {
          const key = `error:${errorCode(err)}`;
          refusedBy.set(key, (refusedBy.get(key) ?? 0) + 1);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all([...inFlight]);
  } finally {
    await pool.close();
  }
  return { sent, refused: [...refusedBy].map(([status, count]) => `${status}:${count}`).join(' ') || 'none' };
}

/** What made a request fail: its code (ECONNRESET, UND_ERR_…), or its cause's (fetch wraps it). */
function errorCode(err: unknown): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string; name?: string } };
  return e.code ?? e.cause?.code ?? e.cause?.name ?? e.name ?? 'unknown';
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
  const warmM = await measured(gw, sandbox, 'sends-warm', async () => {
    const figures = await warmSends(gw, n);
    await settled(gw);
    return figures;
  });
  const warmSent: Figures = { ...warmM.result, sent_by_gateway: warmM.cpu.gateway_sent, ...perOp(warmM.cpu, warmM.cpu.gateway_sent, 'send') };
  const flatM = await measured(gw, sandbox, 'sends-flat', async () => {
    const figures = await sendsFlatOut(gw, n, ctx.opts.connections, seconds);
    await settled(gw);
    return figures;
  });
  // Per send: every message the gateway sent over the phase, including those still in flight when autocannon stopped.
  const flat: Figures = { ...flatM.result, sent_by_gateway: flatM.cpu.gateway_sent, ...perOp(flatM.cpu, flatM.cpu.gateway_sent, 'send') };

  const rate = ctx.opts.rate;
  // The phones keep their newest 200 messages: one short window per sample keeps every one of them.
  const sampleSeconds = Math.max(1, Math.min(seconds, Math.floor((200 * n) / Math.max(1, rate)) - 1));
  const sentM = await measured(gw, sandbox, 'sends-rate', async () => {
    const got = await sendsAtRate(gw, n, rate, sampleSeconds);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    return got;
  });
  const { sent, refused } = sentM.result;
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
    const flatR = await measured(gw, sandbox, 'receives-flat', () => receivesFlatOut(sandbox, sse, n, seconds));
    receivesFlat = { ...flatR.result, ...perOp(flatR.cpu, Number(flatR.result.arrived), 'receive') };
    const rateR = await measured(gw, sandbox, 'receives-rate', () => receivesAtRate(sandbox, sse, n, rate, sampleSeconds));
    receivesRate = { ...rateR.result, ...perOp(rateR.cpu, Number(rateR.result.arrived), 'receive') };
  } finally {
    sse.close();
  }
  await stopGateway(ctx, gw);
  const atRate: Figures = {
    rate_per_s: rate,
    seconds: sampleSeconds,
    accepted: sent.length,
    refused,
    arrived: latencies.length,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    sent_by_gateway: sentM.cpu.gateway_sent,
    ...perOp(sentM.cpu, sentM.cpu.gateway_sent, 'send'),
  };
  return {
    figures: {
      sends_per_s: flat.sends_per_s!,
      send_to_phone_p50_ms: atRate.p50_ms!,
      send_to_phone_p99_ms: atRate.p99_ms!,
      gateway_cpu_ms_per_send: flat.gateway_cpu_ms_per_send!,
      gateway_cpu_ms_per_first_send: warmSent.gateway_cpu_ms_per_send!,
      receives_per_s: receivesFlat.receives_per_s!,
      gateway_cpu_ms_per_receive: receivesFlat.gateway_cpu_ms_per_receive!,
      phone_to_sse_p50_ms: receivesRate.p50_ms!,
      phone_to_sse_p99_ms: receivesRate.p99_ms!,
      connected: restored.connected,
    },
    runs: [
      { label: 'sends_first_contact', figures: warmSent },
      { label: 'sends_flat_out', figures: flat },
      { label: 'send_to_phone_at_rate', figures: atRate },
      { label: 'receives_flat_out', figures: { ...receivesFlat, warmed_senders: warmed } },
      { label: 'phone_to_sse_at_rate', figures: receivesRate },
      { label: 'restore', figures: restored.figures },
    ],
    notes: [
      'receives: one sender phone per session (phones N..2N-1), texts sent by the sandbox process; latency from just before the phone sent to the driver reading message.received off /api/v1/events',
      'each phase: gateway_/sandbox_/driver_cpu_ms_per_send|receive say which process the rate is made of; the gateway is the dearest per operation when the figure measures wagate',
      'recipients are JIDs: the simulated numbers are not valid outside sandbox mode',
      'the driver (autocannon, fetch) shares the machine',
    ],
  };
};
