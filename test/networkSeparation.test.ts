/**
 * Sandbox data kept apart from real WhatsApp data: sandbox mode has its own
 * folder, and a store records the network it belongs to so a start on the
 * other network is refused (unless WAGATE_ALLOW_NETWORK_SWITCH=1).
 */
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NETWORK_SETTING, openStore } from '../src/store/index.js';
import { E2E_MASTER_KEY, startE2E, type E2E } from './support/e2e.js';
import { silentLogger } from './support/harness.js';
import { sessionRow } from './store/targets.js';

/** Real-WhatsApp mode pointed at a closed loopback port: no test ever reaches WhatsApp. */
const REAL = { WAGATE_SANDBOX: '0', WAGATE_WA_URL: 'ws://127.0.0.1:9/ws/chat' };
const SANDBOX = { WAGATE_SANDBOX: '1' };

let dir: string;
const running: E2E[] = [];

async function start(env: Record<string, string>): Promise<E2E> {
  const e2e = await startE2E({ dataDir: dir, env });
  running.push(e2e);
  return e2e;
}

async function refusal(env: Record<string, string>): Promise<Error & { code?: string }> {
  try {
    await start(env);
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the start to be refused');
}

async function sessionIds(e2e: E2E): Promise<string[]> {
  const res = await e2e.client.get('/api/v1/sessions');
  return (res.body.data as Array<{ sessionId: string }>).map((s) => s.sessionId);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wagate-net-'));
});
afterEach(async () => {
  for (const e2e of running.splice(0)) await e2e.close();
  await rm(dir, { recursive: true, force: true });
});

describe('sandbox and WhatsApp data', () => {
  it('live in different folders of DATA_DIR: a plain start after a sandbox run does not see sandbox sessions', async () => {
    const sandbox = await start(SANDBOX);
    await sandbox.client.post('/api/v1/sessions', { sessionId: 'simulated' });
    expect(await sessionIds(sandbox)).toEqual(['simulated']);
    await sandbox.close();
    running.pop();
    expect(fs.existsSync(path.join(dir, 'sandbox', 'wagate.db'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'sandbox', 'network', 'sandbox-state.json'))).toBe(true);

    const real = await start(REAL);
    expect(await sessionIds(real)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'wagate.db'))).toBe(true);
  });

  it('a WhatsApp start on a database sandbox mode wrote is refused, says why and what to do, and changes nothing', async () => {
    const shared = { DATABASE_URL: `sqlite:${path.join(dir, 'shared.db')}` };
    const sandbox = await start({ ...SANDBOX, ...shared });
    await sandbox.client.post('/api/v1/sessions', { sessionId: 'simulated' });
    await sandbox.close();
    running.pop();

    const err = await refusal({ ...REAL, ...shared });
    expect(err.code).toBe('NETWORK_MISMATCH');
    expect(err.message).toContain(path.join(dir, 'shared.db'));
    expect(err.message).toContain('written in sandbox mode');
    expect(err.message).toContain('WAGATE_ALLOW_NETWORK_SWITCH=1');

    // The sandbox still starts on it, with its session.
    const again = await start({ ...SANDBOX, ...shared });
    expect(await sessionIds(again)).toEqual(['simulated']);
    await again.close();
    running.pop();

    // The operator says so: the data now belongs to WhatsApp, and sandbox mode is refused in turn.
    const switched = await start({ ...REAL, ...shared, WAGATE_ALLOW_NETWORK_SWITCH: '1' });
    expect(await sessionIds(switched)).toEqual(['simulated']);
    await switched.close();
    running.pop();
    const back = await refusal({ ...SANDBOX, ...shared });
    expect(back.code).toBe('NETWORK_MISMATCH');
    expect(back.message).toContain('real WhatsApp sessions');
  });

  it('data an older version wrote in sandbox mode (network state beside the database, no record) is refused too', async () => {
    const store = await openStore({ url: `sqlite:${path.join(dir, 'wagate.db')}`, dataDir: dir, masterKey: E2E_MASTER_KEY }, silentLogger);
    await store.sessions.create(sessionRow('old-sandbox'));
    await store.settings.delete(NETWORK_SETTING);
    await store.close();
    fs.mkdirSync(path.join(dir, 'sandbox'));
    fs.writeFileSync(path.join(dir, 'sandbox', 'sandbox-state.json'), '{}');

    const err = await refusal(REAL);
    expect(err.code).toBe('NETWORK_MISMATCH');

    const allowed = await start({ ...REAL, WAGATE_ALLOW_NETWORK_SWITCH: '1' });
    expect(await sessionIds(allowed)).toEqual(['old-sandbox']);
  });

  it('a fresh data dir is claimed by the first start', async () => {
    const real = await start(REAL);
    expect(await real.gateway.store.settings.get(NETWORK_SETTING)).toBe('whatsapp');
  });
});
