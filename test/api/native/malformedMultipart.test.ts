/** A malformed multipart/form-data body is the client's 400 in the native envelope, on any native route (found by the route fuzz). */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createNativeTestApp, type NativeTestApp } from './helpers.js';

let t: NativeTestApp;
beforeEach(async () => {
  t = await createNativeTestApp();
  await t.gw.core.sessions.create({ sessionId: 'mp' });
});
afterEach(async () => t.close());

it.each([
  ['DELETE', '/api/v1/sessions/mp'],
  ['POST', '/api/v1/sessions/mp/auth/pairing-code'],
  ['POST', '/api/v1/sessions/mp/messages'],
])('%s %s with a truncated multipart body → 400, nothing changed', async (method, url) => {
  const res = await t.call({ method: method as 'POST', url, headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: 'abc' });
  expect(res.statusCode).toBe(400);
  expect(res.json().error.code).toBe('BAD_REQUEST');
  expect(res.json().error.message).toMatch(/multipart/);
  expect(t.gw.core.sessions.get('mp').state).toBe('created');
});
