import { afterEach, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClientV6, memoryAuthV6, reloadedAuthV6 } from './helpersV6.js';

/** Poll until the phone shows `count` messages (delivery happens after sendMessage resolves). */
async function inbox(net: SandboxNetwork, phone: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = net.messages(phone);
    if (messages.length >= count || Date.now() > deadline) return messages;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sandbox with the previous engine generation (@whiskeysockets/baileys 6, dictionary 2)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('pairs by QR, logs in again after the restart, and sends a text to a phone', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    net.createPhone('15550002222', 'Bob');
    const auth = memoryAuthV6();
    const first = new TestClientV6(net, auth);
    cleanup.push(() => first.end());
    const device = await net.scan('15550001111', await first.qr());
    expect(device).toMatchObject({ deviceId: 1, jid: '15550001111:1@s.whatsapp.net' });
    expect((await first.close()).code).toBe(515);

    const client = new TestClientV6(net, auth);
    cleanup.push(() => client.end());
    await client.open();
    expect(net.connections()).toEqual([expect.objectContaining({ phase: 'logged_in', jid: '15550001111:1@s.whatsapp.net' })]);

    const sent = await client.sock.sendMessage('15550002222@s.whatsapp.net', { text: 'hi Bob, from baileys 6' });
    expect(await inbox(net, '15550002222', 1)).toEqual([
      expect.objectContaining({ id: sent!.key.id, from: '15550001111', text: 'hi Bob, from baileys 6' }),
    ]);
  });

  it('pairs by pairing code and logs in again from saved creds after the process restarts', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    const auth = memoryAuthV6();
    const first = new TestClientV6(net, auth);
    cleanup.push(() => first.end());
    await first.qr();
    const code = await first.sock.requestPairingCode('15557654321');
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/);
    await expect(net.enterCode('15557654321', 'ZZZZZZZZ')).rejects.toMatchObject({ code: 'WRONG_CODE' });
    expect(await net.enterCode('15557654321', code)).toMatchObject({ deviceId: 1, jid: '15557654321:1@s.whatsapp.net' });
    expect((await first.close()).code).toBe(515);

    const second = new TestClientV6(net, auth);
    await second.open();
    second.end();
    await second.close();

    // A "restart": the saved creds (JSON round trip) on a new socket log straight in, no QR.
    const restarted = new TestClientV6(net, reloadedAuthV6(auth));
    cleanup.push(() => restarted.end());
    await restarted.open();
    expect(restarted.qrs).toEqual([]);
    expect(net.devices('15557654321')).toEqual([expect.objectContaining({ deviceId: 1, connected: true })]);
    const sent = await restarted.sock.sendMessage('15557654321@s.whatsapp.net', { text: 'note to self' });
    expect(await inbox(net, '15557654321', 1)).toEqual([expect.objectContaining({ id: sent!.key.id, text: 'note to self' })]);
  });
});
