/** The outbox write path and the webhook repo on both dialects. */
import { describe, expect, it } from 'vitest';
import type { MessageRow, NewDelivery, WebhookEndpointRow } from '../../src/store/types.js';
import { DIALECTS, sessionRow, storeForEachTest } from './targets.js';

const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function endpoint(id: string, sessionId: string | null): WebhookEndpointRow {
  return {
    id,
    sessionId,
    url: 'https://example.com/h',
    events: ['*'],
    enabled: true,
    secret: `whsec_${id}`,
    previousSecret: null,
    previousSecretUntil: null,
    format: 'native',
    options: null,
    failingSince: null,
    disabledReason: null,
    createdAt: at(0),
    updatedAt: at(0),
  };
}

function delivery(eventId: number, endpointId: string, sessionId: string, seq: number): NewDelivery {
  return { eventId, endpointId, sessionId, eventType: 'connection.state', seq, payload: `{"id":${eventId}}`, createdAt: at(eventId % 60) };
}

function messageRow(sessionId: string, id: string): MessageRow {
  return {
    sessionId,
    id,
    chatJid: '15550000002@s.whatsapp.net',
    chatAlt: null,
    senderJid: '15550000002@s.whatsapp.net',
    senderAlt: null,
    fromMe: false,
    contentType: 'text',
    body: '{"view":{"type":"text","text":"secret words"}}',
    payload: null,
    status: 'received',
    statuses: [{ status: 'received', at: at(1) }],
    error: null,
    replyTo: null,
    waTimestamp: 1_767_225_601,
    idempotencyKey: null,
    requestHash: null,
    attempts: 0,
    createdAt: at(1),
    updatedAt: at(1),
  };
}

describe.each(DIALECTS)('webhook store (%s)', (dialect) => {
  const t = storeForEachTest(dialect);

  it('commits a session change, its events and their deliveries together, and continues sequences from them', async () => {
    await t.store.sessions.create(sessionRow('s1'));
    await t.store.webhooks.create(endpoint('wh_a', null));
    await t.store.events.commit([
      {
        session: { id: 's1', patch: { state: 'connecting' } },
        events: [{ id: 1_000_001, sessionId: 's1', type: 'connection.state', seq: 1, createdAt: at(1), data: '{}', history: true }],
        deliveries: [delivery(1_000_001, 'wh_a', 's1', 1)],
      },
      {
        events: [{ id: 1_000_002, sessionId: 's1', type: 'message.received', seq: 2, createdAt: at(2), data: '{}', history: false }],
        deliveries: [delivery(1_000_002, 'wh_a', 's1', 2)],
      },
    ]);
    expect((await t.store.sessions.get('s1'))?.state).toBe('connecting');
    expect((await t.store.events.list('s1', 10)).map((e) => [e.id, e.seq])).toEqual([[1_000_001, 1]]);
    const { lastEventId, seqBySession } = await t.store.events.sequences();
    expect(lastEventId).toBe(1_000_002);
    expect(seqBySession.get('s1')).toBe(2);
    expect(await t.store.webhooks.pendingLanes()).toEqual([{ endpointId: 'wh_a', sessionId: 's1' }]);
    expect((await t.store.webhooks.pendingInLane('wh_a', 's1', 1_000_001, 10)).map((d) => d.eventId)).toEqual([1_000_002]);
    expect((await t.store.webhooks.pendingSummary()).count).toBe(2);
  });

  it('reserved event ids raise the high-water mark a restart continues from, never lower it, and are no session', async () => {
    await t.store.events.reserveIds(2_000);
    await t.store.events.reserveIds(1_500);
    let { lastEventId, seqBySession } = await t.store.events.sequences();
    expect(lastEventId).toBe(2_000);
    expect([...seqBySession.keys()]).toEqual([]);
    await t.store.events.reserveIds(3_000);
    ({ lastEventId } = await t.store.events.sequences());
    expect(lastEventId).toBe(3_000);
  });

  it('a failing batch commits nothing of itself: the same delivery twice breaks the (event, endpoint) key', async () => {
    await t.store.webhooks.create(endpoint('wh_a', null));
    const d = delivery(5, 'wh_a', 's', 1);
    await expect(
      t.store.events.commit([{ events: [{ id: 5, sessionId: 's', type: 'x', seq: 1, createdAt: at(5), data: '{}', history: true }], deliveries: [d, d] }]),
    ).rejects.toThrow();
    expect(await t.store.events.list('s', 10)).toEqual([]);
    expect((await t.store.webhooks.pendingSummary()).count).toBe(0);
  });

  it('commits a group larger than one statement takes (every row count): all session changes, events, sequences and deliveries land', async () => {
    const n = 203;
    const ids = Array.from({ length: n }, (_, i) => `big${i}`);
    for (const id of ids) await t.store.sessions.create(sessionRow(id));
    await t.store.webhooks.create(endpoint('wh_big', null));
    const ev = (i: number, k: number) => ({ id: 3_000_000 + 2 * i + k, sessionId: ids[i]!, type: 'connection.state', seq: 1 + k, createdAt: at(k), data: `{"i":${i}}`, history: true });
    await t.store.events.commit(
      ids.map((id, i) => ({
        session: { id, patch: i % 2 === 0 ? { state: 'connecting' as const, updatedAt: `u${i}` } : { state: 'qr' as const, meName: `name${i}` } },
        events: [ev(i, 0), ev(i, 1)],
        deliveries: [delivery(3_000_000 + 2 * i + 1, 'wh_big', id, 2)],
      })),
    );
    const rows = new Map((await t.store.sessions.list()).map((r) => [r.id, r]));
    ids.forEach((id, i) =>
      expect(rows.get(id)).toMatchObject(i % 2 === 0 ? { state: 'connecting', updatedAt: `u${i}` } : { state: 'qr', meName: `name${i}` }),
    );
    const { lastEventId, seqBySession } = await t.store.events.sequences();
    expect(lastEventId).toBe(3_000_000 + 2 * (n - 1) + 1);
    expect(ids.every((id) => seqBySession.get(id) === 2)).toBe(true);
    expect((await t.store.events.list('big202', 10)).map((e) => e.data)).toEqual(['{"i":202}', '{"i":202}']);
    const [count] = await t.target.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM events');
    expect(Number(count!.n)).toBe(2 * n);
    expect((await t.store.webhooks.pendingSummary()).count).toBe(n);
  });

  it('commits a message row with the event that describes it and its delivery: all of them or none', async () => {
    await t.store.sessions.create(sessionRow('m1'));
    await t.store.webhooks.create(endpoint('wh_m', null));
    const event = (id: number, seq: number, type: string) => ({ id, sessionId: 'm1', type, seq, createdAt: at(seq), data: '{}', history: false });
    await t.store.events.commit([
      { messages: [{ kind: 'insert', row: messageRow('m1', 'MSG1') }], events: [event(2_000_001, 1, 'message.received')], deliveries: [delivery(2_000_001, 'wh_m', 'm1', 1)] },
    ]);
    expect(await t.store.messages.get('m1', 'MSG1')).toMatchObject({ id: 'MSG1', status: 'received', body: messageRow('m1', 'MSG1').body });
    expect((await t.store.webhooks.pendingSummary()).count).toBe(1);
    // The body is sealed like any message written through the message repo.
    const raw = await t.target.query<{ body: Uint8Array }>('SELECT body FROM messages');
    expect(Buffer.from(raw[0]!.body).toString('latin1')).not.toContain('secret words');

    // A batch whose outbox write fails (the same delivery twice) leaves the message row as it was, and stores no event.
    const d = delivery(2_000_002, 'wh_m', 'm1', 2);
    await expect(
      t.store.events.commit([
        {
          messages: [{ kind: 'update', sessionId: 'm1', id: 'MSG1', patch: { status: 'read', statuses: [{ status: 'read', at: at(3) }] } }],
          events: [event(2_000_002, 2, 'message.receipt')],
          deliveries: [d, d],
        },
      ]),
    ).rejects.toThrow();
    expect((await t.store.messages.get('m1', 'MSG1'))?.status).toBe('received');
    expect((await t.store.events.sequences()).seqBySession.get('m1')).toBe(1);
    expect((await t.store.webhooks.pendingSummary()).count).toBe(1);

    // A redelivered message keeps its first row; its event still commits.
    await t.store.events.commit([
      {
        messages: [{ kind: 'insert', row: { ...messageRow('m1', 'MSG1'), body: '{"view":{"type":"text","text":"changed"}}' } }],
        events: [event(2_000_004, 2, 'message.received')],
        deliveries: [delivery(2_000_004, 'wh_m', 'm1', 2)],
      },
    ]);
    expect((await t.store.messages.get('m1', 'MSG1'))?.body).toBe(messageRow('m1', 'MSG1').body);
    expect((await t.store.webhooks.pendingSummary()).count).toBe(2);
  });

  it('keeps secrets encrypted, records attempts, pages, requeues failed ones, purges old ones', async () => {
    await t.store.webhooks.create(endpoint('wh_b', null));
    const [row] = await t.store.webhooks.list();
    expect(row).toMatchObject({ id: 'wh_b', secret: 'whsec_wh_b', events: ['*'], enabled: true });
    const raw = await t.target.query<{ secret: Uint8Array }>('SELECT secret FROM webhooks');
    expect(Buffer.from(raw[0]!.secret).toString('latin1')).not.toContain('whsec_wh_b');

    await t.store.events.commit([{ events: [], deliveries: [1, 2, 3].map((i) => delivery(i, 'wh_b', 's', i)) }]);
    await t.store.webhooks.updateDeliveries([
      { eventId: 1, endpointId: 'wh_b', status: 'delivered', attempts: 1, nextAttemptAt: 0, lastStatusCode: 204, lastError: null, lastAttemptAt: at(10) },
      { eventId: 2, endpointId: 'wh_b', status: 'failed', attempts: 11, nextAttemptAt: 0, lastStatusCode: 500, lastError: 'HTTP 500', lastAttemptAt: at(11) },
    ]);
    const page = await t.store.webhooks.listDeliveries('wh_b', { limit: 2 });
    expect(page.map((d) => [d.eventId, d.status])).toEqual([
      [3, 'pending'],
      [2, 'failed'],
    ]);
    const next = await t.store.webhooks.listDeliveries('wh_b', { limit: 2, before: page[1]!.id });
    expect(next.map((d) => [d.eventId, d.status, d.lastStatusCode])).toEqual([[1, 'delivered', 204]]);

    const requeued = await t.store.webhooks.requeueFailed('wh_b', at(0), at(59), 100);
    expect(requeued.map((d) => d.eventId)).toEqual([2]);
    expect((await t.store.webhooks.getDelivery(requeued[0]!.id))?.status).toBe('pending');

    expect(await t.store.webhooks.purge(at(30), at(0))).toBe(1); // the delivered one
    expect((await t.store.webhooks.listDeliveries('wh_b', { limit: 10 })).map((d) => d.eventId)).toEqual([3, 2]);
  });

  it('deleting a session removes its own webhooks and their deliveries, not the global ones', async () => {
    await t.store.sessions.create(sessionRow('gone'));
    await t.store.webhooks.create(endpoint('wh_own', 'gone'));
    await t.store.webhooks.create(endpoint('wh_all', null));
    await t.store.events.commit([{ events: [], deliveries: [delivery(7, 'wh_own', 'gone', 1), delivery(7, 'wh_all', 'gone', 1)] }]);
    await t.store.sessions.delete('gone');
    expect((await t.store.webhooks.list()).map((w) => w.id)).toEqual(['wh_all']);
    expect(await t.store.webhooks.pendingLanes()).toEqual([{ endpointId: 'wh_all', sessionId: 'gone' }]);
  });
});
