import { spawn, type ChildProcess } from 'node:child_process';
import { WA_CERT_DETAILS } from 'baileys';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClient, memoryAuth } from './helpers.js';
import { TestClientV6, memoryAuthV6 } from './helpersV6.js';

interface Ready {
  url: string;
  controlUrl: string;
  mediaHost: string;
  rootPublicKey: string;
  rootSerial: number;
}

/** `npm run sandbox:network` as a child process; resolves on its SANDBOX_READY line. */
function startStandalone(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', '--port', '0', '--control-port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no SANDBOX_READY within 20 s: ${out} ${err}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = /^SANDBOX_READY (.+)$/m.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(line[1]!) as Ready });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code}: ${err}`));
    });
  });
}

async function control<T>(ready: Ready, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${ready.controlUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

describe('standalone sandbox network (npm run sandbox:network)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('runs as its own process: a real engine pairs through its control API, logs in and sends a text; SIGTERM stops it', async () => {
    const { child, ready } = await startStandalone();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    expect(ready.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/chat$/);
    expect(await control(ready, 'GET', '/health')).toEqual({ status: 200, body: { data: { status: 'ok', url: ready.url, phones: 0, connections: 0 } } });
    const trust = await control<{ data: { rootPublicKey: string; rootSerial: number } }>(ready, 'GET', '/trust');
    expect(trust.body.data.rootPublicKey).toBe(ready.rootPublicKey);

    expect((await control(ready, 'POST', '/phones', { phoneNumber: '+1 555 000 2222', name: 'Bob' })).status).toBe(201);
    expect((await control(ready, 'POST', '/phones', { phoneNumber: '15550002222' })).body).toMatchObject({ error: { code: 'PHONE_EXISTS' } });
    expect((await control(ready, 'POST', '/phones', { phoneNumber: 'abc' })).status).toBe(400);

    // What an outside developer does: point the engine at the URL and trust the root key.
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(ready.rootPublicKey, 'base64');
    WA_CERT_DETAILS.SERIAL = ready.rootSerial;
    const remote = { url: ready.url } as SandboxNetwork;
    const auth = memoryAuth();
    const first = new TestClient(remote, auth);
    cleanup.push(() => first.end());
    const scanned = await control(ready, 'POST', '/phones/15550001111/scan', { qr: await first.qr() });
    expect(scanned).toMatchObject({ status: 200, body: { data: { deviceId: 1, jid: '15550001111:1@s.whatsapp.net' } } });
    expect((await first.close()).code).toBe(515);
    const client = new TestClient(remote, auth);
    cleanup.push(() => client.end());
    await client.open();
    const sent = await client.sock.sendMessage('15550002222@s.whatsapp.net', { text: 'hello from outside' });

    // The previous generation pairs against the same process by code.
    const v6 = new TestClientV6(ready.url, memoryAuthV6());
    cleanup.push(() => v6.end());
    await v6.qr();
    const code = await v6.sock.requestPairingCode('15550003333');
    expect((await control(ready, 'POST', '/phones/15550003333/link-code', { code: 'WRONGONE' })).body).toMatchObject({ error: { code: 'WRONG_CODE' } });
    expect((await control(ready, 'POST', '/phones/15550003333/link-code', { code })).status).toBe(200);
    expect((await v6.close()).code).toBe(515);

    const deadline = Date.now() + 10_000;
    let messages: Array<{ id: string; text: string }> = [];
    while (Date.now() < deadline && messages.length === 0) {
      messages = (await control<{ data: typeof messages }>(ready, 'GET', '/phones/15550002222/messages')).body.data;
      if (!messages.length) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(messages).toEqual([expect.objectContaining({ id: sent!.key.id, text: 'hello from outside' })]);
    expect((await control(ready, 'GET', '/phones/15559999999/messages')).status).toBe(404);

    client.end();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
