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
