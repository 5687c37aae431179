import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { pairByQr, trustSandbox } from './helpers.js';

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

  it('a linked device sends a text to its own phone; the phone decrypts it', async () => {
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    const net = await SandboxNetwork.start({ logger: pino({ level: 'trace' }, sink) });
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
  });
});
