import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { listSettings } from '../src/config/schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function configError(env: Record<string, string>, argv: string[] = []): ConfigError {
  try {
    loadConfig(env, argv);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives every setting its default, in sections', () => {
    const config = loadConfig({}, []);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 3000, trustProxy: false, metricsPublic: false, logLevel: 'info' });
    expect(config.server.apiKey).toBeUndefined();
    expect(config.store.dataDir).toBe(path.resolve('./data'));
    expect(config.store.databaseUrl).toBe(`sqlite:${path.resolve('./data/wagate.db')}`);
    expect(config.store.allowNetworkSwitch).toBe(false);
    expect(config.engine).toMatchObject({ waUrl: undefined, restoreConcurrency: 32, restoreLoopDelayMs: 50 });
    expect(config.sandbox).toEqual({ enabled: false, phone: '15550000001', pairingCodeLimit: 0 });
    expect(config.dialects).toEqual({ root: undefined, bridge: { sessionId: 'default' }, gowa: { users: undefined, webhooks: [], webhookSecret: undefined } });
    expect(config.webhooks).toMatchObject({ allowPrivate: false, allowHosts: [], timeoutMs: 15_000, concurrency: 64 });
  });

  it('reads typed values', () => {
    const config = loadConfig({
      PORT: '8080',
      WAGATE_RESTORE_LOOP_DELAY_MS: '0',
      WAGATE_GOWA_USERS: 'alice:secret,bob:pw',
      WAGATE_OWNER_NUMBER: '+1 555 000 0002',
      WAGATE_METRICS_PUBLIC: 'yes',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config.server.port).toBe(8080);
    expect(config.engine.restoreLoopDelayMs).toBe(0);
    expect(config.dialects.gowa.users).toBe('alice:secret,bob:pw');
    expect(config.dashboard.ownerNumber).toBe('15550000002');
    expect(config.server.metricsPublic).toBe(true);
    expect(config.server.logLevel).toBe('debug');
  });

  it('keeps sandbox mode in its own data directory, default database included', () => {
    const config = loadConfig({ DATA_DIR: '/srv/wagate' }, ['--sandbox']);
    expect(config.sandbox.enabled).toBe(true);
    expect(config.store.dataDir).toBe(path.join('/srv/wagate', 'sandbox'));
    expect(config.store.databaseUrl).toBe(`sqlite:${path.join('/srv/wagate', 'sandbox', 'wagate.db')}`);
    expect(loadConfig({ DATA_DIR: '/srv/wagate', WAGATE_SANDBOX: '1' }).store.dataDir).toBe(path.join('/srv/wagate', 'sandbox'));
    expect(loadConfig({ DATA_DIR: '/srv/wagate', WAGATE_SANDBOX: 'off' }).store.dataDir).toBe('/srv/wagate');
  });

  it('refuses PORT=12abc, naming the variable and what it expects', () => {
    const err = configError({ PORT: '12abc' });
    expect(err.problems).toEqual(['PORT="12abc" is not valid: expected a port number (a whole number from 0 to 65535)']);
    expect(err.message).toContain('PORT="12abc"');
  });

  it('reports every bad variable at once', () => {
    const err = configError({
      PORT: '70000',
      WAGATE_SANDBOX: 'maybe',
      WAGATE_RESTORE_CONCURRENCY: '-1',
      WAGATE_PUBLIC_URL: 'wa.example.com',
      WAGATE_WA_URL: 'http://127.0.0.1/ws',
      DATABASE_URL: 'mysql://db',
      LOG_LEVEL: 'loud',
      WAGATE_GOWA_USERS: 'alice',
      WAGATE_BRIDGE_SESSION: 'has space',
      WAGATE_TRUST_PROXY: 'true',
      WAGATE_ROOT_DIALECT: 'WAHA!',
      WAGATE_OWNER_NUMBER: 'call me',
    });
    const named = err.problems.map((p) => p.split(/[= ]/)[0]);
    expect(named).toEqual([
      'WAGATE_SANDBOX',
      'PORT',
      'WAGATE_PUBLIC_URL',
      'WAGATE_TRUST_PROXY',
      'LOG_LEVEL',
      'DATABASE_URL',
      'WAGATE_WA_URL',
      'WAGATE_RESTORE_CONCURRENCY',
      'WAGATE_OWNER_NUMBER',
      'WAGATE_ROOT_DIALECT',
      'WAGATE_BRIDGE_SESSION',
      'WAGATE_GOWA_USERS',
    ]);
    expect(err.message).not.toContain('\n');
  });

  it('never echoes a secret value', () => {
    const err = configError({ WAGATE_MASTER_KEY: 'not-a-key-but-secret' });
    expect(err.message).toContain('WAGATE_MASTER_KEY (value hidden) is not valid');
    expect(err.message).not.toContain('not-a-key-but-secret');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', WAGATE_API_KEY: '' }).server).toMatchObject({ port: 3000, apiKey: undefined });
  });

  it.each([
    ['', false],
    ['off', false],
    ['0', false],
    ['127.0.0.1', ['127.0.0.1']],
    ['10.0.0.0/8, ::1, loopback', ['10.0.0.0/8', '::1', 'loopback']],
  ])('WAGATE_TRUST_PROXY=%j → %j', (value, expected) => {
    expect(loadConfig({ WAGATE_TRUST_PROXY: value }).server.trustProxy).toEqual(expected);
  });

  it.each(['true', '1', '10.0.0.0/33', 'proxy.local'])('refuses WAGATE_TRUST_PROXY=%j', (value) => {
    expect(configError({ WAGATE_TRUST_PROXY: value }).problems[0]).toMatch(/^WAGATE_TRUST_PROXY=.* is not valid/);
  });
});

/** README's configuration table: [variable, default, meaning] per row. */
function readmeTable(): string[][] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const body = section.slice(0, section.indexOf('\n## ', 3));
  return body
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.slice(1, -1).split(' | ').map((c) => c.trim());
      return [cells[0]!.replace(/`/g, ''), cells[1]!, cells.slice(2).join(' | ')];
    });
}

describe("README's configuration table", () => {
  it('lists every setting of the schema, in order, with its default and meaning', () => {
    const fromSchema = listSettings().map(({ setting }) => [setting.env, setting.shownDefault, setting.description]);
    const rows = (table: string[][]): string => table.map(([v, d, m]) => `| \`${v}\` | ${d} | ${m} |`).join('\n');
    // On a difference, the message is the table the README should have.
    expect(rows(readmeTable())).toBe(rows(fromSchema));
  });

  it('documents the settings that had no row before', () => {
    const names = readmeTable().map(([name]) => name);
    expect(names).toEqual(expect.arrayContaining(['WAGATE_PUBLIC_URL', 'WAGATE_WA_URL', 'WAGATE_TRUST_PROXY', 'WAGATE_METRICS_KEY']));
  });
});

describe('main.ts with a bad setting', () => {
  it('exits 1 with one line naming the variable, no stack, and writes nothing', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-config-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, PORT: '12abc', WAGATE_TRUST_PROXY: 'everyone' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const lines = stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^wagate could not start: invalid configuration: PORT="12abc" is not valid: expected a port number/);
      expect(lines[0]).toContain('WAGATE_TRUST_PROXY="everyone" is not valid');
      expect(stderr).not.toMatch(/\bat .*\.ts:\d+/);
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
