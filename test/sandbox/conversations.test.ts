import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { pairByQr, trustSandbox, type TestClient } from './helpers.js';
import { Observed, eventually } from './observe.js';

const ALICE = '15550201001';
const BOB = '15550202002';

let net: SandboxNetwork;
let alice: TestClient;
let bob: TestClient;
let seenA: Observed;
let seenB: Observed;

beforeAll(async () => {
  net = await SandboxNetwork.start();
  trustSandbox(net);
  net.createPhone(ALICE, 'Alice');
  net.createPhone(BOB, 'Bob');
  alice = (await pairByQr(net, ALICE)).client;
  bob = (await pairByQr(net, BOB)).client;
  seenA = new Observed(alice);
  seenB = new Observed(bob);
});

afterAll(async () => {
  alice?.end();
  bob?.end();
  await net?.stop();
});

describe('sandbox conversations: 1:1', () => {
  it('a phone writes to a linked account: its device gets it, the sender\'s own device gets the copy', async () => {
    const { id } = await net.conversations.sendText(ALICE, BOB, 'hello Bob');
    const got = await eventually(() => seenB.text(id), 'Bob\'s device to get the text');
    expect(got).toMatchObject({ remoteJid: `${ALICE}@s.whatsapp.net`, fromMe: false, text: 'hello Bob' });
    const copy = await eventually(() => seenA.text(id), 'Alice\'s device to get its copy');
    expect(copy).toMatchObject({ remoteJid: `${BOB}@s.whatsapp.net`, fromMe: true, text: 'hello Bob' });
    expect(seenB.stanzas.find((s) => s.id === id)?.types).toEqual(['pkmsg']);
  });
});

describe('sandbox conversations: replies, receipts, retries', () => {
  it('a device writes back: the contact\'s phone and devices get it; the phone then sends `msg`', async () => {
    const sent = await bob.sock.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'hi Alice' });
    const id = sent!.key.id!;
    // Alice's linked device gets Bob's message; Alice's phone files it.
    expect(await eventually(() => seenA.text(id), 'Alice\'s device to get Bob\'s text')).toMatchObject({ fromMe: false, text: 'hi Alice' });
    const onPhone = await eventually(() => net.messages(ALICE).find((m) => m.id === id), 'Alice\'s phone to get it');
    expect(onPhone).toMatchObject({ direction: 'in', from: BOB, to: ALICE, text: 'hi Alice' });
    expect(onPhone.receipts.map((r) => r.type)).toEqual(['delivery']);
    // Bob's device hears that it was delivered (Alice's phone and her device both answer).
    await eventually(() => seenB.updates.some((u) => u.key.id === id && (u.update.status ?? 0) >= 3), 'delivery receipt on Bob\'s device');

    // The device has answered on the session: the phone's next message is a plain `msg`.
    const { id: next } = await net.conversations.sendText(ALICE, BOB, 'second');
    await eventually(() => seenB.text(next), 'second message');
    expect(seenB.stanzas.find((s) => s.id === next)?.types).toEqual(['msg']);
  });

  it('the phone records delivery and read receipts from the recipient\'s devices; the phone\'s read receipt reaches the sender', async () => {
    const { id } = await net.conversations.sendText(ALICE, BOB, 'read me');
    const got = await eventually(() => seenB.text(id), 'the text');
    await eventually(() => net.messages(ALICE).find((m) => m.id === id && m.receipts.some((r) => r.by === BOB && r.deviceId > 0)), 'delivery receipt from Bob\'s device');
    await bob.sock.readMessages([got.message.key]);
    const read = await eventually(
      () => net.messages(ALICE).find((m) => m.id === id)?.receipts.find((r) => r.type === 'read' && r.by === BOB),
      'read receipt on Alice\'s phone',
    );
    expect(read.deviceId).toBeGreaterThan(0);
    expect(net.messages(ALICE).find((m) => m.id === id)?.receipts.map((r) => r.type)).toEqual(['delivery', 'delivery', 'read']);

    // The other way: Bob's device writes, Alice's phone reads it, Bob's device sees READ.
    const sent = await bob.sock.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'did you read it?' });
    await eventually(() => net.messages(ALICE).find((m) => m.id === sent!.key.id), 'Alice\'s phone to get it');
    expect(net.conversations.markRead(ALICE, [sent!.key.id!])).toEqual([sent!.key.id]);
    await eventually(() => seenB.updates.some((u) => u.key.id === sent!.key.id && u.update.status === 4), 'READ on Bob\'s device');
  });

  it('a phone that fails to decrypt sends a retry receipt and gets the message again', async () => {
    net.conversations.failNextDecrypts(BOB);
    const sent = await alice.sock.sendMessage(`${BOB}@s.whatsapp.net`, { text: 'again please' });
    const onPhone = await eventually(() => net.messages(BOB).find((m) => m.id === sent!.key.id), 'the message after the retry');
    expect(onPhone.text).toBe('again please');
    expect(onPhone.receipts.map((r) => r.type)).toEqual(['retry', 'delivery']);
  });

  it('a device\'s retry receipt makes the phone send its message again, on a new session', async () => {
    const { id } = await net.conversations.sendText(ALICE, BOB, 'one more time');
    await eventually(() => seenB.text(id), 'the text');
    await bob.sock.sendNode({
      tag: 'receipt',
      attrs: { id, to: `${ALICE}@s.whatsapp.net`, type: 'retry' },
      content: [{ tag: 'retry', attrs: { count: '1', id, t: String(Math.floor(Date.now() / 1000)), v: '1' } }],
    });
    const again = await eventually(() => seenB.stanzas.find((s) => s.id === id && s.counts[0] === '1'), 'the message again');
    expect(again.types).toEqual(['pkmsg']);
    expect(net.messages(ALICE).find((m) => m.id === id)?.receipts.some((r) => r.type === 'retry' && r.by === BOB)).toBe(true);
  });
});
