/**
 * sandbox-relay: how many messages per second the sandbox relays on its own,
 * without the gateway. The driver pairs N real Baileys 7 sockets (the
 * engine, unmodified) with N simulated phones of the sandbox child, then
 * each sends texts to the next one's phone for --duration seconds, keeping
 * IN_FLIGHT messages outstanding. A message counts as relayed when the
 * recipient phone's delivery receipt reaches the sender: companion encrypt →
 * server ack → the phone decrypts (and, for the sender's own phone, its
 * copy) → receipt back.
 *
 * The senders' Signal encryption runs in the driver, so the driver can be the
 * limit: the figures carry both processes' CPU, and the sandbox's CPU per
 * relayed message gives what one core of sandbox could relay
 * (`sandbox_capacity_per_core_per_s`).
 */
import path from 'node:path';
import {
  Browsers,
  initAuthCreds,
  makeWASocket,
  WA_CERT_DETAILS,
  type AuthenticationState,
  type BinaryNode,
  type SignalDataSet,
  type SignalDataTypeMap,
  type WASocket,
} from 'baileys';
import { pino } from 'pino';
import type { Figures } from '../lib/results.js';
import { Child } from '../lib/rpc.js';
import { percentile, round } from '../lib/stats.js';
import type { Scenario, ScenarioContext } from './types.js';

const IN_FLIGHT = 8;
const WARMUP_MESSAGES = 3;
const RPC_TIMEOUT_MS = 30_000;
const OPEN_TIMEOUT_MS = 30_000;
const PAIR_BATCH = 10;

interface SandboxStats {
  cpuMs: number;
  cpuSystemMs: number;
  eventLoopP99Ms: number;
  rss: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (line: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const phoneOf = (i: number): string => `1556${String(i).padStart(7, '0')}`;

/** Auth state in memory: creds object plus a key map (the bench never restarts these sockets' process). */
function memoryAuth(): AuthenticationState {
  const creds = initAuthCreds();
  const store = new Map<string, unknown>();
  return {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const value = store.get(`${type}/${id}`);
          if (value !== undefined) out[id] = value as SignalDataTypeMap[T];
        }
        return out;
      },
      set: async (data: SignalDataSet) => {
        for (const [type, entries] of Object.entries(data)) {
          for (const [id, value] of Object.entries(entries ?? {})) {
            if (value === null || value === undefined) store.delete(`${type}/${id}`);
            else store.set(`${type}/${id}`, value);
          }
        }
      },
    },
  };
}

/** One socket's life until `until` says so (or it closes / times out). */
function openSocket(url: string, auth: AuthenticationState, until: (sock: WASocket, done: (v: string) => void) => void): Promise<{ sock: WASocket; outcome: string }> {
  const sock = makeWASocket({
    waWebSocketUrl: url,
    auth,
    logger: pino({ level: 'silent' }),
    browser: Browsers.macOS('Chrome'),
    markOnlineOnConnect: false,
    syncFullHistory: false,
    shouldSyncHistoryMessage: () => false,
    connectTimeoutMs: OPEN_TIMEOUT_MS,
    defaultQueryTimeoutMs: OPEN_TIMEOUT_MS,
  });
  sock.ev.on('creds.update', (update) => Object.assign(auth.creds, update));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not reach its state within 30 s')), OPEN_TIMEOUT_MS);
    until(sock, (outcome) => {
      clearTimeout(timer);
      resolve({ sock, outcome });
    });
  });
}

/** QR → the sandbox phone scans → 515 → a fresh socket logs in. */
async function pairSender(sandbox: Child, url: string, phone: string): Promise<WASocket> {
  const auth = memoryAuth();
  const first = await openSocket(url, auth, (sock, done) => {
    let scanned = false;
    sock.ev.on('connection.update', (u) => {
      if (u.qr && !scanned) {
        scanned = true;
        sandbox.call('scan', { phone, qr: u.qr }, RPC_TIMEOUT_MS).catch((err: unknown) => done(`scan failed: ${String(err)}`));
      }
      if (u.connection === 'close') done(String((u.lastDisconnect?.error as { output?: { statusCode?: number } })?.output?.statusCode));
    });
  });
  if (first.outcome !== '515') throw new Error(`pairing ${phone}: expected a 515 restart, got ${first.outcome}`);
  const second = await openSocket(url, auth, (sock, done) => {
    sock.ev.on('connection.update', (u) => {
      if (u.connection === 'open') done('open');
      if (u.connection === 'close') done('closed');
    });
  });
  if (second.outcome !== 'open') throw new Error(`login ${phone}: ${second.outcome}`);
  return second.sock;
}

interface Sender {
  sock: WASocket;
  to: string;
  sentAt: Map<string, number>;
}

async function measure(ctx: ScenarioContext, sandbox: Child, url: string): Promise<Figures> {
  const n = Math.max(2, ctx.opts.sessions);
  const socks: WASocket[] = [];
  const tPair = Date.now();
  for (let i = 0; i < n; i += PAIR_BATCH) {
    const batch = Array.from({ length: Math.min(PAIR_BATCH, n - i) }, (_, k) => pairSender(sandbox, url, phoneOf(i + k)));
    socks.push(...(await Promise.all(batch)));
  }
  progress(`${n} senders paired and logged in in ${round((Date.now() - tPair) / 1000, 1)} s`);

  let measuring = false;
  let relayed = 0;
  let sendErrors = 0;
  const latencies: number[] = [];
  const senders: Sender[] = socks.map((sock, i) => ({ sock, to: `${phoneOf((i + 1) % n)}@s.whatsapp.net`, sentAt: new Map() }));
  let running = true;
  let seq = 0;
  const pump = (s: Sender) => {
    while (running && s.sentAt.size < IN_FLIGHT) {
      const text = `relay ${seq++}`;
      const placeholder = `pending-${seq}`;
      s.sentAt.set(placeholder, Date.now());
      s.sock.sendMessage(s.to, { text }).then(
        (msg) => {
          const at = s.sentAt.get(placeholder)!;
          s.sentAt.delete(placeholder);
          if (msg?.key.id) s.sentAt.set(msg.key.id, at);
        },
        () => {
          s.sentAt.delete(placeholder);
          sendErrors++;
          setTimeout(() => pump(s), 100);
        },
      );
    }
  };
  for (const s of senders) {
    // The recipient's delivery receipt (not the `sender` receipt of the account's own phone).
    s.sock.ws.on('CB:receipt', (node: BinaryNode) => {
      if (node.attrs.type === 'sender') return;
      const at = s.sentAt.get(node.attrs.id ?? '');
      if (at === undefined) return;
      s.sentAt.delete(node.attrs.id!);
      if (measuring) {
        relayed++;
        latencies.push(Date.now() - at);
      }
      pump(s);
    });
  }

  // Warm-up: Signal sessions, JIT, the phones' first pre-key messages.
  await Promise.all(senders.map(async (s) => {
    for (let k = 0; k < WARMUP_MESSAGES; k++) await s.sock.sendMessage(s.to, { text: `warm-up ${k}` });
  }));
  await sleep(2_000);
  progress('warm-up done');

  await sandbox.call('resetEventLoop', {}, RPC_TIMEOUT_MS);
  const before = await sandbox.call<SandboxStats>('stats', {}, RPC_TIMEOUT_MS);
  const driverBefore = process.cpuUsage();
  const t0 = Date.now();
  measuring = true;
  for (const s of senders) pump(s);
  await sleep(ctx.opts.duration * 1000);
  measuring = false;
  running = false;
  const wallMs = Date.now() - t0;
  const after = await sandbox.call<SandboxStats>('stats', {}, RPC_TIMEOUT_MS);
  const driverCpu = process.cpuUsage(driverBefore);
  await sleep(2_000);
  for (const s of socks) s.end(undefined);

  const sandboxCpuMs = after.cpuMs - before.cpuMs;
  const perMessage = relayed ? sandboxCpuMs / relayed : Number.NaN;
  return {
    senders: n,
    in_flight_per_sender: IN_FLIGHT,
    duration_s: round(wallMs / 1000, 1),
    relayed,
    relayed_per_s: round((relayed / wallMs) * 1000),
    receipt_p50_ms: round(percentile(latencies, 50)),
    receipt_p99_ms: round(percentile(latencies, 99)),
    send_errors: sendErrors,
    sandbox_cpu_pct: round((sandboxCpuMs / wallMs) * 100),
    sandbox_cpu_ms_per_message: round(perMessage, 3),
    sandbox_capacity_per_core_per_s: round(1000 / perMessage),
    sandbox_eventloop_p99_ms: round(after.eventLoopP99Ms),
    driver_cpu_pct: round(((driverCpu.user + driverCpu.system) / 1000 / wallMs) * 100),
    // The engine alone: stock Baileys with keys in memory, no HTTP, no store (a floor for a gateway's send).
    driver_cpu_ms_per_message: relayed ? round((driverCpu.user + driverCpu.system) / 1000 / relayed, 3) : Number.NaN,
  };
}

export const sandboxRelayScenario: Scenario = async (ctx) => {
  // The driver runs under tsx with source maps on; Baileys ships .js.map files, so every
  // Error().stack it captures (several per frame) would be mapped, which a stock deployment
  // (plain node) does not pay. Off, as the gateway child has them, so the driver's CPU per text is the engine's.
  process.setSourceMapsEnabled(false);
  const load = ctx.opts.sandboxLoad !== 'off';
  const child = Child.start('bench/lib/sandboxChild.ts', {
    logFile: path.join(ctx.workDir, 'sandbox.log'),
    nodeArgs: ['--expose-gc'],
    env: { BENCH_SANDBOX_LOAD: load ? '1' : '0' },
  });
  ctx.track(child);
  try {
    await child.waitNotice((notice) => notice.notice === 'ready', 60_000);
    const info = await child.call<{ url: string; rootPublicKey: string; rootSerial: number }>('info', {}, RPC_TIMEOUT_MS);
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.rootPublicKey, 'base64');
    WA_CERT_DETAILS.SERIAL = info.rootSerial;
    process.stderr.write(`sandbox-relay: ${ctx.opts.sessions} senders, ${ctx.opts.duration} s, load mode ${load ? 'on' : 'off'}\n`);
    const figures = await measure(ctx, child, info.url);
    return {
      figures,
      notes: [
        `N real Baileys 7 sockets in the driver, each paired with its own sandbox phone, send texts to the next one's phone with ${IN_FLIGHT} in flight; relayed = the recipient phone's delivery receipt reached the sender`,
        "per message the sandbox acks, decrypts two copies (the recipient's phone and the sender's own phone, as Baileys sends both) and sends two receipts; the senders' encryption runs in the driver (driver_cpu_pct), so the driver may be the limit",
        'sandbox_capacity_per_core_per_s = 1000 / sandbox_cpu_ms_per_message: what one busy core of sandbox would relay',
        "driver_cpu_ms_per_message: the driver's CPU per relayed text, i.e. what unmodified Baileys (keys in memory, no HTTP, no store) spends to send one text and take its ack and receipts: the engine's own floor under a gateway's send",
      ],
    };
  } finally {
    await child.stop().catch(() => child.proc.kill('SIGKILL'));
    ctx.untrack(child);
  }
};
