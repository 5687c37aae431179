/** The per-session send backlog bound: what counts as waiting, across a restart and against the store's reads. */
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../../src/core/errors.js';
import { SendBacklog } from '../../../src/core/messaging/sendBacklog.js';

function backlog(limit: number, stored: Record<string, string[]> = {}, ratePerMinute = 0): SendBacklog {
  return new SendBacklog({ limit, ratePerMinute, pendingIds: async (sessionId) => stored[sessionId] ?? [] });
}

async function refusal(b: SendBacklog, sessionId: string): Promise<unknown> {
  return b.reserve(sessionId).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('SendBacklog', () => {
  it('after a restart, the messages still pending in the store count against the bound', async () => {
    const b = backlog(3, { shop: ['a', 'b', 'c'], other: ['x'] });
    const err = await refusal(b, 'shop');
    expect(isGatewayError(err) && err.code).toBe('SEND_BACKLOG_FULL');
    expect(isGatewayError(err) && err.details).toMatchObject({ waiting: 3, limit: 3 });
    expect(isGatewayError(err) && err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Another session has its own bound.
    await expect(b.reserve('other')).resolves.toBeDefined();
  });

  it('a place held by a send in progress counts; a release gives it back, an accept keeps it until the message leaves', async () => {
    const b = backlog(2);
    const first = await b.reserve('shop');
    const second = await b.reserve('shop');
    expect(await refusal(b, 'shop')).toMatchObject({ code: 'SEND_BACKLOG_FULL' });
    second.release();
    const third = await b.reserve('shop');
    first.accepted('m1');
    third.accepted('m3');
    third.release(); // after accepted: nothing more to give back
    expect(await refusal(b, 'shop')).toMatchObject({ code: 'SEND_BACKLOG_FULL' });
    b.done('shop', 'm1', true);
    await expect(b.reserve('shop')).resolves.toBeDefined();
  });

  it('a read of the pending rows drops what left by another way, and an older read never brings back what was sent since', async () => {
    const b = backlog(2);
    (await b.reserve('shop')).accepted('m1');
    (await b.reserve('shop')).accepted('m2');
    const older = b.mark();
    b.done('shop', 'm1', true);
    // The read started before m1 was sent and still saw it: m1 stays gone.
    b.reconcile('shop', ['m1', 'm2'], older);
    const one = await b.reserve('shop');
    one.release();
    // m2 left the store another way (retention): a newer read that does not find it frees its place.
    b.reconcile('shop', [], b.mark());
    (await b.reserve('shop')).accepted('m4');
    (await b.reserve('shop')).accepted('m5');
    expect(await refusal(b, 'shop')).toMatchObject({ code: 'SEND_BACKLOG_FULL', details: { waiting: 2 } });
    // A read older than the one applied is ignored.
    b.reconcile('shop', ['m1', 'm2', 'm4', 'm5'], older);
    expect(await refusal(b, 'shop')).toMatchObject({ details: { waiting: 2 } });
  });

  it('0 is no bound; a deleted session starts again from the store', async () => {
    const open = backlog(0, { shop: ['a', 'b'] });
    for (let i = 0; i < 5; i++) (await open.reserve('shop')).accepted(`m${i}`);
    const stored: Record<string, string[]> = { shop: ['a'] };
    const b = backlog(1, stored);
    expect(await refusal(b, 'shop')).toMatchObject({ code: 'SEND_BACKLOG_FULL' });
    stored.shop = [];
    b.forget('shop');
    await expect(b.reserve('shop')).resolves.toBeDefined();
  });

  it('asks a client to wait for a tenth of the bound at the configured pace, at most a minute', async () => {
    const slow = backlog(10, { shop: Array.from({ length: 10 }, (_, i) => `m${i}`) }, 6);
    expect(await refusal(slow, 'shop')).toMatchObject({ retryAfterSeconds: 10 });
    const deep = backlog(1000, { shop: Array.from({ length: 1000 }, (_, i) => `m${i}`) }, 6);
    expect(await refusal(deep, 'shop')).toMatchObject({ retryAfterSeconds: 60 });
  });
});
