/**
 * cluster: `--nodes` gateway processes (default 3) on one PostgreSQL (a
 * fresh schema of the local `test` database) and one standalone sandbox
 * network process. `--sessions` sessions (default 10; the issue's figure is
 * 1000) are created and paired through the nodes in turn, then:
 *
 * - sessions_per_node: how the balancer spread them (owner per session);
 * - req_per_s: GET status of random sessions through every node in turn
 *   (32 in flight, `--duration` seconds, default 5) — forwarded or local;
 * - drain_s: SIGTERM of one node → every one of its sessions connected from
 *   the others (the drain: closed, released, claimed, reconnected paced);
 * - restart_s, rejoin_s: that node started again with the same id, until it
 *   listens; from then until it holds its share again (paced hand-overs
 *   from the others, a round per heartbeat) and every session is connected;
 * - failover_s: kill -9 of the node with the most sessions → every one of
 *   its sessions connected from another node (lease 15 s included);
 * - double_connections: logins the sandbox saw while the device was still
 *   connected elsewhere, plus the 440s it sent (must be 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { DEFAULT_LEASE_MS } from '../../src/core/cluster/index.js';
import { GATEWAY_NODE_ARGS } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import type { Scenario } from './types.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN_KEY = 'wg_bench_cluster_admin_key_0123456789';
const MASTER_KEY = '44'.repeat(32);

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${out.slice(-2000)}`)), 120_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => reject(new Error(`${what} exited:\n${out.slice(-2000)}`)));
  });
}

/** WAGATE_CLUSTER_LEASE_MS is left at its default. */
const LEASE_MS = DEFAULT_LEASE_MS;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const clusterScenario: Scenario = async (ctx) => {
  const sessions = ctx.opts.sessions;
  const nodeCount = Math.max(2, ctx.opts.nodes);
  const seconds = ctx.opts.duration === 60 ? 5 : ctx.opts.duration;
  const children: ChildProcess[] = [];
  const base = 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `wagate_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const dbUrl = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  try {
    const sandbox = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', '--port', '0', '--control-port', '0', '--log-level', 'warn', '--idle-timeout-ms', '45000'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(sandbox);
    const ready = JSON.parse((await waitForLine(sandbox, /SANDBOX_READY (\{.*\})/, 'sandbox'))[1]!) as { url: string; controlUrl: string; rootPublicKey: string };
    const control = async (method: string, route: string, body?: unknown): Promise<any> => {
      const res = await fetch(ready.controlUrl + route, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return (await res.json().catch(() => ({}))) as any;
    };

    const nodes: Array<{ id: string; child: ChildProcess; url: string }> = [];
    const startNode = async (id: string): Promise<{ id: string; child: ChildProcess; url: string }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', ...GATEWAY_NODE_ARGS, 'src/main.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: mkdtempSync(path.join(ctx.workDir, `node-${id}-`)),
          DATABASE_URL: dbUrl,
          WAGATE_NODE_ID: id,
          WAGATE_API_KEY: ADMIN_KEY,
          WAGATE_MASTER_KEY: MASTER_KEY,
          WAGATE_WA_URL: ready.url,
          WAGATE_SANDBOX_ROOT_KEY: ready.rootPublicKey,
          WAGATE_MAX_CONNECTIONS_PER_ADDRESS: '0',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const port = (await waitForLine(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/, `node ${id}`))[1]!;
      return { id, child, url: `http://127.0.0.1:${port}` };
    };
    for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(`n${i + 1}`));
    const api = async (nodeUrl: string, method: string, route: string, body?: unknown): Promise<any> => {
      const res = await fetch(nodeUrl + route, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
    };
    const owners = async (): Promise<Map<string, { owner: string | null; state: string }>> => {
      const { rows } = await admin.query(`SELECT id, owner_node, state FROM "${schema}".sessions`);
      return new Map(rows.map((r: { id: string; owner_node: string | null; state: string }) => [r.id, { owner: r.owner_node, state: r.state }]));
    };

    // Pair every session through the nodes in turn (a few at a time).
    const ids = Array.from({ length: sessions }, (_, i) => `c${i}`);
    const pairOne = async (id: string, i: number): Promise<void> => {
      const node = nodes[i % nodes.length]!;
      const phone = `4915112${String(400000 + i).padStart(6, '0')}`;
      await control('POST', '/phones', { phoneNumber: phone });
      await api(node.url, 'POST', '/api/v1/sessions', { sessionId: id });
      await api(node.url, 'POST', `/api/v1/sessions/${id}/connect`);
      for (let tries = 0; tries < 300; tries++) {
        const qr = await api(node.url, 'GET', `/api/v1/sessions/${id}/auth/qr`);
        if (qr.status === 200) {
          await control('POST', `/phones/${phone}/scan`, { qr: qr.body.data.qr });
          return;
        }
        await sleep(100);
      }
      throw new Error(`no QR for ${id}`);
    };
    for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map((id, j) => pairOne(id, i + j)));
    const allConnected = async (timeoutMs: number, ok: (o: { owner: string | null; state: string }) => boolean = () => true): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const map = await owners();
        if ([...map.values()].every((o) => o.state === 'connected' && ok(o))) return;
        if (Date.now() > deadline) throw new Error('not every session connected in time');
        await sleep(200);
      }
    };
    await allConnected(300_000);
    // Let the balancer spread them (a round every lease/4).
    await sleep(10_000);
    await allConnected(120_000);
    const perNode: Record<string, number> = {};
    for (const o of (await owners()).values()) perNode[o.owner ?? 'none'] = (perNode[o.owner ?? 'none'] ?? 0) + 1;

    // API throughput through every node in turn.
    let done = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        let k = w;
        while (performance.now() < until) {
          const node = nodes[k % nodes.length]!;
          await api(node.url, 'GET', `/api/v1/sessions/${ids[k % ids.length]}/status`);
          done += 1;
          k += 7;
        }
      }),
    );
    const reqPerS = done / seconds;

    // Drain one node (SIGTERM), then start it again with the same id: a rolling restart's one step.
    const drained = nodes[0]!;
    const drainedHeld = perNode[drained.id] ?? 0;
    const exited = new Promise<number | null>((resolve) => drained.child.once('exit', (code) => resolve(code)));
    const termAt = performance.now();
    drained.child.kill('SIGTERM');
    const drainExit = await exited;
    await allConnected(120_000, (o) => o.owner !== drained.id);
    const drainS = (performance.now() - termAt) / 1000;
    const restartAt = performance.now();
    nodes[0] = await startNode(drained.id);
    const listeningAt = performance.now();
    const fairShare = Math.floor(sessions / nodes.length);
    for (const deadline = Date.now() + 180_000; ; ) {
      const map = await owners();
      const back = [...map.values()].filter((o) => o.owner === drained.id).length;
      if (back >= fairShare && [...map.values()].every((o) => o.state === 'connected')) break;
      if (Date.now() > deadline) throw new Error(`${drained.id} did not take its share back (holds ${back} of ${fairShare})`);
      await sleep(200);
    }
    const restartS = (listeningAt - restartAt) / 1000;
    const rejoinS = (performance.now() - listeningAt) / 1000;
    const afterRejoin: Record<string, number> = {};
    for (const o of (await owners()).values()) afterRejoin[o.owner ?? 'none'] = (afterRejoin[o.owner ?? 'none'] ?? 0) + 1;

    // Kill the busiest node; time until every session is connected elsewhere.
    const [victim] = Object.entries(afterRejoin).sort((a, b) => b[1] - a[1])[0]!;
    const target = nodes.find((n) => n.id === victim)!;
    const { rows: beat } = await admin.query(`SELECT heartbeat_at FROM "${schema}".nodes WHERE id = $1`, [victim]);
    const killedAt = performance.now();
    const killedAtMs = Date.now();
    target.child.kill('SIGKILL');
    await allConnected(120_000, (o) => o.owner !== victim);
    const failoverS = (performance.now() - killedAt) / 1000;
    // The part after the lease ran out (the database's clock and this one are the same machine's).
    const leaseEnd = Number(beat[0]?.heartbeat_at ?? killedAtMs) + LEASE_MS;
    const afterLeaseS = (Date.now() - Math.max(leaseEnd, killedAtMs)) / 1000;
    const logins = (await control('GET', '/stats/logins')).data as { concurrentLogins: number; conflictsSent: number };

    return {
      figures: {
        nodes: nodeCount,
        sessions,
        sessions_per_node: JSON.stringify(perNode),
        req_per_s: round(reqPerS, 0),
        failover_s: round(failoverS, 2),
        failover_after_lease_s: round(afterLeaseS, 2),
        failover_sessions: afterRejoin[victim] ?? 0,
        drain_s: round(drainS, 2),
        drain_sessions: drainedHeld,
        drain_exit_code: drainExit ?? -1,
        restart_s: round(restartS, 2),
        rejoin_s: round(rejoinS, 2),
        sessions_after_rejoin: JSON.stringify(afterRejoin),
        double_connections: logins.concurrentLogins + logins.conflictsSent,
      },
      notes: [
        `drained ${drained.id} (SIGTERM) holding ${drainedHeld} sessions, then started it again with the same id`,
        `killed ${victim} (kill -9) holding ${afterRejoin[victim]} sessions; the lease (15 s, the default) is part of failover_s, not of failover_after_lease_s`,
      ],
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
  }
};
