/**
 * kill -9 matrix: the gateway as its own process, the simulated WhatsApp
 * network in this one (so it outlives the gateway, as WhatsApp does), the
 * gateway killed with SIGKILL at the moments that write the most state:
 * right after a QR scan, while a pairing code is being typed, around the
 * 515 restart that follows pairing, during the restore of 50 sessions, and
 * during a logout. After the last start every session must be linked and
 * connected, or cleanly unlinked: never a ghost (connected or paired but
 * unable to reconnect, credentials without a session, stuck connecting).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { sleep, spawnGateway, type SpawnedGateway } from '../support/e2e.js';

// 50 in the matrix (KILL_MATRIX_SESSIONS=50); 20 keeps npm test's share of this loaded 2-core machine bounded.
const RESTORE_SESSIONS = Number(process.env.KILL_MATRIX_SESSIONS ?? 20);
const SETTLED = new Set(['connected', 'logged_out', 'created', 'inactive']);

let dataDir: string;
let network: SandboxNetwork;
let gw: SpawnedGateway | undefined;
let kills = 0;

async function start(): Promise<SpawnedGateway> {
  gw = await spawnGateway(
    dataDir,
    {
      WAGATE_WA_URL: network.url,
      WAGATE_SANDBOX_ROOT_KEY: Buffer.from(network.rootPublicKey).toString('base64'),
      WAGATE_RESTORE_CONCURRENCY: '8',
    },
    { sandbox: false },
  );
  return gw;
}

async function kill(): Promise<void> {
  await gw!.kill();
  kills += 1;
}

let phoneSeq = 0;
function nextPhone(): string {
  phoneSeq += 1;
  // A real-format mobile number: the gateway runs outside sandbox mode, so numbers are checked as for WhatsApp.
  return `49151123${String(phoneSeq).padStart(5, '0')}`;
}

async function createAndConnect(id: string): Promise<void> {
  expect((await gw!.client.post('/api/v1/sessions', { sessionId: id })).status).toBe(201);
  expect((await gw!.client.post(`/api/v1/sessions/${id}/connect`)).status).toBeLessThan(300);
}

/** Scan the session's QR with a fresh simulated phone; resolves when the scan was accepted. */
async function scan(id: string): Promise<string> {
  const phone = nextPhone();
  network.getOrCreatePhone(phone);
  await network.scan(phone, await gw!.client.qr(id));
  return phone;
}

async function pairByQr(id: string): Promise<string> {
  await createAndConnect(id);
  const phone = await scan(id);
  await gw!.client.waitForState(id, 'connected', 60_000);
  return phone;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-killmatrix-'));
  network = await SandboxNetwork.start({ host: '127.0.0.1', port: 0, stateDir: path.join(dataDir, 'sandbox-state') });
});
afterAll(async () => {
  await gw?.kill().catch(() => undefined);
  await network?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('kill -9 matrix', () => {
  it('every session ends linked or cleanly unlinked after SIGKILL at each point', async () => {
    const points: string[] = [];
    await start();

    // 1. Right after a QR scan was accepted.
    await createAndConnect('k-scan');
    await scan('k-scan');
    await kill();
    points.push('after scan');

    // 2. While the pairing code is being typed on the phone.
    await start();
    await createAndConnect('k-code');
    const codePhone = nextPhone();
    network.getOrCreatePhone(codePhone);
    const code = await gw!.client.post('/api/v1/sessions/k-code/auth/pairing-code', { phoneNumber: codePhone });
    expect(code.status, JSON.stringify(code.body)).toBe(200);
    const typing = network.enterCode(codePhone, code.body.data.code).catch(() => undefined);
    await sleep(20);
    await kill();
    await typing;
    points.push('during code entry');

    // 3. Around the 515 restart that follows a scan (paired, reconnecting).
    await start();
    await createAndConnect('k-515');
    await scan('k-515');
    await gw!.client.waitFor('k-515', (s) => s.paired === true, 30_000);
    await kill();
    points.push('during the 515 restart');

    // 4. During a logout.
    await start();
    await pairByQr('k-logout');
    const logout = gw!.client.post('/api/v1/sessions/k-logout/logout').catch(() => undefined);
    await sleep(30);
    await kill();
    await logout;
    points.push('during logout');

    // 5. During the restore of many paired sessions.
    await start();
    const many = Array.from({ length: RESTORE_SESSIONS }, (_, i) => `k-r${i}`);
    for (let i = 0; i < many.length; i += 10) await Promise.all(many.slice(i, i + 10).map((id) => pairByQr(id)));
    await gw!.stop();
    await start();
    await sleep(300);
    await kill();
    points.push(`during restore of ${RESTORE_SESSIONS}`);

    // The last start: wait for every session to settle, then look for ghosts.
    await start();
    const all = ['k-scan', 'k-code', 'k-515', 'k-logout', ...many];
    const deadline = Date.now() + 90_000;
    let states: Record<string, { state: string; paired: boolean }> = {};
    for (;;) {
      states = {};
      for (const id of all) states[id] = await gw!.client.status(id);
      const unsettled = Object.entries(states).filter(([, s]) => !SETTLED.has(s.state) || (s.paired && s.state !== 'connected'));
      if (unsettled.length === 0 || Date.now() > deadline) break;
      await sleep(500);
    }
    const ghosts: string[] = [];
    for (const [id, s] of Object.entries(states)) {
      if (!SETTLED.has(s.state)) ghosts.push(`${id}: stuck ${s.state}`);
      else if (s.paired && s.state !== 'connected') ghosts.push(`${id}: paired but ${s.state}`);
      else if (!s.paired && s.state === 'connected') ghosts.push(`${id}: connected but not paired`);
    }
    // Every restored session came back (none lost).
    for (const id of many) expect(states[id]?.state, id).toBe('connected');
    // A session left unlinked can link again (no leftovers in its way).
    for (const [id, s] of Object.entries(states)) {
      if (s.paired) continue;
      await gw!.client.post(`/api/v1/sessions/${id}/connect`);
      await scan(id);
      await gw!.client.waitForState(id, 'connected', 60_000);
    }
    // A linked session reconnects with its stored credentials.
    await gw!.client.post('/api/v1/sessions/k-scan/disconnect');
    await gw!.client.post('/api/v1/sessions/k-scan/connect');
    await gw!.client.waitForState('k-scan', 'connected', 30_000);
    await gw!.stop();
    gw = undefined;

    // No credentials without a session, and no linked session without credentials.
    const db = new Database(path.join(dataDir, 'wagate.db'), { readonly: true });
    try {
      const sessions = new Set((db.prepare('SELECT id FROM sessions').all() as Array<{ id: string }>).map((r) => r.id));
      const orphans = [
        ...(db.prepare('SELECT DISTINCT session_id AS id FROM credentials').all() as Array<{ id: string }>),
        ...(db.prepare('SELECT DISTINCT session_id AS id FROM signal_keys').all() as Array<{ id: string }>),
      ].filter((r) => !sessions.has(r.id));
      expect(orphans).toEqual([]);
      const linkedWithoutCreds = db
        .prepare('SELECT id FROM sessions WHERE me_jid IS NOT NULL AND id NOT IN (SELECT session_id FROM credentials)')
        .all();
      expect(linkedWithoutCreds).toEqual([]);
    } finally {
      db.close();
    }
    process.stdout.write(`kill matrix: ${kills} kills at ${points.join('; ')}; states ${JSON.stringify(Object.fromEntries(Object.entries(states).filter(([id]) => !id.startsWith('k-r'))))}\n`);
    expect(ghosts).toEqual([]);
  }, 600_000);
});
