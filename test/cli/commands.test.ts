/**
 * The command line end to end: a sandbox gateway started with `wagate
 * sandbox` (its own process), then each command run as `node bin/wagate.js …`
 * against it over HTTP, checked by what it prints, its exit code and what
 * the gateway then holds.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ADMIN_KEY, GatewayClient, spawnGateway, type SpawnedGateway } from '../support/e2e.js';
import { runCli, startCli } from './runCli.js';

let dataDir: string;
let gateway: SpawnedGateway;
let env: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-cli-'));
  gateway = await spawnGateway(dataDir, {}, { argv: ['bin/wagate.js', 'sandbox'] });
  env = { WAGATE_URL: gateway.client.baseUrl, WAGATE_API_KEY: E2E_ADMIN_KEY };
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A loopback port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('wagate sandbox', () => {
  it('runs the gateway in sandbox mode, as npm run sandbox does', () => {
    expect(gateway.output()).toContain('SANDBOX MODE');
  });
});

describe('wagate sessions', () => {
  it('create, ls, connect, disconnect, delete', { timeout: 180_000 }, async () => {
    const created = await runCli(['sessions', 'create', 'cli-a', '--name', 'Front desk'], env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created session cli-a');

    const ls = await runCli(['sessions', 'ls'], env);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^SESSION\s+STATE\s+PHONE\s+NAME$/m);
    expect(ls.stdout).toMatch(/^cli-a\s+created\s+-\s+Front desk$/m);

    const connect = await runCli(['sessions', 'connect', 'cli-a'], env);
    expect(connect.code).toBe(0);
    expect(connect.stdout).toContain('Connecting: cli-a');
    expect((await gateway.client.status('cli-a')).active).toBe(true);

    const json = await runCli(['--json', 'sessions', 'ls'], env);
    const list = JSON.parse(json.stdout) as Array<{ sessionId: string; displayName: string }>;
    expect(list.find((s) => s.sessionId === 'cli-a')?.displayName).toBe('Front desk');

    const disconnect = await runCli(['sessions', 'disconnect', 'cli-a'], env);
    expect(disconnect.code).toBe(0);
    expect((await gateway.client.status('cli-a')).active).toBe(false);

    const deleted = await runCli(['sessions', 'delete', 'cli-a'], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('Deleted session cli-a');
    expect((await gateway.client.get('/api/v1/sessions/cli-a')).status).toBe(404);
  });

  it('an unknown session: exit 1 with the gateway\'s message', { timeout: 120_000 }, async () => {
    const res = await runCli(['sessions', 'connect', 'no-such-session'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('SESSION_NOT_FOUND');
  });

  it('a wrong key: exit 4 and what to pass', { timeout: 120_000 }, async () => {
    const res = await runCli(['sessions', 'ls'], { ...env, WAGATE_API_KEY: 'wg_not_the_key_at_all_000000' });
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('refused the API key');
    expect(res.stderr).toContain('WAGATE_API_KEY');
  });

  it('no gateway at the URL: exit 3 and how to start one', { timeout: 120_000 }, async () => {
    const port = await closedPort();
    const res = await runCli(['sessions', 'ls'], { ...env, WAGATE_URL: `http://127.0.0.1:${port}` });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`No gateway answers at http://127.0.0.1:${port} (connection refused)`);
    expect(res.stderr).toContain('wagate start');
  });

  it('a bad command line: exit 2 with usage', { timeout: 120_000 }, async () => {
    const res = await runCli(['sessions', 'connect'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("missing required argument 'session'");
  });
});

describe('wagate pair', () => {
  it('--phone shows a pairing code; entered on the sandbox phone, the session links and pair exits 0', { timeout: 120_000 }, async () => {
    expect((await runCli(['sessions', 'create', 'cli-pair'], env)).code).toBe(0);
    const phone = '15551234567';
    const pair = startCli(['pair', 'cli-pair', '--phone', phone], env);
    const [, code] = await pair.waitFor(/Pairing code: ([A-Z0-9]{4}-[A-Z0-9]{4})/);
    const entered = await gateway.client.post(`/sandbox/phones/${phone}/link-code`, { code });
    expect(entered.status).toBe(200);
    const result = await pair.exited;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Session cli-pair is linked to +${phone} and connected.`);
    const status = await gateway.client.status('cli-pair');
    expect(status.state).toBe('connected');
    expect(status.me.phoneNumber).toBe(phone);

    const again = await runCli(['pair', 'cli-pair'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already linked');
  });

  it('draws the QR in the terminal; scanning it links the session', { timeout: 120_000 }, async () => {
    expect((await runCli(['sessions', 'create', 'cli-qr'], env)).code).toBe(0);
    const pair = startCli(['pair', 'cli-qr'], env);
    await pair.waitFor(/Scan this QR/);
    // The drawing is the payload the API serves, in half-block characters.
    expect(pair.stdout()).toMatch(/[▀▄█]/);
    const qr = await gateway.client.qr('cli-qr');
    expect((await gateway.client.post('/sandbox/phones/15550000001/scan', { qr })).status).toBe(200);
    const result = await pair.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Session cli-qr is linked to +15550000001 and connected.');
  });

  it('gives up with exit 5 after --timeout', { timeout: 120_000 }, async () => {
    expect((await runCli(['sessions', 'create', 'cli-slow'], env)).code).toBe(0);
    const res = await runCli(['pair', 'cli-slow', '--timeout', '1'], env);
    expect(res.code).toBe(5);
    expect(res.stderr).toContain('was not linked within 1 s');
  });
});

describe('wagate events', () => {
  it('prints each event as it happens, and replays from --since as JSON', { timeout: 120_000 }, async () => {
    const events = startCli(['events'], env);
    await events.waitFor(/Following events/, 60_000, 'stderr');
    expect((await gateway.client.post('/api/v1/sessions', { sessionId: 'cli-ev' })).status).toBe(201);
    const [line] = await events.waitFor(/^.*cli-ev\s+session\.created.*$/m);
    const id = Number(/#(\d+)/.exec(line)![1]);
    await events.stop();

    // Resume after an earlier id: the gateway replays what came after it.
    const replay = startCli(['--json', 'events', 'cli-ev', '--since', String(id - 1)], env);
    const [json] = await replay.waitFor(/^\{.*"type":"session\.created".*\}$/m);
    await replay.stop();
    const event = JSON.parse(json) as { id: number; sessionId: string };
    expect(event).toMatchObject({ id, sessionId: 'cli-ev' });
  });
});

describe('wagate keys', () => {
  it('create, ls, rotate and revoke a session key', { timeout: 180_000 }, async () => {
    expect((await runCli(['sessions', 'create', 'cli-keys'], env)).code).toBe(0);
    const created = await runCli(['keys', 'create', 'cli-keys', '--label', 'crm'], env);
    expect(created.code).toBe(0);
    const keyId = /Created key (\S+) for session cli-keys \(crm\)/.exec(created.stdout)![1]!;
    const key = /^ {2}(wgs_\S+)$/m.exec(created.stdout)![1]!;
    const asKey = new GatewayClient(gateway.client.baseUrl, key);
    expect((await asKey.get('/api/v1/sessions/cli-keys/status')).status).toBe(200);

    const ls = await runCli(['keys', 'ls', 'cli-keys'], env);
    expect(ls.stdout).toMatch(new RegExp(`^${keyId}\\s+crm\\s+`, 'm'));

    const rotated = await runCli(['keys', 'rotate', 'cli-keys', keyId], env);
    expect(rotated.code).toBe(0);
    const newId = /Replaced \S+ with key (\S+) for session cli-keys \(crm\)/.exec(rotated.stdout)![1]!;
    const newKey = /^ {2}(wgs_\S+)$/m.exec(rotated.stdout)![1]!;
    expect((await asKey.get('/api/v1/sessions/cli-keys/status')).status).toBe(401);
    const asNew = new GatewayClient(gateway.client.baseUrl, newKey);
    expect((await asNew.get('/api/v1/sessions/cli-keys/status')).status).toBe(200);

    const revoked = await runCli(['keys', 'revoke', 'cli-keys', newId], env);
    expect(revoked.code).toBe(0);
    expect((await asNew.get('/api/v1/sessions/cli-keys/status')).status).toBe(401);
    const none = await runCli(['keys', 'ls', 'cli-keys'], env);
    expect(none.stdout).toContain('has no keys');
  });
});

describe('wagate backup', () => {
  it('copies the live SQLite store into a file that opens as a valid database with the sessions', { timeout: 120_000 }, async () => {
    const file = path.join(dataDir, 'backup.db');
    const res = await runCli(['backup', file, '--sandbox'], { DATA_DIR: dataDir });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('integrity checked');
    const copy = new BetterSqlite3(file, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const ids = (copy.prepare('select id from sessions').all() as Array<{ id: string }>).map((r) => r.id);
      expect(ids).toEqual(expect.arrayContaining(['cli-pair', 'cli-qr']));
      // The linked session's credentials came along (encrypted).
      expect(copy.prepare("select count(*) as n from credentials where session_id = 'cli-pair'").get()).toEqual({ n: 1 });
    } finally {
      copy.close();
    }
    const again = await runCli(['backup', file, '--sandbox'], { DATA_DIR: dataDir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect(existsSync(`${file}.partial-${process.pid}`)).toBe(false);
  });
});
