/**
 * What a freshly linked device receives from the phone (SandboxOptions.accountContent),
 * and what a device that was offline gets when it comes back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClient, pairByQr, trustSandbox, memoryAuth } from './helpers.js';
import { Observed, eventually } from './observe.js';

describe('sandbox: a realistic account', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('a new device gets the app-state keys and a history sync with the contacts and groups, in the amounts asked for', async () => {
    const net = await SandboxNetwork.start({ accountContent: { contacts: 30, groups: 4, groupSize: 6 } });
    cleanup.push(() => net.stop());
    trustSandbox(net);
    const auth = memoryAuth();
    const first = new TestClient(net, auth, { syncHistory: true });
    await net.scan('15550301001', await first.qr());
    await first.close();
    const client = new TestClient(net, auth, { syncHistory: true });
    cleanup.push(() => client.end());
    const seen = new Observed(client);
    await client.open();

    const history = await eventually(() => seen.history[0], 'the history sync');
    expect(history.contacts).toBe(30 + 4);
    expect(history.chats.filter((c) => c.endsWith('@g.us'))).toHaveLength(4);
    await eventually(() => auth.state.creds.myAppStateKeyId, 'the app-state sync key');
    const groups = await client.sock.groupFetchAllParticipating();
    expect(Object.values(groups).map((g) => g.participants.length)).toEqual([6, 6, 6, 6]);
    // The developer's side lists the same groups for the account (what the bench's phones write to).
    const listed = net.conversations.groupsOf('15550301001');
    expect(listed.map((g) => g.id).sort()).toEqual(Object.keys(groups).sort());
    expect(listed.every((g) => g.participants.includes('15550301001'))).toBe(true);
    // Contacts are real accounts of the network: the device can write to them.
    expect(net.listPhones().length).toBe(31);

    // A second account shares the contact pool (nothing new is created for it).
    await pairByQr(net, '15550301002').then(({ client: other }) => cleanup.push(() => other.end()));
    expect(net.listPhones().length).toBe(32);
  });

  it('without accountContent a new device gets nothing pushed', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    trustSandbox(net);
    const { client } = await pairByQr(net, '15550301003');
    cleanup.push(() => client.end());
    const seen = new Observed(client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.stanzas).toEqual([]);
  });

  it('a device that was offline gets what it missed, marked offline, when it comes back', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    trustSandbox(net);
    net.createPhone('15550301005', 'Eve');
    const { client, auth } = await pairByQr(net, '15550301004');
    client.end();
    await client.close();
    const { id } = await net.conversations.sendText('15550301005', '15550301004', 'while you were away');
    net.conversations.sendPresence('15550301005', '15550301004', 'composing'); // ephemeral: dropped, not queued

    const again = new TestClient(net, auth);
    cleanup.push(() => again.end());
    const seen = new Observed(again);
    await again.open();
    expect(await eventually(() => seen.text(id), 'the missed message')).toMatchObject({ text: 'while you were away', fromMe: false });
    expect(seen.stanzas.find((s) => s.id === id)?.offline).toBe(true);
    expect(seen.presences).toEqual([]);
    await eventually(() => net.messages('15550301005').find((m) => m.id === id)?.receipts.some((r) => r.deviceId > 0), 'the delivery receipt');
  });
});

describe('sandbox: an account with two linked devices', () => {
  it('both devices get what a phone sends; what one device sends reaches the other as its own copy', async () => {
    const net = await SandboxNetwork.start();
    trustSandbox(net);
    net.createPhone('15550302001', 'Gina');
    const first = await pairByQr(net, '15550302002');
    const second = await pairByQr(net, '15550302002');
    try {
      expect(net.devices('15550302002').map((d) => d.deviceId)).toEqual([1, 2]);
      const seen1 = new Observed(first.client);
      const seen2 = new Observed(second.client);
      const { id } = await net.conversations.sendText('15550302001', '15550302002', 'to both');
      for (const seen of [seen1, seen2]) {
        expect(await eventually(() => seen.text(id), 'the text on each device')).toMatchObject({ fromMe: false, text: 'to both' });
      }
      const out = await eventually(() => net.messages('15550302001').find((m) => m.id === id && m.receipts.filter((r) => r.deviceId > 0).length === 2), 'receipts from both devices');
      expect(out.receipts.map((r) => r.deviceId).sort()).toEqual([0, 1, 2]);

      const sent = await first.client.sock.sendMessage('15550302001@s.whatsapp.net', { text: 'from device 1' });
      const copy = await eventually(() => seen2.text(sent!.key.id!), 'the copy on device 2');
      expect(copy).toMatchObject({ fromMe: true, remoteJid: '15550302001@s.whatsapp.net', text: 'from device 1' });
      expect(await eventually(() => net.messages('15550302001').find((m) => m.id === sent!.key.id), 'on Gina\'s phone')).toMatchObject({ from: '15550302002' });
    } finally {
      first.client.end();
      second.client.end();
      await net.stop();
    }
  });
});
