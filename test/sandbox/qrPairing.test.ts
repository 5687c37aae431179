import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClient, memoryAuth, pairByQr, trustSandbox } from './helpers.js';

describe('QR pairing against the sandbox', () => {
  let network: SandboxNetwork;
  const clients: TestClient[] = [];

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
    const first = new TestClient(network, auth);
    clients.push(first);
    const qr = await first.qr();
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@[^,]+,[^,]+,[^,]+,[^,]+,1$/);
    expect(network.connections()).toEqual([{ noiseKey: first.noiseKey, phase: 'registering', jid: null }]);

    const device = await network.scan('15551234567', qr);
    expect(device).toMatchObject({ deviceId: 1, jid: '15551234567:1@s.whatsapp.net', platform: 'Chrome (Mac OS)' });
    expect((await first.close()).code).toBe(515);
    expect(auth.state.creds.me?.id).toBe('15551234567:1@s.whatsapp.net');

    const second = new TestClient(network, auth);
    clients.push(second);
    await second.open();
    expect(network.connections()).toEqual([
      { noiseKey: second.noiseKey, phase: 'logged_in', jid: '15551234567:1@s.whatsapp.net' },
    ]);
    expect(network.devices('15551234567')[0]?.connected).toBe(true);
  });
});
