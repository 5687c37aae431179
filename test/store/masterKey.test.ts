import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, parseMasterKey, StoreError } from '../../src/store/index.js';
import { sessionRow } from './targets.js';

function captureLogger(): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => chunks.join('') };
}

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

describe('parseMasterKey', () => {
  const bytes = randomBytes(32);

  it('accepts 64 hex characters and base64 (standard or URL-safe) of 32 bytes', () => {
    expect(parseMasterKey(bytes.toString('hex'))?.equals(bytes)).toBe(true);
    expect(parseMasterKey(bytes.toString('hex').toUpperCase())?.equals(bytes)).toBe(true);
    expect(parseMasterKey(bytes.toString('base64'))?.equals(bytes)).toBe(true);
    expect(parseMasterKey(bytes.toString('base64url'))?.equals(bytes)).toBe(true);
    expect(parseMasterKey(`  ${bytes.toString('hex')}\n`)?.equals(bytes)).toBe(true);
  });

  it('rejects anything else', () => {
    for (const bad of [
      '',
      'secret',
      bytes.toString('hex').slice(1),
      `${bytes.toString('hex')}00`,
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      'z'.repeat(64),
    ]) {
      expect(parseMasterKey(bad), bad).toBeUndefined();
    }
  });
});

describe('master key handling (sqlite)', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-key-'));
  });

  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const url = (): string => `sqlite:${path.join(dataDir, 'wagate.db')}`;

  it('refuses a malformed WAGATE_MASTER_KEY before touching anything', async () => {
    const err = await storeError(openStore({ url: url(), dataDir, masterKey: 'too-short' }));
    expect(err.code).toBe('INVALID_MASTER_KEY');
    expect(err.message).toContain('WAGATE_MASTER_KEY');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('generates master.key with mode 0600 on first start and never logs the key', async () => {
    const { logger, text } = captureLogger();
    const store = await openStore({ url: url(), dataDir }, logger);
    await store.close();
    const file = path.join(dataDir, 'master.key');
    const content = fs.readFileSync(file, 'utf8').trim();
    expect(content).toMatch(/^[0-9a-f]{64}$/);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(text()).toContain('master key');
    expect(text()).not.toContain(content);
  });

  it('does not write a key file when the key is given', async () => {
    const store = await openStore({ url: url(), dataDir, masterKey: randomBytes(32).toString('base64') });
    await store.close();
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
  });

  it('uses a key file with loose permissions, restricts it to 0600 and says so', async () => {
    const file = path.join(dataDir, 'master.key');
    fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const { logger, text } = captureLogger();
    const store = await openStore({ url: url(), dataDir }, logger);
    await store.close();
    if (process.platform !== 'win32') {
      expect(text()).toMatch(/"level":40.*chmod 600/);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it('refuses a key file that does not hold a key, naming the file', async () => {
    const file = path.join(dataDir, 'master.key');
    fs.writeFileSync(file, 'not a key\n', { mode: 0o600 });
    const err = await storeError(openStore({ url: url(), dataDir }));
    expect(err.code).toBe('INVALID_MASTER_KEY');
    expect(err.message).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('not a key\n');
  });

  it('reads the same data with the key in hex or base64', async () => {
    const key = randomBytes(32);
    let store = await openStore({ url: url(), dataDir, masterKey: key.toString('hex') });
    await store.sessions.create(sessionRow('s1'));
    await store.auth.forSession('s1').writeCreds('{"hello":"world"}');
    await store.close();
    store = await openStore({ url: url(), dataDir, masterKey: key.toString('base64') });
    expect(await store.auth.forSession('s1').readCreds()).toBe('{"hello":"world"}');
    await store.close();
  });

  it('refuses an unknown database URL', async () => {
    const err = await storeError(openStore({ url: 'mysql://localhost/db', dataDir, masterKey: randomBytes(32).toString('hex') }));
    expect(err.code).toBe('UNSUPPORTED_DATABASE_URL');
  });

  it('creates the SQLite parent directory and uses WAL', async () => {
    const file = path.join(dataDir, 'nested', 'deeper', 'wagate.db');
    const store = await openStore({ url: `sqlite:${file}`, dataDir });
    await store.sessions.create(sessionRow('s1'));
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    await store.close();
  });
});
