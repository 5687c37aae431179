/** mountDialects: /compat/<name> for all, root paths for WAGATE_ROOT_DIALECT, clear start-up errors. */
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { allDialects, assertNoRootCollisions, mountDialects, pathsCollide, resolveRootDialects } from '../../../src/api/dialects.js';
import { loadConfig } from '../../../src/config.js';
import { createTestGateway } from '../../support/harness.js';
import { basic, createDialectTestApp, json, type DialectTestApp } from './helpers.js';

describe('mountDialects', () => {
  let t: DialectTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('exports the five dialects by name', () => {
    expect(allDialects.map((d) => d.name)).toEqual(['bridge', 'gomulti', 'gowa', 'wawp', 'waha', 'evolution']);
  });

  it('serves a root dialect at its clients’ paths, in its own envelope, beside /compat and the native API', async () => {
    t = await createDialectTestApp({ WAGATE_ROOT_DIALECT: 'waha' });
    const root = await t.inject({ method: 'POST', url: '/api/sessions', headers: { 'x-api-key': t.adminKey }, payload: { name: 'default' } });
    expect(root.statusCode).toBe(201);
    expect(json(root).name).toBe('default');
    const compat = await t.inject({ method: 'GET', url: '/compat/waha/api/sessions/default', headers: { 'x-api-key': t.adminKey } });
    expect(json(compat).name).toBe('default');
    // The native API keeps its own routes and envelope.
    const native = await t.inject({ method: 'GET', url: '/api/v1/sessions/default', headers: { authorization: `Bearer ${t.adminKey}` } });
    expect(native.statusCode).toBe(200);
    const nativeMissing = await t.inject({ method: 'GET', url: '/api/v1/nothing', headers: { authorization: `Bearer ${t.adminKey}` } });
    expect(nativeMissing.statusCode).toBe(404);
    expect(json(nativeMissing).error).toMatchObject({ code: 'NOT_FOUND' });
    // Unknown paths under the dialect's root prefix answer in the dialect's envelope.
    const unknown = await t.inject({ method: 'GET', url: '/api/sessions/default/nothing/here', headers: { 'x-api-key': t.adminKey } });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown)).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('accepts a comma-separated list of root dialects that do not collide', async () => {
    t = await createDialectTestApp({ WAGATE_ROOT_DIALECT: 'bridge, gowa ,wawp', WAGATE_GOWA_USERS: 'u:p' });
    expect((await t.inject({ method: 'GET', url: '/session/status' })).json()).toEqual({ connected: false });
    expect((await t.inject({ method: 'GET', url: '/devices', headers: { authorization: basic('u', 'p') } })).statusCode).toBe(200);
    const wawp = await t.inject({ method: 'POST', url: `/v2/session/create?access_token=${t.adminKey}` });
    expect(wawp.statusCode).toBe(200);
    // gowa's QR links point at the root when gowa is mounted there.
    await t.inject({ method: 'POST', url: '/devices', headers: { authorization: basic('u', 'p') }, payload: { device_id: 'd1' } });
    const login = await t.inject({ method: 'GET', url: '/devices/d1/login', headers: { authorization: basic('u', 'p') } });
    const link = (login.json() as { results: { qr_link: string } }).results.qr_link;
    expect(link).toMatch(/^http:\/\/localhost:80\/statics\/images\/qrcode\/scan-qr-.+\.png$/);
    expect((await t.inject({ method: 'GET', url: new URL(link).pathname })).statusCode).toBe(200);
    const missing = await t.inject({ method: 'GET', url: '/session/unknown' });
    expect(missing.statusCode).toBe(404);
    expect(Object.keys(json(missing))).toEqual(['error']);
  });

  it('refuses to start with two root dialects whose paths collide, naming both', () => {
    expect(() => assertNoRootCollisions(resolveRootDialects('gomulti,gowa'))).toThrow(/"gomulti" and "gowa" collide: \/devices/);
  });

  it('refuses a root dialect that collides with a native path, naming both', () => {
    const fake = { name: 'evil', rootPaths: ['/api/v1/things'], plugin: async () => undefined };
    expect(() => assertNoRootCollisions([fake])).toThrow(/"evil" path \/api\/v1\/things collides with the native path \/api\/v1/);
    expect(() => assertNoRootCollisions([{ ...fake, rootPaths: ['/metrics'] }])).toThrow(/\/metrics/);
  });

  it('an unknown root dialect is a start-up error listing the valid ones', async () => {
    expect(() => resolveRootDialects('wahaa')).toThrow(/Unknown root dialect "wahaa".*bridge, gomulti, gowa, wawp, waha/);
    const gw = await createTestGateway();
    const app = Fastify();
    try {
      const config = loadConfig({ DATA_DIR: gw.dataDir }, []);
      await expect(mountDialects(app, { core: gw.core, config, rootDialect: 'gomulti,gowa' })).rejects.toThrow(/collide/);
    } finally {
      await app.close();
      await gw.close();
    }
  });

  it('path collision rules: segment prefixes collide; a parameter segment does not shadow a static one', () => {
    expect(pathsCollide('/devices', '/devices')).toBe(true);
    expect(pathsCollide('/api', '/api/v1')).toBe(true);
    expect(pathsCollide('/api/sessions', '/api/v1')).toBe(false);
    expect(pathsCollide('/api/:session/auth', '/api/v1')).toBe(false);
    expect(pathsCollide('/session', '/sessions')).toBe(false);
    // Every dialect can be the root dialect on its own.
    for (const dialect of allDialects) expect(() => assertNoRootCollisions([dialect])).not.toThrow();
  });
});
