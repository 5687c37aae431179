import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cipher } from '../../src/store/cipher.js';
import { KEY_CHECK_SETTING, openStore, StoreError } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { createTarget, DIALECTS, sessionRow, type Target } from './targets.js';

const CREDS_SECRET = 'creds-secret-NOISE-PRIVATE-3f9a1c';
const KEY_SECRET = 'signal-key-secret-IDENTITY-77e2b0';
const SETTING_SECRET = 'totp-secret-JBSWY3DPEHPK3PXP';
const PLAIN_MARKER = 'plain-setting-visible-5d1e';

function hexKey(): string {
  return randomBytes(32).toString('hex');
}

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

/** Raw bytes of one encrypted column, straight from the database. */
async function rawValue(target: Target, table: string, where: string, params: unknown[]): Promise<Buffer> {
  const rows = await target.query<{ value: Uint8Array }>(`SELECT value FROM ${table} WHERE ${where}`, params);
  expect(rows).toHaveLength(1);
  return Buffer.from(rows[0].value);
}

async function setRawValue(target: Target, table: string, where: string, value: Buffer, params: unknown[]): Promise<void> {
  await target.query(`UPDATE ${table} SET value = ? WHERE ${where}`, [value, ...params]);
}

describe.each(DIALECTS)('encryption at rest (%s)', (dialect) => {
  let target: Target;
  let store: Store | undefined;

  beforeEach(async () => {
    target = await createTarget(dialect);
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await target?.cleanup();
  });

  async function seed(opts: { masterKey?: string } = {}): Promise<Store> {
    const s = await openStore(target.options(opts));
    await s.sessions.create(sessionRow('s1'));
    await s.sessions.create(sessionRow('s2'));
    await s.auth.forSession('s1').writeCreds(JSON.stringify({ noiseKey: { private: CREDS_SECRET } }));
    await s.auth.forSession('s1').writeKeys([{ type: 'session', id: '1555:1@s.whatsapp.net', value: JSON.stringify({ k: KEY_SECRET }) }]);
    await s.settings.set('totp', SETTING_SECRET, { secret: true });
    await s.settings.set('banner', PLAIN_MARKER);
    return s;
  }

  it('never stores credentials, keys or secret settings in plain text', async () => {
    store = await seed();
    await store.close();
    store = undefined;

    if (dialect === 'sqlite') {
      const file = target.sqliteFile!;
      const bytes = Buffer.concat(
        [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
      );
      // Control: plain settings are visible, so the scan can see text at all.
      expect(bytes.includes(PLAIN_MARKER)).toBe(true);
      for (const secret of [CREDS_SECRET, KEY_SECRET, SETTING_SECRET]) expect(bytes.includes(secret), secret).toBe(false);
    } else {
      const blobs = [
        await rawValue(target, 'credentials', 'session_id = ?', ['s1']),
        await rawValue(target, 'signal_keys', 'session_id = ?', ['s1']),
        await rawValue(target, 'settings', 'key = ?', ['totp']),
      ];
      expect((await rawValue(target, 'settings', 'key = ?', ['banner'])).toString('utf8')).toBe(PLAIN_MARKER);
      for (const blob of blobs) {
        for (const secret of [CREDS_SECRET, KEY_SECRET, SETTING_SECRET]) expect(blob.includes(secret)).toBe(false);
      }
    }

    // Every encrypted value is version 1 ‖ 12-byte IV ‖ 16-byte tag ‖ ciphertext, with a fresh IV each time.
    store = await openStore(target.options());
    const before = await rawValue(target, 'credentials', 'session_id = ?', ['s1']);
    expect(before[0]).toBe(1);
    await store.auth.forSession('s1').writeCreds(JSON.stringify({ noiseKey: { private: CREDS_SECRET } }));
    const after = await rawValue(target, 'credentials', 'session_id = ?', ['s1']);
    expect(after.subarray(1, 13).equals(before.subarray(1, 13))).toBe(false);
    expect(await store.auth.forSession('s1').readCreds()).toContain(CREDS_SECRET);
    expect(await store.settings.get('totp')).toBe(SETTING_SECRET);
  });

  it('a tampered credential or key fails with DECRYPT_FAILED naming the session', async () => {
    store = await seed();
    const creds = await rawValue(target, 'credentials', 'session_id = ?', ['s1']);
    creds[creds.length - 1] ^= 0x01; // one ciphertext bit
    await setRawValue(target, 'credentials', 'session_id = ?', creds, ['s1']);
    const credsErr = await rejection(store.auth.forSession('s1').readCreds());
    expect(credsErr.code).toBe('DECRYPT_FAILED');
    expect(credsErr.message).toContain('session "s1"');

    const key = await rawValue(target, 'signal_keys', 'session_id = ?', ['s1']);
    key[20] ^= 0x80; // inside the authentication tag
    await setRawValue(target, 'signal_keys', 'session_id = ?', key, ['s1']);
    const keyErr = await rejection(store.auth.forSession('s1').readKeys('session', ['1555:1@s.whatsapp.net']));
    expect(keyErr.code).toBe('DECRYPT_FAILED');
    expect(keyErr.message).toContain('session "s1"');
    expect(keyErr.details).toMatchObject({ sessionId: 's1', type: 'session' });

    const setting = await rawValue(target, 'settings', 'key = ?', ['totp']);
    await setRawValue(target, 'settings', 'key = ?', setting.subarray(0, 10), ['totp']); // truncated
    expect((await rejection(store.settings.get('totp'))).code).toBe('DECRYPT_FAILED');
  });

  it('a value copied into another row does not decrypt', async () => {
    store = await seed();
    const s1Creds = await rawValue(target, 'credentials', 'session_id = ?', ['s1']);
    await store.auth.forSession('s2').writeCreds('{"mine":true}');
    await setRawValue(target, 'credentials', 'session_id = ?', s1Creds, ['s2']);
    expect((await rejection(store.auth.forSession('s2').readCreds())).code).toBe('DECRYPT_FAILED');

    const auth = store.auth.forSession('s1');
    await auth.writeKeys([{ type: 'pre-key', id: '2', value: 'two' }]);
    const keyValue = await rawValue(target, 'signal_keys', 'session_id = ? AND key_id = ?', ['s1', '1555:1@s.whatsapp.net']);
    await setRawValue(target, 'signal_keys', 'session_id = ? AND key_id = ?', keyValue, ['s1', '2']);
    expect((await rejection(auth.readKeys('pre-key', ['2']))).code).toBe('DECRYPT_FAILED');
  });

  it('a wrong master key is refused with a clear error, changes nothing, and the right key still reads the data', async () => {
    const right = hexKey();
    store = await seed({ masterKey: right });
    await store.close();
    store = undefined;
    const snapshot = async (): Promise<string> => {
      const tables: unknown[] = [];
      for (const t of ['credentials', 'signal_keys', 'settings']) tables.push(await target.query(`SELECT * FROM ${t} ORDER BY 1`));
      return JSON.stringify(tables);
    };
    const before = await snapshot();

    const err = await rejection(openStore(target.options({ masterKey: hexKey() })));
    expect(err.code).toBe('MASTER_KEY_MISMATCH');
    expect(err.message).toContain('The master key does not match the one this data was encrypted with');
    expect(err.message).toContain('WAGATE_MASTER_KEY');
    expect(err.message).toContain(path.join(target.dataDir, 'master.key'));
    expect(err.message).toContain('Nothing was changed.');
    expect(await snapshot()).toBe(before);

    store = await openStore(target.options({ masterKey: right }));
    expect(await store.auth.forSession('s1').readCreds()).toContain(CREDS_SECRET);
    expect(await store.auth.forSession('s1').readKeys('session', ['1555:1@s.whatsapp.net'])).toEqual({
      '1555:1@s.whatsapp.net': JSON.stringify({ k: KEY_SECRET }),
    });
  });

  it('a replaced master.key file is refused the same way', async () => {
    store = await seed();
    await store.close();
    store = undefined;
    const keyFile = path.join(target.dataDir, 'master.key');
    const original = fs.readFileSync(keyFile);
    fs.writeFileSync(keyFile, `${hexKey()}\n`, { mode: 0o600 });

    expect((await rejection(openStore(target.options()))).code).toBe('MASTER_KEY_MISMATCH');

    fs.writeFileSync(keyFile, original);
    store = await openStore(target.options());
    expect(await store.settings.get('totp')).toBe(SETTING_SECRET);
  });

  it('a missing master.key over existing data is refused and no new key is generated', async () => {
    store = await seed();
    await store.close();
    store = undefined;
    const keyFile = path.join(target.dataDir, 'master.key');
    const original = fs.readFileSync(keyFile);
    fs.rmSync(keyFile);

    const err = await rejection(openStore(target.options()));
    expect(err.code).toBe('MASTER_KEY_MISSING');
    expect(err.message).toContain('WAGATE_MASTER_KEY');
    expect(err.message).toContain(keyFile);
    expect(fs.existsSync(keyFile)).toBe(false);

    // The same key given through the option works (the file is not needed then).
    store = await openStore(target.options({ masterKey: original.toString('utf8').trim() }));
    expect(await store.auth.forSession('s1').readCreds()).toContain(CREDS_SECRET);
    expect(fs.existsSync(keyFile)).toBe(false);
  });

  it('deriveSecret is stable across reopen, differs per purpose and per master key', async () => {
    const key = hexKey();
    store = await openStore(target.options({ masterKey: key }));
    const jwt = store.deriveSecret('jwt');
    expect(jwt).toHaveLength(32);
    expect(store.deriveSecret('jwt').equals(jwt)).toBe(true);
    expect(store.deriveSecret('gowa-basic').equals(jwt)).toBe(false);
    expect(jwt.equals(Buffer.from(key, 'hex'))).toBe(false);
    // Callers get their own copy.
    store.deriveSecret('jwt').fill(0);
    expect(store.deriveSecret('jwt').equals(jwt)).toBe(true);
    expect(() => store!.deriveSecret('')).toThrow();
    expect(new Cipher(randomBytes(32)).deriveSecret('jwt').equals(jwt)).toBe(false);
    await store.close();

    store = await openStore(target.options({ masterKey: key }));
    expect(store.deriveSecret('jwt').equals(jwt)).toBe(true);
  });

  it('keeps the key check value encrypted', async () => {
    store = await openStore(target.options());
    const rows = await target.query<{ secret: number | string }>('SELECT secret FROM settings WHERE key = ?', [KEY_CHECK_SETTING]);
    expect(rows.map((r) => Number(r.secret))).toEqual([1]);
  });
});
