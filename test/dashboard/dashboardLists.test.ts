/**
 * The dashboard's JSON API for many sessions (search, state counts, sort,
 * cursor paging, bulk connect and disconnect), the recent-events feed, and
 * the native routes it reaches through its own sign-in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/harness.js';
import { signIn, startDashboard, writeHeaders, type DashboardGateway } from './dashboardHarness.js';

let gateway: DashboardGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

interface ListAnswer {
  sessions: Array<{ sessionId: string; state: string }>;
  nextCursor: string | null;
  total: number;
  counts: Record<string, number>;
  all: number;
}

describe('dashboard session list at scale', () => {
  it('searches, counts per state, sorts and pages on the server', async () => {
    gateway = await startDashboard();
    const { app, gw } = gateway;
    for (const [id, name] of [['c-3', 'Zeta shop'], ['a-1', 'Alpha'], ['b-2', 'beta shop'], ['d-4', null]] as const) {
      await gw.core.sessions.create({ sessionId: id, displayName: name ?? undefined });
    }
    await gw.core.sessions.connect('b-2');
    await eventually(() => expect(gw.core.sessions.get('b-2').state).toBe('qr'));
    const user = await signIn(app, gw.adminKey);
    const list = async (query: string) => {
      const res = await app.inject({ url: `/dashboard/api/sessions?${query}`, headers: { cookie: user.cookie } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as ListAnswer;
    };

    const shops = await list('q=SHOP&sort=name');
    expect(shops.sessions.map((s) => s.sessionId)).toEqual(['b-2', 'c-3']);
    expect(shops.counts.qr).toBe(1);
    expect(shops.counts.created).toBe(1);
    expect(shops.total).toBe(2);
    expect(shops.all).toBe(4);

    const waiting = await list('state=qr');
    expect(waiting.sessions.map((s) => s.sessionId)).toEqual(['b-2']);
    expect(waiting.counts.created).toBe(3); // counts ignore the state filter, so every chip shows its number

    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: ListAnswer = await list(`sort=-created&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.sessions.length).toBeLessThanOrEqual(3);
      seen.push(...page.sessions.map((s) => s.sessionId));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(['d-4', 'b-2', 'a-1', 'c-3']);

    const bad = await app.inject({ url: '/dashboard/api/sessions?sort=size&limit=0', headers: { cookie: user.cookie } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('sort must be one of created, -created, name, state');
  });

  it('connects and disconnects a selection in one request, reporting each session', async () => {
    gateway = await startDashboard();
    const { app, gw } = gateway;
    for (const id of ['x1', 'x2', 'x3']) await gw.core.sessions.create({ sessionId: id });
    const user = await signIn(app, gw.adminKey);
    const bulk = (payload: Record<string, unknown>, headers = writeHeaders(user)) =>
      app.inject({ method: 'POST', url: '/dashboard/api/sessions/bulk', headers, payload });

    const refused = await bulk({ action: 'connect', sessionIds: ['x1'] }, { cookie: user.cookie });
    expect(refused.statusCode).toBe(403);
    expect(gw.core.sessions.get('x1').state).toBe('created');

    const connected = await bulk({ action: 'connect', sessionIds: ['x1', 'x2', 'nope'] });
    expect(connected.statusCode).toBe(200);
    expect(connected.json().results).toEqual([
      { sessionId: 'x1', ok: true },
      { sessionId: 'x2', ok: true },
      { sessionId: 'nope', ok: false, error: { code: 'SESSION_NOT_FOUND', message: expect.any(String) } },
    ]);
    await eventually(() => expect(['x1', 'x2'].map((id) => gw.core.sessions.get(id).state)).toEqual(['qr', 'qr']));
    expect(gw.core.sessions.get('x3').state).toBe('created');

    const disconnected = await bulk({ action: 'disconnect', sessionIds: ['x1', 'x2'] });
    expect(disconnected.json().results.every((r: { ok: boolean }) => r.ok)).toBe(true);
    expect(gw.core.sessions.get('x1').state).toBe('created');

    const wrong = await bulk({ action: 'explode', sessionIds: ['x1'] });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toBe('"action" must be one of connect, disconnect');
  });

  it('lists recent events of every session', async () => {
    gateway = await startDashboard();
    const { app, gw } = gateway;
    await gw.core.sessions.create({ sessionId: 'one' });
    await gw.core.sessions.create({ sessionId: 'two' });
    const user = await signIn(app, gw.adminKey);
    const res = await app.inject({ url: '/dashboard/api/events/recent', headers: { cookie: user.cookie } });
    const events = (res.json() as { events: Array<{ sessionId: string; type: string }> }).events;
    expect(events.filter((e) => e.type === 'session.created').map((e) => e.sessionId)).toEqual(['one', 'two']);
  });
});

describe('native routes behind the dashboard sign-in', () => {
  it('serves webhooks and keys to a signed-in page, with the CSRF token on writes, and keeps them out of the API docs', async () => {
    gateway = await startDashboard();
    const { app, gw } = gateway;
    await gw.core.sessions.create({ sessionId: 'shop' });
    expect((await app.inject({ url: '/dashboard/api/v1/webhooks' })).statusCode).toBe(401);
    // An API key is not a dashboard sign-in.
    expect((await app.inject({ url: '/dashboard/api/v1/webhooks', headers: { authorization: `Bearer ${gw.adminKey}` } })).statusCode).toBe(401);

    const user = await signIn(app, gw.adminKey);
    const listed = await app.inject({ url: '/dashboard/api/v1/webhooks', headers: { cookie: user.cookie } });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual({ data: [] });

    const payload = { url: 'https://example.com/hook', events: ['*'] };
    const noCsrf = await app.inject({ method: 'POST', url: '/dashboard/api/v1/webhooks', headers: { cookie: user.cookie }, payload });
    expect(noCsrf.statusCode).toBe(403);
    expect(gw.core.webhooks.list(undefined)).toEqual([]);

    const key = await app.inject({ method: 'POST', url: '/dashboard/api/v1/sessions/shop/keys', headers: writeHeaders(user), payload: { label: 'crm' } });
    expect(key.statusCode).toBe(201);
    expect(key.json().data).toMatchObject({ sessionId: 'shop', label: 'crm' });
    expect(await gw.core.apiKeys.listSessionKeys('shop')).toHaveLength(1);

    const docs = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths).some((p) => p.startsWith('/dashboard/api/v1'))).toBe(false);
    expect(Object.keys(docs.paths)).toContain('/api/v1/webhooks');
  });
});
