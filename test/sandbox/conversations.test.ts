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
    await eventually(() => seenB.status(id) >= 3, 'delivery receipt on Bob\'s device');

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
    await eventually(() => seenA.text(sent!.key.id!), 'Alice\'s device to get it');
    await eventually(() => seenB.status(sent!.key.id!) === 3, 'delivered');
    expect(net.conversations.markRead(ALICE, [sent!.key.id!])).toEqual([sent!.key.id]);
    await eventually(() => seenB.status(sent!.key.id!) === 4, 'READ on Bob\'s device');
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

describe('sandbox conversations: groups', () => {
  const CAROL = '15550203003';
  let groupId: string;

  it('a group among phones and linked devices: created with a notification, skmsg both ways', async () => {
    const group = net.conversations.createGroup('Team', [ALICE, BOB, CAROL]);
    groupId = group.id;
    expect(group).toMatchObject({ subject: 'Team', participants: [ALICE, BOB, CAROL] });
    await eventually(() => seenB.groupsUpserted.includes(groupId), 'the create notification on Bob\'s device');
    const meta = await bob.sock.groupMetadata(groupId);
    expect(meta.participants.map((p) => p.id).sort()).toEqual([ALICE, BOB, CAROL].map((n) => `${n}@s.whatsapp.net`));

    // A device writes to the group: sender key distributed pairwise, text as skmsg; every phone decrypts.
    const sent = await bob.sock.sendMessage(groupId, { text: 'hello team' });
    const id = sent!.key.id!;
    for (const phone of [ALICE, CAROL]) {
      const got = await eventually(() => net.messages(phone).find((m) => m.id === id), `${phone} to get the group text`);
      expect(got).toMatchObject({ direction: 'in', from: BOB, to: groupId, text: 'hello team' });
    }
    const onAlice = await eventually(() => seenA.text(id), 'Alice\'s device to get it');
    expect(onAlice).toMatchObject({ remoteJid: groupId, fromMe: false, text: 'hello team' });
    // The sender key rides pairwise (pkmsg, or msg on the session the 1:1 chat made), the text as skmsg.
    expect(seenA.stanzas.find((s) => s.id === id)?.types).toEqual([expect.stringMatching(/^(pkmsg|msg)$/), 'skmsg']);
    // Receipts from the group reach the sender's device, participant by participant.
    await eventually(() => seenB.hasGroupReceipt(id, `${CAROL}@s.whatsapp.net`), 'Carol\'s receipt');

    // A phone writes to the group: devices get its sender key once, then skmsg alone.
    const first = await net.conversations.sendText(CAROL, groupId, 'from Carol');
    const second = await net.conversations.sendText(CAROL, groupId, 'again from Carol');
    for (const seen of [seenA, seenB]) {
      expect(await eventually(() => seen.text(first.id), 'first')).toMatchObject({ remoteJid: groupId, text: 'from Carol' });
      expect(await eventually(() => seen.text(second.id), 'second')).toMatchObject({ remoteJid: groupId, text: 'again from Carol' });
      // Pairwise on the session Bob's device started with Carol's phone, or a new one.
      expect(seen.stanzas.find((s) => s.id === first.id)?.types).toEqual([expect.stringMatching(/^(pkmsg|msg)$/), 'skmsg']);
      expect(seen.stanzas.find((s) => s.id === second.id)?.types).toEqual(['skmsg']);
    }
    expect(net.messages(ALICE).find((m) => m.id === first.id)).toMatchObject({ from: CAROL, to: groupId, text: 'from Carol' });
    const out = await eventually(() => net.messages(CAROL).find((m) => m.id === first.id && m.receipts.length >= 4), 'receipts on Carol\'s message');
    expect(new Set(out.receipts.map((r) => `${r.by}:${r.deviceId > 0 ? 'device' : 'phone'}`))).toEqual(
      new Set([`${ALICE}:phone`, `${ALICE}:device`, `${BOB}:phone`, `${BOB}:device`]),
    );
  });

  it('participants removed and added: each device gets the w:gp2 notification; metadata follows', async () => {
    const DAVE = '15550204004';
    net.conversations.removeParticipant(groupId, CAROL);
    await eventually(() => seenB.groupEvents.find((e) => e.id === groupId && e.action === 'remove'), 'remove notification');
    net.conversations.addParticipant(groupId, DAVE);
    const added = await eventually(() => seenA.groupEvents.find((e) => e.id === groupId && e.action === 'add'), 'add notification');
    expect(added.participants).toEqual([`${DAVE}@s.whatsapp.net`]);
    const meta = await alice.sock.groupMetadata(groupId);
    expect(meta.participants.map((p) => p.id).sort()).toEqual([ALICE, BOB, DAVE].map((n) => `${n}@s.whatsapp.net`));
    expect(() => net.conversations.addParticipant(groupId, DAVE)).toThrow(expect.objectContaining({ code: 'ALREADY_A_PARTICIPANT' }));
    expect(() => net.conversations.removeParticipant(groupId, CAROL)).toThrow(expect.objectContaining({ code: 'NOT_A_PARTICIPANT' }));

    // The removed phone no longer gets the group's messages; the new one does.
    const sent = await alice.sock.sendMessage(groupId, { text: 'after the change' });
    await eventually(() => net.messages(DAVE).find((m) => m.id === sent!.key.id), 'Dave to get it');
    expect(net.messages(CAROL).some((m) => m.id === sent!.key.id)).toBe(false);
    // A phone that is no longer a participant cannot write to the group.
    await expect(net.conversations.sendText(CAROL, groupId, 'let me in')).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
  });
});

describe('sandbox conversations: presence and typing', () => {
  it('relays typing and presence between a phone and a linked device', async () => {
    await bob.sock.presenceSubscribe(`${ALICE}@s.whatsapp.net`);
    await eventually(() => seenB.presences.find((p) => p.id === `${ALICE}@s.whatsapp.net`), 'Alice\'s current presence');
    net.conversations.sendPresence(ALICE, BOB, 'available');
    await eventually(
      () => seenB.presences.find((p) => p.presences[`${ALICE}@s.whatsapp.net`]?.lastKnownPresence === 'available'),
      'Alice available',
    );
    net.conversations.sendPresence(ALICE, BOB, 'composing');
    await eventually(
      () => seenB.presences.find((p) => p.presences[`${ALICE}@s.whatsapp.net`]?.lastKnownPresence === 'composing'),
      'Alice typing',
    );
    await bob.sock.sendPresenceUpdate('composing', `${ALICE}@s.whatsapp.net`);
    const typing = await eventually(() => net.conversations.chatStates(ALICE).find((s) => s.from === BOB), 'Bob typing on Alice\'s phone');
    expect(typing).toMatchObject({ chat: BOB, state: 'composing' });
    // Alice's own linked device sees Bob typing too.
    await eventually(() => seenA.presences.find((p) => p.presences[`${BOB}@s.whatsapp.net`]?.lastKnownPresence === 'composing'), 'on Alice\'s device');
  });
});

describe('sandbox conversations: a group message the phone cannot decrypt', () => {
  it('the phone asks again with a retry receipt; the device sends it to the group again with its sender key', async () => {
    const ERIN = '15550205005';
    const group = net.conversations.createGroup('Retry', [ALICE, ERIN]);
    net.conversations.failNextDecrypts(ERIN);
    const sent = await alice.sock.sendMessage(group.id, { text: 'in the group, again' });
    const got = await eventually(() => net.messages(ERIN).find((m) => m.id === sent!.key.id), 'the group message after the retry');
    expect(got).toMatchObject({ to: group.id, text: 'in the group, again' });
    expect(got.receipts.map((r) => r.type)).toEqual(['retry', 'delivery']);
  });
});

describe('sandbox conversations: group admin from a linked device', () => {
  it('a device creates a group, removes a member and leaves; members\' devices are notified; a non-admin is refused', async () => {
    const FRANK = '15550206006';
    net.createPhone(FRANK, 'Frank');
    const meta = await alice.sock.groupCreate('From a device', [`${BOB}@s.whatsapp.net`, `${FRANK}@s.whatsapp.net`]);
    expect(meta.participants.map((p) => p.id).sort()).toEqual([ALICE, BOB, FRANK].map((n) => `${n}@s.whatsapp.net`));
    expect(net.conversations.group(meta.id)).toMatchObject({ subject: 'From a device', participants: [ALICE, BOB, FRANK] });
    await eventually(() => seenB.groupsUpserted.includes(meta.id), 'the create notification on Bob\'s device');

    const removed = await alice.sock.groupParticipantsUpdate(meta.id, [`${FRANK}@s.whatsapp.net`, '15550299999@s.whatsapp.net'], 'remove');
    expect(removed.map((r) => r.status)).toEqual(['200', '404']);
    await eventually(() => seenB.groupEvents.find((e) => e.id === meta.id && e.action === 'remove'), 'remove notification');
    await expect(bob.sock.groupParticipantsUpdate(meta.id, [`${FRANK}@s.whatsapp.net`], 'add')).rejects.toThrow();
    expect(net.conversations.group(meta.id)?.participants).toEqual([ALICE, BOB]);

    await alice.sock.groupLeave(meta.id);
    // The client reports someone leaving as a removal of that participant.
    await eventually(
      () => seenB.groupEvents.find((e) => e.id === meta.id && e.action === 'remove' && e.participants.includes(`${ALICE}@s.whatsapp.net`)),
      'leave notification',
    );
    expect(net.conversations.group(meta.id)?.participants).toEqual([BOB]);
  });
});
