/**
 * `wagate rotate-master-key` end to end: a sandbox gateway with a linked
 * session, a session key and a webhook; the command refuses while that
 * gateway holds the store, re-encrypts everything once it is stopped, and
 * the next start with the new key restores the session without pairing
 * again, with the session key and the webhook intact. The old key no longer
 * opens the data.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PINNED_PURPOSES } from '../../src/cli/offline/rotateMasterKey.js';
import { freshSessionRow } from '../../src/core/sessions/sessionRow.js';
import { openStore, parseMasterKey } from '../../src/store/index.js';
import { rotateMasterKey } from '../../src/store/rotateMasterKey.js';
import { E2E_MASTER_KEY, GatewayClient, startE2E, type E2E } from '../support/e2e.js';
import { runCli } from './runCli.js';

const NEW_KEY = '33'.repeat(32);
const dirs: string[] = [];
let running: E2E | undefined;

afterAll(async () => {
  await running?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wagate-rotate-'));
  dirs.push(dir);
  return dir;
}

async function linkSession(client: GatewayClient, id: string, phone: string): Promise<void> {
  expect((await client.post('/api/v1/sessions', { sessionId: id })).status).toBe(201);
  await client.post(`/api/v1/sessions/${id}/connect`);
  expect((await client.post(`/sandbox/phones/${phone}/scan`, { qr: await client.qr(id) })).status).toBe(200);
  await client.waitForState(id, 'connected');
}

describe('wagate rotate-master-key', () => {
  it('WAGATE_MASTER_KEY: refuses while the gateway runs; stopped, re-encrypts; the new key restores the linked session', { timeout: 240_000 }, async () => {
    const dataDir = await tempDir();
    running = await startE2E({ dataDir, env: { WAGATE_WEBHOOK_ALLOW_PRIVATE: '1' } });
    await linkSession(running.client, 'rot', '15550000001');
    const sessionKey = (await running.client.post('/api/v1/sessions/rot/keys', { label: 'crm' })).body.data.key as string;
    expect((await running.client.post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['message.received'] })).status).toBe(201);

    const cliEnv = { DATA_DIR: dataDir, WAGATE_SANDBOX: '1', WAGATE_MASTER_KEY: E2E_MASTER_KEY, WAGATE_NEW_MASTER_KEY: NEW_KEY };
    const busy = await runCli(['rotate-master-key'], cliEnv);
    expect(busy.code).toBe(6);
    expect(busy.stderr).toContain('A running gateway has');
    expect(busy.stderr).toContain('Stop the gateway');
    // Refused means untouched: the running gateway still reads its data.
    expect((await running.client.get('/api/v1/webhooks')).status).toBe(200);

    await running.close();
    running = undefined;
    const done = await runCli(['rotate-master-key'], cliEnv);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('Re-encrypted 1 credential set(s)');
    expect(done.stdout).toContain('1 webhook secret(s)');
    expect(done.stdout).toContain('Set WAGATE_MASTER_KEY to the new key');
    // A key from the environment is the operator's to change: nothing was printed or written for it.
    expect(done.stdout).not.toContain(NEW_KEY);

    await expect(startE2E({ dataDir })).rejects.toThrow(/master key does not match/);

    running = await startE2E({ dataDir, env: { WAGATE_MASTER_KEY: NEW_KEY, WAGATE_WEBHOOK_ALLOW_PRIVATE: '1' } });
    const sse = running.client.events('/api/v1/sessions/rot/events');
    const status = await running.client.waitForState('rot', 'connected', 30_000);
    expect(status.me.phoneNumber).toBe('15550000001');
    sse.close();
    expect(sse.events.some((e) => e.type === 'auth.qr')).toBe(false);
    // API-key hashes are keyed by a secret derived from the master key: the rotation kept it.
    expect((await new GatewayClient(running.client.baseUrl, sessionKey).get('/api/v1/sessions/rot/status')).status).toBe(200);
    const hooks = await running.client.get('/api/v1/webhooks');
    expect(hooks.status).toBe(200);
    expect(hooks.body.data).toHaveLength(1);
    await running.close();
    running = undefined;
  });

  it('master.key in DATA_DIR: the file is replaced by the new key, and a start without WAGATE_MASTER_KEY restores the session', { timeout: 240_000 }, async () => {
    const dataDir = await tempDir();
    const fileEnv = { WAGATE_MASTER_KEY: '' };
    running = await startE2E({ dataDir, env: fileEnv });
    await linkSession(running.client, 'filekey', '15550000002');
    await running.close();
    running = undefined;
    const keyFile = path.join(dataDir, 'sandbox', 'master.key');
    const before = await readFile(keyFile, 'utf8');

    const done = await runCli(['rotate-master-key', '--sandbox'], { DATA_DIR: dataDir, WAGATE_MASTER_KEY: '' });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`${keyFile} now holds the new key`);
    const after = readFileSync(keyFile, 'utf8');
    expect(after.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
    expect(readdirSync(path.dirname(keyFile))).not.toContain('master.key.new');

    running = await startE2E({ dataDir, env: fileEnv });
    expect((await running.client.waitForState('filekey', 'connected', 30_000)).paired).toBe(true);
  });

  it('finishes a rotation that stopped between its commit and the rename of master.key.new', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir();
    const url = `sqlite:${path.join(dataDir, 'wagate.db')}`;
    const store = await openStore({ url, dataDir });
    await store.sessions.create(freshSessionRow('half', { displayName: null, deviceBrowser: 'Chrome' }));
    await store.close();
    const keyFile = path.join(dataDir, 'master.key');
    const oldKey = parseMasterKey(readFileSync(keyFile, 'utf8'))!;
    // What the command does up to its commit, then the machine stops.
    writeFileSync(`${keyFile}.new`, `${NEW_KEY}\n`, { mode: 0o600 });
    await rotateMasterKey({ url, currentKey: oldKey, newKey: Buffer.from(NEW_KEY, 'hex'), pinPurposes: PINNED_PURPOSES });

    const done = await runCli(['rotate-master-key'], { DATA_DIR: dataDir, WAGATE_MASTER_KEY: '' });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('Completed an interrupted rotation');
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(NEW_KEY);
    expect(readdirSync(dataDir)).not.toContain('master.key.new');
    const reopened = await openStore({ url, dataDir });
    expect((await reopened.sessions.list()).map((r) => r.id)).toEqual(['half']);
    await reopened.close();
  });

  it('pins every secret the code derives from the master key', () => {
    // A new deriveSecret purpose must join PINNED_PURPOSES, or a rotation would void what it protects.
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const src = path.resolve(import.meta.dirname, '../../src');
    const args = files(src)
      .filter((f) => !f.includes(`${path.sep}store${path.sep}`))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/deriveSecret\(([^)]*)\)/g)].map((m) => m[1]!.trim()))
      .filter((arg) => arg !== '' && !arg.includes(':') && arg !== 'purpose');
    expect(new Set(args)).toEqual(new Set(['API_KEY_HASH_PURPOSE', 'TOKEN_SIGNING_PURPOSE', 'DASHBOARD_CSRF_PURPOSE', 'DASHBOARD_OTP_PURPOSE']));
    expect([...PINNED_PURPOSES].sort()).toEqual(['api-key-hash', 'dashboard-csrf', 'dashboard-otp', 'gomulti-jwt']);
  });
});
