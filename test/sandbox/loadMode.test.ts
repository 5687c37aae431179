/**
 * Load mode (`SandboxNetwork.start({ load: true })`, what the bench runs)
 * must look exactly like the default mode from a client's side: the same
 * handshake, certificate chain, first stanza, pairing, login and answers,
 * and the same refusals (signatures, QR refs). The light client is the
 * bench's own (bench/lib/loadClient.ts); the real engine is Baileys.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { LoadClient, RefusedError, generateKeyPair, newCreds } from '../../bench/lib/loadClient.js';
import { pairByQr, trustSandbox } from './helpers.js';

const PHONE = '15550004444';

/** What a client can observe of the handshake and the first stanza, minus the random parts. */
async function firstContact(network: SandboxNetwork) {
  const client = await LoadClient.connect({ url: network.url, rootPublicKey: network.rootPublicKey, timeoutMs: 15_000 });
  try {
    const pong = await client.ping(10_000);
    return {
      refs: client.refs.map((ref) => ({ prefix: ref.slice(0, 2), bytes: Buffer.from(ref.slice(2), 'base64').length })),
      pong: typeof pong,
      connections: network.connections(),
      noiseKey: client.noiseKey,
      otherStanzas: client.otherStanzas.map((s) => s.tag),
    };
  } finally {
    client.close();
  }
}

describe('sandbox load mode', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  const start = async (opts: Parameters<typeof SandboxNetwork.start>[0]) => {
    const network = await SandboxNetwork.start(opts);
    cleanup.push(() => network.stop());
    trustSandbox(network);
    return network;
  };

  it('gives a client the same handshake, certificate chain and pair-device stanza as the default mode', async () => {
    const seen = [];
    for (const load of [false, true]) {
      const network = await start({ load });
      const contact = await firstContact(network);
      expect(contact.connections).toEqual([{ noiseKey: contact.noiseKey, phase: 'registering', jid: null }]);
      seen.push({ ...contact, connections: contact.connections.length, noiseKey: undefined });
    }
    expect(seen[0]!.refs).toHaveLength(6);
    expect(seen[0]!.refs[0]).toEqual({ prefix: '2@', bytes: 33 });
    expect(seen[1]).toEqual(seen[0]);
  });

  it('links a real client by QR, restarts it with 515, logs it in and delivers its message', async () => {
    const network = await start({ load: true });
    const { device, restart, client } = await pairByQr(network, PHONE);
    cleanup.push(() => client.end());
    expect(device).toMatchObject({ deviceId: 1, jid: `${PHONE}:1@s.whatsapp.net`, platform: 'Chrome (Mac OS)' });
    expect(restart.code).toBe(515);
    expect(network.connections()).toEqual([{ noiseKey: client.noiseKey, phase: 'logged_in', jid: `${PHONE}:1@s.whatsapp.net` }]);
    expect(network.devices(PHONE)).toEqual([expect.objectContaining({ deviceId: 1, connected: true })]);

    const pong = await client.sock.query({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'get', xmlns: 'w:p' }, content: [{ tag: 'ping', attrs: {} }] });
    expect(pong.attrs.type).toBe('result');

    const sent = await client.sock.sendMessage(`${PHONE}@s.whatsapp.net`, { text: 'load mode' });
    for (let i = 0; i < 200 && network.messages(PHONE).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(network.messages(PHONE)).toEqual([expect.objectContaining({ id: sent!.key.id, from: PHONE, text: 'load mode' })]);
  });

  it('still refuses a registration whose signed pre-key its identity did not sign', async () => {
    const network = await start({ load: true });
    const creds = newCreds();
    const other = newCreds();
    creds.signedPreKey = { ...creds.signedPreKey, signature: other.signedPreKey.signature };
    const refused = await LoadClient.connect({ url: network.url, rootPublicKey: network.rootPublicKey, creds, timeoutMs: 15_000 }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).stanza).toMatchObject({ tag: 'failure', attrs: { reason: '400' } });
  });

  it('still checks QR refs: unknown refs, foreign noise keys and identity keys are refused', async () => {
    const network = await start({ load: true });
    const client = await LoadClient.connect({ url: network.url, rootPublicKey: network.rootPublicKey, timeoutMs: 15_000 });
    cleanup.push(() => client.close());
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    const qr = (ref: string, noise: Uint8Array, identity: Uint8Array) => [ref, b64(noise), b64(identity), b64(randomBytes(32)), '1'].join(',');
    const { noiseKey, identity } = client.creds;
    await expect(network.scan(PHONE, qr(`2@${randomBytes(33).toString('base64')}`, noiseKey.public, identity.public))).rejects.toMatchObject({
      code: 'INVALID_QR',
    });
    await expect(network.scan(PHONE, qr(client.refs[0]!, generateKeyPair().public, identity.public))).rejects.toMatchObject({ code: 'INVALID_QR' });
    await expect(network.scan(PHONE, qr(client.refs[0]!, noiseKey.public, generateKeyPair().public))).rejects.toMatchObject({ code: 'INVALID_QR' });
    expect(network.devices(PHONE)).toEqual([]);
  });

  it('signs its certificate chain for real: a client trusting another root refuses it', async () => {
    const network = await start({ load: true });
    await expect(
      LoadClient.connect({ url: network.url, rootPublicKey: generateKeyPair().public, timeoutMs: 15_000 }),
    ).rejects.toThrow(/certificate signature invalid/);
  });

  it('serves many simultaneous handshakes, each with its own refs', async () => {
    const network = await start({ load: true });
    const clients = await Promise.all(
      Array.from({ length: 100 }, () => LoadClient.connect({ url: network.url, rootPublicKey: network.rootPublicKey, timeoutMs: 25_000 })),
    );
    cleanup.push(() => clients.forEach((c) => c.close()));
    expect(new Set(clients.flatMap((c) => c.refs)).size).toBe(600);
    expect(network.connections()).toHaveLength(100);
    expect(new Set(network.connections().map((c) => c.noiseKey))).toEqual(new Set(clients.map((c) => c.noiseKey)));
    await Promise.all(clients.map((c) => c.ping(20_000)));
  });
});
