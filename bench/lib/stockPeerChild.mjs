// The fair peer: N sessions the way a multi-session gateway built on the
// stock engine runs them (Evolution API: every instance a makeWASocket in one
// Node process). One plain Node process (no TypeScript loader), per session
// makeWASocket with useMultiFileAuthState in its own folder, the engine's
// default caches, the stock pure-JS curve, no levers; reconnect on close
// unless logged out. The only changes are what the sandbox needs: its socket
// URL and trusting its certificate root. A bare node:http server answers
// GET /status/<n> with the socket's state (no framework, no auth: a floor
// for what such a peer's status route costs).
import { createServer } from 'node:http';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import makeWASocket, { DisconnectReason, useMultiFileAuthState, WA_CERT_DETAILS } from 'baileys';
import pino from 'pino';
import { notify, serveRpc, stopSockets } from './childRpc.mjs';

const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(process.env.BENCH_SANDBOX_ROOT, 'base64');
WA_CERT_DETAILS.SERIAL = Number(process.env.BENCH_SANDBOX_SERIAL ?? '0');
const logger = pino({ level: 'silent' });
const authRoot = process.env.BENCH_AUTH_DIR;

/** index → { sock, state: 'connecting' | 'open' | 'close' } */
const sessions = new Map();
let stopping = false;

async function connect(i) {
  const { state, saveCreds } = await useMultiFileAuthState(path.join(authRoot, `session-${i}`));
  const sock = makeWASocket({ auth: state, logger, waWebSocketUrl: process.env.BENCH_WA_URL });
  const entry = { sock, state: 'connecting' };
  sessions.set(i, entry);
  sock.ev.on('creds.update', saveCreds);
  sock.ev.on('connection.update', (update) => {
    if (update.qr) notify('qr', { i, qr: update.qr, at: Date.now() });
    if (update.connection === 'open') {
      entry.state = 'open';
      notify('open', { i, at: Date.now() });
    }
    if (update.connection === 'close') {
      entry.state = 'close';
      const code = update.lastDisconnect?.error?.output?.statusCode ?? 0;
      notify('close', { i, code, at: Date.now() });
      if (!stopping && code !== DisconnectReason.loggedOut) void connect(i);
    }
  });
}

const server = createServer((req, res) => {
  const m = /^\/status\/(\d+)$/.exec(req.url ?? '');
  const entry = m ? sessions.get(Number(m[1])) : undefined;
  if (!entry) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ session: m[1], state: entry.state, jid: entry.sock.user?.id ?? null }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const handlers = {
  info: async () => ({ port: server.address().port, pid: process.pid }),
  /** Opens sessions from..from+count-1 (all at once), as a peer does on start. */
  start: async ({ from, count }) => {
    for (let i = from; i < from + count; i++) void connect(i);
    return true;
  },
  stats: async () => {
    for (let k = 0; k < 3; k++) globalThis.gc?.();
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      cpuMs: (cpu.user + cpu.system) / 1000,
      eventLoopP99Ms: eld.percentile(99) / 1e6,
      eventLoopMaxMs: eld.max / 1e6,
      open: [...sessions.values()].filter((s) => s.state === 'open').length,
    };
  },
  /** Session i sends a text to a phone number (digits); answers with the message id once the server took it. */
  send: async ({ i, to, text }) => {
    const entry = sessions.get(i);
    if (!entry || entry.state !== 'open') return null;
    const message = await entry.sock.sendMessage(`${to}@s.whatsapp.net`, { text });
    return message?.key?.id ?? null;
  },
  resetEventLoop: async () => {
    eld.reset();
    return true;
  },
  stop: async () => {
    stopping = true;
    return stopSockets([...sessions.values()].map((s) => s.sock), 500);
  },
};
serveRpc(handlers);
notify('ready', { at: Date.now() });
