/**
 * Issue 18 item 18: the README's sandbox steps, run as written (bash, curl,
 * node) against a sandbox gateway with the real engine: the pairing code
 * captured into a shell variable links the session, another simulated phone
 * can be added, and a developer retrying is not rate limited.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ADMIN_KEY, startE2E, type E2E } from '../support/e2e.js';

const run = promisify(execFile);
const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const shellBlocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const blockWith = (text: string): string => {
  const found = shellBlocks.filter((b) => b.includes(text));
  expect(found, `one README sh block containing ${text}`).toHaveLength(1);
  return found[0]!;
};

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.close());

async function bash(script: string): Promise<string> {
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
    env: { ...process.env, GW: e2e.client.baseUrl, KEY: E2E_ADMIN_KEY },
    timeout: 30_000,
  });
  return stdout;
}

/** One pairing code for the sandbox phone from each of `n` new sessions; the answers' statuses. */
async function codesFromFreshSessions(gw: E2E, prefix: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    expect((await gw.client.post('/api/v1/sessions', { sessionId: id })).status).toBe(201);
    await gw.client.post(`/api/v1/sessions/${id}/connect`);
    await gw.client.waitForState(id, 'qr');
    const res = await gw.client.post(`/api/v1/sessions/${id}/auth/pairing-code`, { phoneNumber: '15550000001' });
    if (res.status !== 200) expect(res.body.error.code).toBe('PAIRING_RATE_LIMITED');
    statuses.push(res.status);
    await gw.client.call('DELETE', `/api/v1/sessions/${id}`);
  }
  return statuses;
}

describe('README sandbox walk-through', () => {
  it('uses the sandbox\'s phone in the pairing example and in the sandbox steps alike', () => {
    const walkThrough = README.slice(README.indexOf('## Walk-through'), README.indexOf('## Messages'));
    const numbers = new Set([...walkThrough.matchAll(/"phoneNumber":"(\d+)"/g)].map((m) => m[1]));
    numbers.delete('15550000002'); // the added second phone
    expect([...numbers]).toEqual(['15550000001']);
    expect([...walkThrough.matchAll(/\/sandbox\/phones\/(\d+)\//g)].every((m) => m[1] === '15550000001')).toBe(true);
  });

  it('retrying pairing codes is not limited in the sandbox; the captured code links the session', async () => {
    // A developer retrying with fresh sessions asks for more than the 3 codes per 10 minutes a real number gets.
    const statuses = await codesFromFreshSessions(e2e, 'retry', 4);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect((await e2e.client.post('/api/v1/sessions', { sessionId: 'support' })).status).toBe(201);
    expect((await e2e.client.post('/api/v1/sessions/support/connect')).status).toBe(202);
    await e2e.client.waitForState('support', 'qr');
    const out = await bash(blockWith('CODE=$('));
    expect(out).toMatch(/^pairing code: [A-Z0-9]{4}-[A-Z0-9]{4}$/m);
    const status = await e2e.client.waitForState('support', 'connected');
    expect(status.me.phoneNumber).toBe('15550000001');
  });

  it('adds another simulated phone', async () => {
    const out = await bash(blockWith('"phoneNumber":"15550000002"'));
    expect(JSON.parse(out).data).toMatchObject({ phoneNumber: '15550000002' });
    const phones = (await e2e.client.get('/sandbox/phones')).body.data as Array<{ phoneNumber: string }>;
    expect(phones.map((p) => p.phoneNumber)).toContain('15550000002');
  });
});

describe('WAGATE_SANDBOX_PAIRING_CODES', () => {
  it('sets a limit for simulated phones when a developer wants one', async () => {
    const limited = await startE2E({ env: { WAGATE_SANDBOX_PAIRING_CODES: '2' } });
    try {
      expect(await codesFromFreshSessions(limited, 'limited', 3)).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
