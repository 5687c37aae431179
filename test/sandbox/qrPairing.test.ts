import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxError, SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClient, memoryAuth, trustSandbox, type ClientOptions } from './helpers.js';

const PHONE = '15551234567';

describe('QR pairing against the sandbox', () => {
  let network: SandboxNetwork;
  const clients: TestClient[] = [];
  const client = (opts?: ClientOptions, auth = memoryAuth()) => {
    const c = new TestClient(network, auth, opts);
    clients.push(c);
    return c;
  };

  const restart = async (opts?: Parameters<typeof SandboxNetwork.start>[0]) => {
    await network.stop();
    network = await SandboxNetwork.start(opts);
    trustSandbox(network);
  };

  beforeEach(async () => {
    network = await SandboxNetwork.start();
    trustSandbox(network);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.end();
    await network.stop();
  });

  it('shows a QR, links on scan, restarts with 515 and logs in', async () => {
    const auth = memoryAuth();
    const first = client({}, auth);
    const qr = await first.qr();
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@[^,]+,[^,]+,[^,]+,[^,]+,1$/);
    expect(network.connections()).toEqual([{ noiseKey: first.noiseKey, phase: 'registering', jid: null }]);

    const device = await network.scan(PHONE, qr);
    expect(device).toMatchObject({ deviceId: 1, jid: `${PHONE}:1@s.whatsapp.net`, platform: 'Chrome (Mac OS)' });
    expect(device.lid).toBe(`${network.phone(PHONE)!.lid}:1@lid`);
    expect((await first.close()).code).toBe(515);
    expect(auth.state.creds.me?.id).toBe(`${PHONE}:1@s.whatsapp.net`);

    const second = client({}, auth);
    await second.open();
    expect(network.connections()).toEqual([{ noiseKey: second.noiseKey, phase: 'logged_in', jid: `${PHONE}:1@s.whatsapp.net` }]);
    expect(auth.state.creds.me?.lid).toBe(device.lid);
    expect(network.devices(PHONE)).toEqual([expect.objectContaining({ deviceId: 1, connected: true })]);
  });

  it('gives each further device of the same phone the next device id', async () => {
    const a = client();
    await network.scan(PHONE, await a.qr());
    const b = client();
    const second = await network.scan(PHONE, await b.qr());
    expect(second.deviceId).toBe(2);
    expect(network.devices(PHONE).map((d) => d.deviceId)).toEqual([1, 2]);
  });

  it('rejects malformed and unknown QR strings and links nothing', async () => {
    const c = client();
    const qr = await c.qr();
    await expect(network.scan(PHONE, 'hello')).rejects.toMatchObject({ code: 'INVALID_QR' });
    const forged = qr.replace(/#2@[^,]+,/, `#2@${randomBytes(33).toString('base64')},`);
    await expect(network.scan(PHONE, forged)).rejects.toMatchObject({ code: 'INVALID_QR' });
    const otherKey = qr.replace(/,([^,]+),/, `,${randomBytes(32).toString('base64')},`);
    await expect(network.scan(PHONE, otherKey)).rejects.toMatchObject({ code: 'INVALID_QR' });
    expect(network.devices(PHONE)).toEqual([]);
    expect(c.closed).toBeNull();
    // The genuine QR still works afterwards.
    await expect(network.scan(PHONE, qr)).resolves.toMatchObject({ deviceId: 1 });
  });

  it('refuses an expired ref but honours the one on screen', async () => {
    await restart({ qrRefTtlMs: 800 });
    const c = client({ qrTimeout: 800 });
    const firstQr = await c.qr(1);
    const secondQr = await c.qr(2);
    const err = await network.scan(PHONE, firstQr).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err).toMatchObject({ code: 'QR_EXPIRED' });
    expect(network.devices(PHONE)).toEqual([]);
    await expect(network.scan(PHONE, secondQr)).resolves.toMatchObject({ deviceId: 1 });
  });

  it('closes with 408 when the refs run out, and refuses that QR afterwards', async () => {
    await restart({ qrRefTtlMs: 300, refsPerPairDevice: 2 });
    const c = client({ qrTimeout: 300 });
    const qr = await c.qr(1);
    expect((await c.close()).code).toBe(408);
    expect(c.qrs).toHaveLength(2);
    await expect(network.scan(PHONE, qr)).rejects.toMatchObject({ code: 'NO_SUCH_CONNECTION' });
    expect(network.phone(PHONE)).toBeUndefined();
  });

  it('refuses a companion whose device signature does not verify', async () => {
    const auth = memoryAuth();
    const c = client({}, auth);
    const qr = await c.qr();
    // The companion now signs with a key that does not match the identity it registered.
    auth.state.creds.signedIdentityKey.private = randomBytes(32);
    await expect(network.scan(PHONE, qr)).rejects.toMatchObject({ code: 'PAIRING_REFUSED' });
    expect(network.devices(PHONE)).toEqual([]);
    expect((await c.close()).code).toBe(401);
  });

  it('accepts the ED routing-info intro header a client sends once it has routing info', async () => {
    const auth = memoryAuth();
    auth.state.creds.routingInfo = Buffer.from('sandbox-edge');
    const c = client({}, auth);
    await expect(c.qr()).resolves.toContain('linked_devices#2@');
  });

  it('refuses a registration whose signed pre-key its identity did not sign', async () => {
    const auth = memoryAuth();
    auth.state.creds.signedPreKey.signature = Buffer.alloc(64, 7);
    const c = client({}, auth);
    expect((await c.close()).code).toBe(400);
    expect(c.qrs).toEqual([]);
  });
});
