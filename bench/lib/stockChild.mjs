// The baseline: one session the way it is commonly run — its own plain Node
// process (no TypeScript loader), makeWASocket with useMultiFileAuthState,
// stock settings, the stock pure-JS curve, reconnect on close unless logged
// out. The only changes are what talking to the sandbox needs: its socket
// URL and trusting its certificate root (WA_CERT_DETAILS, as sandbox mode does).
// Plain JavaScript on purpose: a tsx loader would add its own memory to every process.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import makeWASocket, { DisconnectReason, useMultiFileAuthState, WA_CERT_DETAILS } from 'baileys';
import pino from 'pino';
import { notify, serveRpc, stopSockets } from './childRpc.mjs';

const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(process.env.BENCH_SANDBOX_ROOT, 'base64');
WA_CERT_DETAILS.SERIAL = Number(process.env.BENCH_SANDBOX_SERIAL ?? '0');
const logger = pino({ level: 'silent' });

let sock = null;
let stopping = false;

async function connect() {
  const { state, saveCreds } = await useMultiFileAuthState(process.env.BENCH_AUTH_DIR);
  const socket = makeWASocket({ auth: state, logger, waWebSocketUrl: process.env.BENCH_WA_URL });
  sock = socket;
  socket.ev.on('creds.update', saveCreds);
  socket.ev.on('connection.update', (update) => {
    if (update.qr) notify('qr', { qr: update.qr, at: Date.now() });
    if (update.connection === 'open') notify('open', { at: Date.now() });
    if (update.connection === 'close') {
      const code = update.lastDisconnect?.error?.output?.statusCode ?? 0;
      notify('close', { code, at: Date.now() });
      if (!stopping && code !== DisconnectReason.loggedOut) void connect();
    }
  });
}

const handlers = {
  stats: async () => {
    globalThis.gc?.();
    const mem = process.memoryUsage();
    return { rss: mem.rss, heapUsed: mem.heapUsed, eventLoopP99Ms: eld.percentile(99) / 1e6, eventLoopMaxMs: eld.max / 1e6 };
  },
  stop: async () => {
    stopping = true;
    return stopSockets([sock], 300);
  },
};
serveRpc(handlers);
notify('started', { at: Date.now() });
await connect();
