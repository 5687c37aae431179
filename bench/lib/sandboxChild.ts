/**
 * The simulated WhatsApp network in its own process, so its CPU does not
 * count against the gateway's. In memory (no stateDir): the sandbox writes
 * its whole state file on every pre-key upload, which is quadratic in the
 * number of linked devices (see bench/README.md); the process stays up for
 * the whole bench run, so pairing and restore see the same accounts.
 * Load mode is on (`SandboxOptions.load`) unless BENCH_SANDBOX_LOAD=0 (the
 * `sandbox` scenario's `--sandbox-load off` comparison).
 * BENCH_SANDBOX_CONTENT (JSON `{contacts, groups, groupSize}`) turns on the
 * realistic accounts (`SandboxOptions.accountContent`) the `real` scenario uses.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SandboxNetwork, type AccountContentOptions } from '../../src/sandbox/index.js';
import { serveRpc } from './rpc.js';

const stateDir = process.env.BENCH_SANDBOX_STATE_DIR || undefined;
const load = process.env.BENCH_SANDBOX_LOAD !== '0';
const content = process.env.BENCH_SANDBOX_CONTENT ? (JSON.parse(process.env.BENCH_SANDBOX_CONTENT) as AccountContentOptions) : undefined;
const network = await SandboxNetwork.start({ host: '127.0.0.1', port: 0, stateDir, load, ...(content ? { accountContent: content } : {}) });
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
const cpuAtStart = process.cpuUsage();
const startedAt = Date.now();

serveRpc({
  info: () => ({ url: network.url, rootPublicKey: Buffer.from(network.rootPublicKey).toString('base64'), rootSerial: network.rootSerial }),
  scan: async (params) => {
    const { phone, qr } = params as { phone: string; qr: string };
    network.getOrCreatePhone(phone);
    const device = await network.scan(phone, qr);
    return { jid: device.jid };
  },
  /** A phone sends a text to a number or a group JID (the `real` scenario's trickle). */
  sendText: async (params) => {
    const { phone, to, text } = params as { phone: string; to: string; text: string };
    return network.conversations.sendText(phone, to, text);
  },
  /** The groups a phone is in: id and participants. */
  groupsOf: (params) => {
    const { phone } = params as { phone: string };
    return network.conversations.groupsOf(phone).map((g) => ({ id: g.id, participants: g.participants }));
  },
  /** What these phones received: message id and the epoch ms each was decrypted. */
  inbox: (params) => {
    const { phones } = params as { phones: string[] };
    return phones.flatMap((phone) => network.messages(phone).map((m) => ({ phone, id: m.id, at: Date.parse(m.receivedAt) })));
  },
  /**
   * Phones send texts (each `from` is created on first use), all at once;
   * each answer has the message id and the epoch ms just before its phone
   * sent it (failures are left out: the scenario counts what it got).
   */
  phoneSend: async (params) => {
    const { sends } = params as { sends: Array<{ from: string; to: string; text: string }> };
    return (
      await Promise.all(
        sends.map(async ({ from, to, text }) => {
          network.getOrCreatePhone(from);
          const at = Date.now();
          try {
            const { id } = await network.conversations.sendText(from, to, text);
            return { id, at };
          } catch {
            return null;
          }
        }),
      )
    ).filter((s): s is { id: string; at: number } => s !== null);
  },
  stats: () => {
    const cpu = process.cpuUsage(cpuAtStart);
    const mem = process.memoryUsage();
    return {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuSystemMs: cpu.system / 1000,
      wallMs: Date.now() - startedAt,
      connections: network.connections().length,
      eventLoopP99Ms: eld.percentile(99) / 1e6,
    };
  },
  /** Forced GC (when started with --expose-gc) so RSS can be compared. */
  gc: () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    return gc !== undefined;
  },
  resetEventLoop: () => {
    eld.reset();
    return true;
  },
  stop: async () => {
    await network.stop();
    setImmediate(() => process.exit(0));
    return true;
  },
});
process.send?.({ notice: 'ready', data: null });
