/**
 * The webhook pipeline under measurement, in its own process: the real core
 * and SQLite store (no WhatsApp engine: events are emitted on the bus, as
 * the sessions' code does), one webhook to the driver's receiver. Each
 * event carries its emit time (`t`, high-resolution epoch ms) so the
 * receiver can measure event → delivered.
 */
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pino from 'pino';
import { ensureAdminKey } from '../../src/core/apiKeys.js';
import { createCore } from '../../src/core/index.js';
import type { Engine } from '../../src/engine/types.js';
import { openStore } from '../../src/store/index.js';
import { serveRpc } from './rpc.js';

const dataDir = process.env.BENCH_DATA_DIR!;
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const store = await openStore({ url: `sqlite:${path.join(dataDir, 'wagate.db')}`, dataDir, masterKey: '33'.repeat(32) }, logger);
await ensureAdminKey(store, 'wg_bench_webhooks_admin_key_0000');
// No session is ever connected here; an engine that is never called.
const engine: Engine = {
  name: 'none',
  connect: () => Promise.reject(new Error('the webhook benchmark connects no session')),
  newMessageId: () => {
    throw new Error('the webhook benchmark sends no message');
  },
};
const core = await createCore({ store, engine, logger, sandbox: false, webhooks: { net: { allowPrivate: true } } });
const eld = monitorEventLoopDelay({ resolution: 5 });

const now = (): number => performance.timeOrigin + performance.now();

serveRpc({
  async subscribe(params) {
    const { url } = params as { url: string };
    await core.webhooks.create({ url, events: ['connection.state'] }, undefined);
    return {};
  },
  /** Emit n events over `sessions` sessions as fast as the loop allows (chunks, so the dispatcher gets turns). */
  async burst(params) {
    const { n, sessions } = params as { n: number; sessions: number };
    const cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      core.events.emit('connection.state', `s${i % sessions}`, { i, t: now() });
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    await core.events.flush();
    const used = process.cpuUsage(cpu);
    return { emitCpuMs: (used.user + used.system) / 1000 };
  },
  /** Emit `perSecond` events for `seconds`, every 10 ms, spread over `sessions` sessions. */
  async rate(params) {
    const { perSecond, seconds, sessions } = params as { perSecond: number; seconds: number; sessions: number };
    eld.reset();
    eld.enable();
    const total = perSecond * seconds;
    const start = now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - start) / 1000) * perSecond));
      for (; sent < due; sent++) core.events.emit('connection.state', `s${sent % sessions}`, { i: sent, t: now() });
      await new Promise((r) => setTimeout(r, 5));
    }
    eld.disable();
    return { sent, loopP99Ms: eld.percentile(99) / 1e6 };
  },
  async stats() {
    const s = await core.webhooks.stats();
    const usage = process.cpuUsage();
    return { ...s, cpuMs: (usage.user + usage.system) / 1000, rss: process.memoryUsage().rss };
  },
  async stop() {
    await core.webhooks.stop();
    await core.sessions.shutdown();
    await store.close();
    setImmediate(() => process.exit(0));
    return {};
  },
});
