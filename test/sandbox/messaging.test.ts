import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClient, pairByQr, trustSandbox } from './helpers.js';

/** Every string (base64) of private key material the sandbox holds in its state file. */
function privateKeysIn(stateFile: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key = ''): void => {
    if (typeof value === 'string' && /priv/i.test(key)) found.push(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(JSON.parse(readFileSync(stateFile, 'utf8')));
  return found;
}

function captureLogs() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, sink) };
}

/** The cipher types the phone decrypted, from the sandbox's own log. */
const receivedTypes = (lines: string[]): string[] =>
  lines.map((l) => JSON.parse(l) as { msg: string; type?: string }).filter((l) => l.msg === 'phone received a message').map((l) => l.type ?? '');

/** Poll until the phone shows `count` messages (delivery happens after sendMessage resolves). */
async function inbox(net: SandboxNetwork, phone: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = net.messages(phone);
    if (messages.length >= count || Date.now() > deadline) return messages;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sandbox messaging', () => {
  const cleanup: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    vi.restoreAllMocks();
  });

  it('a linked device sends a text to its own phone; the phone decrypts it, again on the same session', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'wagate-sandbox-msg-'));
    cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const logs = captureLogs();
    const console_ = [vi.spyOn(console, 'info'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error'), vi.spyOn(console, 'log')];
    const net = await SandboxNetwork.start({ stateDir, logger: logs.logger });
    cleanup.push(() => net.stop());
    trustSandbox(net);
    const { client } = await pairByQr(net, '15550001111');
    cleanup.push(() => client.end());

    const sent = await client.sock.sendMessage('15550001111@s.whatsapp.net', { text: 'Your code is 123456' });
    const [first] = await inbox(net, '15550001111', 1);
    expect(first).toMatchObject({ id: sent!.key.id, from: '15550001111', text: 'Your code is 123456' });
    expect(Date.parse(first!.receivedAt)).not.toBeNaN();

    await client.sock.sendMessage('15550001111@s.whatsapp.net', { text: 'second' });
    const messages = await inbox(net, '15550001111', 2);
    expect(messages.map((m) => m.text)).toEqual(['Your code is 123456', 'second']);
    // The client keeps its pending pre-key (pkmsg) until the phone writes back; the phone reuses the session it made.
    expect(receivedTypes(logs.lines)).toEqual(['pkmsg', 'pkmsg']);

    // No key material in the sandbox's log (even at trace) or on the console.
    const secrets = privateKeysIn(path.join(stateDir, 'sandbox-state.json'));
    expect(secrets.length).toBeGreaterThan(10);
    const logText = logs.lines.join('');
    for (const secret of secrets) expect(logText).not.toContain(secret);
    for (const spy of console_) expect(spy).not.toHaveBeenCalled();
  });

  it('a text to another sandbox account reaches that phone, not the sender\'s', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    trustSandbox(net);
    net.createPhone('15550002222', 'Bob');
    const { client } = await pairByQr(net, '15550001111');
    cleanup.push(() => client.end());

    const sent = await client.sock.sendMessage('15550002222@s.whatsapp.net', { text: 'hi Bob' });
    expect(await inbox(net, '15550002222', 1)).toEqual([expect.objectContaining({ id: sent!.key.id, from: '15550001111', text: 'hi Bob' })]);
    // The sender's phone got its copy (deviceSentMessage) but shows nothing in its own inbox.
    expect(net.messages('15550001111')).toEqual([]);
    expect(net.messages('15550009999')).toEqual([]);
  });

  it('phone sessions and inboxes survive a restart with stateDir', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'wagate-sandbox-msg-'));
    cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const first = await SandboxNetwork.start({ stateDir });
    trustSandbox(first);
    const { client, auth } = await pairByQr(first, '15550003333');
    await client.sock.sendMessage('15550003333@s.whatsapp.net', { text: 'before' });
    await inbox(first, '15550003333', 1);
    client.end();
    await client.close();
    await first.stop();

    const logs = captureLogs();
    const second = await SandboxNetwork.start({ stateDir, logger: logs.logger });
    cleanup.push(() => second.stop());
    expect(second.messages('15550003333').map((m) => m.text)).toEqual(['before']);
    const again = new TestClient(second, auth);
    cleanup.push(() => again.end());
    await again.open();
    await again.sock.sendMessage('15550003333@s.whatsapp.net', { text: 'after' });
    expect((await inbox(second, '15550003333', 2)).map((m) => m.text)).toEqual(['before', 'after']);
    expect(logs.lines.join('')).not.toContain('could not decrypt');
  });
});
