/**
 * Session lists page: the native list by cursor (with state and text
 * filters), WAHA's by limit/offset/sortBy/sortOrder, GOWA's by limit/offset.
 * A bad paging parameter is a 400 in the surface's envelope.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, createDialectTestApp, type DialectTestApp } from '../dialects/helpers.js';

let t: DialectTestApp;
const ids = ['s01', 's02', 's03', 's04', 's05', 's06', 's07'];

beforeEach(async () => {
  t = await createDialectTestApp({ WAGATE_GOWA_USERS: 'u:p' });
  // One at a time, so creation order is the id order.
  for (const [i, id] of ids.entries()) {
    await t.gw.core.sessions.create({ sessionId: id, displayName: i === 2 ? 'Support Line' : null });
  }
});
afterEach(async () => t.close());

const admin = () => ({ authorization: `Bearer ${t.adminKey}` });

describe('native GET /api/v1/sessions', () => {
  it('walks every session once, in pages of limit, by nextCursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/sessions?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.inject({ url, headers: admin() });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { data: Array<{ sessionId: string }>; nextCursor: string | null };
      expect(body.data.length).toBeLessThanOrEqual(3);
      seen.push(...body.data.map((s) => s.sessionId));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });

  it('keeps a cursor valid when sessions come and go', async () => {
    const first = (await t.inject({ url: '/api/v1/sessions?limit=2', headers: admin() })).json() as { nextCursor: string };
    await t.gw.core.sessions.delete('s02');
    await t.gw.core.sessions.delete('s03');
    const next = await t.inject({ url: `/api/v1/sessions?limit=2&cursor=${first.nextCursor}`, headers: admin() });
    expect((next.json() as { data: Array<{ sessionId: string }> }).data.map((s) => s.sessionId)).toEqual(['s04', 's05']);
  });

  it('answers everything without limit (the data array as before), nextCursor null', async () => {
    const body = (await t.inject({ url: '/api/v1/sessions', headers: admin() })).json() as { data: unknown[]; nextCursor: null };
    expect(body.data).toHaveLength(ids.length);
    expect(body.nextCursor).toBeNull();
  });

  it('filters by state and by text in id or display name', async () => {
    await t.gw.core.sessions.connect('s05');
    await t.waitState('s05', 'qr');
    const byState = (await t.inject({ url: '/api/v1/sessions?state=qr', headers: admin() })).json() as { data: Array<{ sessionId: string }> };
    expect(byState.data.map((s) => s.sessionId)).toEqual(['s05']);
    const byName = (await t.inject({ url: '/api/v1/sessions?q=support', headers: admin() })).json() as { data: Array<{ sessionId: string }> };
    expect(byName.data.map((s) => s.sessionId)).toEqual(['s03']);
    const byId = (await t.inject({ url: '/api/v1/sessions?q=S0', headers: admin() })).json() as { data: unknown[] };
    expect(byId.data).toHaveLength(ids.length);
  });

  it('refuses a bad cursor, limit or state with 400 in the native envelope', async () => {
    for (const query of ['cursor=nonsense', 'limit=0', 'limit=abc', 'state=asleep', 'limit=100000']) {
      const res = await t.inject({ url: `/api/v1/sessions?${query}`, headers: admin() });
      expect(res.statusCode, query).toBe(400);
      expect((res.json() as { error: { code: string } }).error.code, query).toBe('VALIDATION_FAILED');
    }
  });
});

describe('WAHA GET /api/sessions', () => {
  const names = async (query: string) => {
    const res = await t.inject({ url: `/compat/waha/api/sessions?all=true&${query}`, headers: { 'x-api-key': t.adminKey } });
    expect(res.statusCode, query).toBe(200);
    return (res.json() as Array<{ name: string }>).map((s) => s.name);
  };

  it('pages by limit and offset and sorts by sortBy/sortOrder', async () => {
    expect(await names('')).toEqual(ids);
    expect(await names('limit=2&offset=3')).toEqual(['s04', 's05']);
    expect(await names('sortBy=name&sortOrder=desc&limit=3')).toEqual(['s07', 's06', 's05']);
    expect(await names('offset=6')).toEqual(['s07']);
  });

  it('refuses bad paging with 400 in WAHA\'s envelope', async () => {
    const res = await t.inject({ url: '/compat/waha/api/sessions?limit=-1', headers: { 'x-api-key': t.adminKey } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const sort = await t.inject({ url: '/compat/waha/api/sessions?sortBy=nope', headers: { 'x-api-key': t.adminKey } });
    expect(sort.statusCode).toBe(400);
  });
});

describe('GOWA GET /devices', () => {
  it('pages by limit and offset', async () => {
    const res = await t.inject({ url: '/compat/gowa/devices?limit=2&offset=1', headers: { authorization: basic('u', 'p') } });
    expect(res.statusCode).toBe(200);
    const results = (res.json() as { results: Array<{ device_id?: string; id?: string }> }).results;
    expect(results).toHaveLength(2);
    expect(JSON.stringify(results)).toContain('s02');
    const bad = await t.inject({ url: '/compat/gowa/devices?limit=x', headers: { authorization: basic('u', 'p') } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: expect.any(String) });
  });
});
