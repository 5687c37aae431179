/**
 * Fenced writes (PostgreSQL, cluster mode): once another node claimed a
 * session (epoch + 1), every write the old owner makes with its old epoch —
 * session row, event commit, credentials, Signal keys, wipe — is refused
 * with FENCED and changes nothing; the new owner's writes go through.
 * A webhook delivery's claim works the same way for the node sending it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { createTarget, sessionRow, type Target } from './targets.js';

const KEY = '33'.repeat(32);
let target: Target;
let store: Store;

beforeAll(async () => {
  target = await createTarget('postgres');
  store = await openStore(target.options({ masterKey: KEY }));
});
afterAll(async () => {
  await store?.close();
  await target?.cleanup();
});

describe('fencing', () => {
  it('refuses every write of a node whose epoch is stale, and keeps the new owner\'s', async () => {
    const cluster = store.cluster!;
    await cluster.register('old', null, 60_000);
    await cluster.register('new', null, 60_000);
    await store.sessions.create(sessionRow('fenced'));
    const [mine] = await cluster.claim('old', ['fenced'], 60_000);
    const oldFence = { nodeId: 'old', epoch: mine!.ownerEpoch };
    await store.sessions.update('fenced', { displayName: 'by old' }, oldFence);
    await store.auth.forSession('fenced', () => oldFence).writeCreds('{"v":"old"}');

    // "old" stops heartbeating (paused): once its lease is over, "new" claims.
    await target.query(`UPDATE nodes SET heartbeat_at = heartbeat_at - 120000 WHERE id = 'old'`);
    const [taken] = await cluster.claim('new', ['fenced'], 60_000);
    expect(taken!.ownerEpoch).toBe(oldFence.epoch + 1);
    const newFence = { nodeId: 'new', epoch: taken!.ownerEpoch };

    const fenced = expect.objectContaining({ code: 'FENCED' });
    await expect(store.sessions.update('fenced', { displayName: 'late' }, oldFence)).rejects.toEqual(fenced);
    const oldAuth = store.auth.forSession('fenced', () => oldFence);
    await expect(oldAuth.writeCreds('{"v":"late"}')).rejects.toEqual(fenced);
    await expect(oldAuth.writeKeys([{ type: 'pre-key', id: '1', value: 'late' }])).rejects.toEqual(fenced);
    await expect(oldAuth.wipe()).rejects.toEqual(fenced);
    const batch = {
      session: { id: 'fenced', patch: { displayName: 'late event' }, fence: oldFence },
      events: [{ id: 1, sessionId: 'fenced', type: 'connection.state', seq: 1, createdAt: new Date().toISOString(), data: '{}', history: true }],
      deliveries: [],
    };
    await expect(store.events.commit([batch])).rejects.toEqual(fenced);
    // A message row written with its event and no session change: refused with the event too.
    const at = new Date().toISOString();
    const messageBatch = {
      session: { id: 'fenced', patch: {}, fence: oldFence },
      messages: [{ kind: 'insert' as const, row: {
        sessionId: 'fenced', id: 'late-message', chatJid: '15551230000@s.whatsapp.net', chatAlt: null, senderJid: '15551230000@s.whatsapp.net',
        senderAlt: null, fromMe: false, contentType: 'text', body: '{"text":"late"}', payload: null, status: 'received', statuses: [],
        error: null, replyTo: null, waTimestamp: 1_700_000_000, idempotencyKey: null, requestHash: null, attempts: 0, createdAt: at, updatedAt: at,
      } }],
      events: [{ id: 2, sessionId: 'fenced', type: 'message.received', seq: 1, createdAt: at, data: '{}', history: false }],
      deliveries: [],
    };
    await expect(store.events.commit([messageBatch])).rejects.toEqual(fenced);
    expect(await store.messages.get('fenced', 'late-message')).toBeUndefined();

    expect((await store.sessions.get('fenced'))!.displayName).toBe('by old');
    expect(await store.auth.forSession('fenced').readCreds()).toBe('{"v":"old"}');
    expect(await store.auth.forSession('fenced').readKeys('pre-key', ['1'])).toEqual({});
    expect(await store.events.list('fenced', 10)).toEqual([]);

    await store.sessions.update('fenced', { displayName: 'by new' }, newFence);
    await store.auth.forSession('fenced', () => newFence).writeCreds('{"v":"new"}');
    expect((await store.sessions.get('fenced'))!.displayName).toBe('by new');
    expect(await store.auth.forSession('fenced').readCreds()).toBe('{"v":"new"}');
  });

  it('webhook deliveries: one live node holds a claim, only the holder records the result, a dead holder\'s claim is taken', async () => {
    const cluster = store.cluster!;
    await cluster.register('w1', null, 60_000);
    await cluster.register('w2', null, 60_000);
    const now = new Date().toISOString();
    await store.webhooks.create({
      id: 'wh_claims', sessionId: null, url: 'https://example.com/hook', events: ['*'], enabled: true, secret: 'whsec_x', previousSecret: null,
      previousSecretUntil: null, format: 'native', options: null, failingSince: null, disabledReason: null, createdAt: now, updatedAt: now,
    });
    const delivery = { eventId: 77, endpointId: 'wh_claims', sessionId: 's', eventType: 'message.received', seq: 1, payload: '{}', createdAt: now };
    await store.webhooks.insertDelivery(delivery);
    const key = [{ eventId: 77, endpointId: 'wh_claims' }];
    expect([...(await cluster.claimDeliveries('w1', 60_000, key))]).toEqual(['77:wh_claims']);
    // Held by a live node: refused to the other, granted again to the holder.
    expect(await cluster.claimDeliveries('w2', 60_000, key)).toEqual(new Set());
    expect(await cluster.claimDeliveries('w1', 60_000, key)).toEqual(new Set(['77:wh_claims']));
    const result = { eventId: 77, endpointId: 'wh_claims', status: 'delivered' as const, attempts: 1, nextAttemptAt: 0, lastStatusCode: 200, lastError: null, lastAttemptAt: now };
    expect(await store.webhooks.updateDeliveries([{ ...result, claimedBy: 'w2' }])).toEqual([false]);

    // w1 stops heartbeating: its claim is taken, and w1's late result is refused.
    await target.query(`UPDATE nodes SET heartbeat_at = heartbeat_at - 120000 WHERE id = 'w1'`);
    expect(await cluster.claimDeliveries('w2', 60_000, key)).toEqual(new Set(['77:wh_claims']));
    expect(await store.webhooks.updateDeliveries([{ ...result, claimedBy: 'w1' }])).toEqual([false]);
    expect(await store.webhooks.updateDeliveries([{ ...result, claimedBy: 'w2' }])).toEqual([true]);
    // Recorded once: delivered, no longer claimable, and a second success is refused.
    expect(await cluster.claimDeliveries('w2', 60_000, key)).toEqual(new Set());
    expect(await store.webhooks.updateDeliveries([{ ...result, claimedBy: 'w2' }])).toEqual([false]);
    const [row] = await store.webhooks.listDeliveries('wh_claims', { limit: 10 });
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
  });

  it('does not let a node claim a session whose owner is alive', async () => {
    const cluster = store.cluster!;
    await store.sessions.create(sessionRow('held'));
    expect(await cluster.claim('new', ['held'], 60_000)).toHaveLength(1);
    await cluster.register('third', null, 60_000);
    expect(await cluster.claim('third', ['held'], 60_000)).toEqual([]);
  });
});
