/**
 * Master-key rotation at the store, on SQLite and PostgreSQL: refused while
 * a store (a gateway) has the data open; afterwards every encrypted value
 * reads back the same under the new key, derived secrets (API-key hashing)
 * are unchanged, and the old key is refused.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cipher } from '../../src/store/cipher.js';
import { openStore, StoreError } from '../../src/store/index.js';
import { rotateMasterKey } from '../../src/store/rotateMasterKey.js';
import type { MessageRow, Store } from '../../src/store/types.js';
import { createTarget, DIALECTS, sessionRow, type Target } from './targets.js';

const KEY_COUNT = 1_203; // more than one batch of Signal keys
const PURPOSES = ['api-key-hash', 'gomulti-jwt'];

function message(id: string): MessageRow {
  const now = new Date().toISOString();
  return {
    sessionId: 's1', id, chatJid: '15551230000@s.whatsapp.net', chatAlt: null, senderJid: '15551230000@s.whatsapp.net', senderAlt: null,
    fromMe: true, contentType: 'text', body: JSON.stringify({ text: `body of ${id}` }), payload: JSON.stringify({ text: `payload of ${id}` }),
    status: 'pending', statuses: [], error: null, replyTo: null, waTimestamp: 1_700_000_000, idempotencyKey: null, requestHash: null,
    attempts: 0, createdAt: now, updatedAt: now,
  };
}

async function seed(store: Store): Promise<void> {
  await store.sessions.create(sessionRow('s1'));
  const auth = store.auth.forSession('s1');
  await auth.writeCreds(JSON.stringify({ noiseKey: 'creds-secret' }));
  await auth.writeKeys(Array.from({ length: KEY_COUNT }, (_, i) => ({ type: 'pre-key', id: String(i), value: JSON.stringify({ k: `key-${i}` }) })));
  await store.settings.set('totp', 'totp-secret', { secret: true });
  await store.messages.insert(message('m1'));
  const now = new Date().toISOString();
  await store.webhooks.create({
    id: 'wh1', sessionId: null, url: 'https://example.com/hook', events: ['*'], enabled: true, secret: 'whsec_current', previousSecret: 'whsec_previous',
    previousSecretUntil: now, format: 'native', options: null, failingSince: null, disabledReason: null, createdAt: now, updatedAt: now,
  });
}

describe.each(DIALECTS)('rotateMasterKey (%s)', (dialect) => {
  let target: Target;
  let store: Store | undefined;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  beforeEach(async () => {
    target = await createTarget(dialect);
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await target.cleanup();
  });

  it('refuses while the data is open, then re-encrypts everything; derived secrets stay; the old key is refused', { timeout: 120_000 }, async () => {
    store = await openStore(target.options({ masterKey: oldKey.toString('hex') }));
    await seed(store);
    const derived = PURPOSES.map((p) => store!.deriveSecret(p).toString('hex'));

    const busy = await rotateMasterKey({ url: target.url, currentKey: oldKey, newKey, pinPurposes: PURPOSES }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(StoreError);
    expect((busy as StoreError).code).toBe('STORE_IN_USE');
    expect(await store.settings.get('totp')).toBe('totp-secret');
    await store.close();
    store = undefined;

    const { counts } = await rotateMasterKey({ url: target.url, currentKey: oldKey, newKey, pinPurposes: PURPOSES });
    expect(counts).toMatchObject({ credentials: 1, signalKeys: KEY_COUNT, messages: 1, webhooks: 1, pinnedSecrets: 2 });

    const old = await openStore(target.options({ masterKey: oldKey.toString('hex') })).catch((e: unknown) => e);
    expect((old as StoreError).code).toBe('MASTER_KEY_MISMATCH');

    store = await openStore(target.options({ masterKey: newKey.toString('hex') }));
    const auth = store.auth.forSession('s1');
    expect(await auth.readCreds()).toBe(JSON.stringify({ noiseKey: 'creds-secret' }));
    const keys = await auth.readKeys('pre-key', ['0', String(KEY_COUNT - 1)]);
    expect(keys).toEqual({ 0: JSON.stringify({ k: 'key-0' }), [KEY_COUNT - 1]: JSON.stringify({ k: `key-${KEY_COUNT - 1}` }) });
    expect(await store.settings.get('totp')).toBe('totp-secret');
    const m1 = await store.messages.get('s1', 'm1');
    expect([m1?.body, m1?.payload]).toEqual([JSON.stringify({ text: 'body of m1' }), JSON.stringify({ text: 'payload of m1' })]);
    const [hook] = await store.webhooks.list();
    expect([hook?.secret, hook?.previousSecret]).toEqual(['whsec_current', 'whsec_previous']);
    expect(PURPOSES.map((p) => store!.deriveSecret(p).toString('hex'))).toEqual(derived);
    // A purpose nobody pinned is derived from the new key.
    expect(store.deriveSecret('unpinned').equals(new Cipher(oldKey).deriveSecret('unpinned'))).toBe(false);
    await store.close();
    store = undefined;

    // A second rotation keeps the pinned secrets as they are.
    const third = randomBytes(32);
    const again = await rotateMasterKey({ url: target.url, currentKey: newKey, newKey: third, pinPurposes: PURPOSES });
    expect(again.counts.pinnedSecrets).toBe(0);
    store = await openStore(target.options({ masterKey: third.toString('hex') }));
    expect(PURPOSES.map((p) => store!.deriveSecret(p).toString('hex'))).toEqual(derived);
  });
});
