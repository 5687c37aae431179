import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, SandboxNetwork, type FaultKind } from '../../src/sandbox/index.js';
import { TestClient, memoryAuth, pairByQr, trustSandbox, type MemoryAuth } from './helpers.js';

const PHONE = '15550001111';

describe('login, removal and faults against the sandbox', () => {
  let network: SandboxNetwork;
  let auth: MemoryAuth;
  const clients: TestClient[] = [];
  const connect = (a: MemoryAuth = auth, keepAliveIntervalMs?: number) => {
    const c = new TestClient(network, a, { keepAliveIntervalMs });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    network = await SandboxNetwork.start();
    trustSandbox(network);
    const paired = await pairByQr(network, PHONE);
    auth = paired.auth;
    clients.push(paired.client);
    paired.client.end();
    await paired.client.close();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) {
      c.end();
      await c.close().catch(() => undefined);
    }
  });

  afterAll(async () => {
    await network.stop();
  });

  const expectedCode: Record<FaultKind, number> = {
    'restart-required': 515,
    replaced: 440,
    unavailable: 503,
    closed: 428,
    timeout: 408,
    drop: 428,
    silence: 408,
  };

  for (const kind of FAULT_KINDS) {
    it(`fault "${kind}" closes the client with ${expectedCode[kind]}`, async () => {
      // Short keepalive so the half-open case gives up within seconds.
      const c = connect(auth, kind === 'silence' ? 500 : undefined);
      await c.open();
      expect(network.fault(c.noiseKey, kind)).toBe(true);
      expect((await c.close(10_000)).code).toBe(expectedCode[kind]);
      // The device is still linked: the next login works.
      const again = connect();
      await again.open();
    });
  }

  it('fault on an unknown connection reports false', () => {
    expect(network.fault('bm90IGEga2V5', 'drop')).toBe(false);
  });

  it('a second login for the same device replaces the first (440)', async () => {
    const first = connect();
    await first.open();
    const second = connect();
    await second.open();
    expect((await first.close()).code).toBe(440);
    expect(second.closed).toBeNull();
  });

  it('login for a device the network does not know gets 401', async () => {
    const stranger = memoryAuth();
    stranger.state.creds.me = { id: '15559998888:3@s.whatsapp.net', name: '~' };
    const c = connect(stranger);
    expect((await c.close()).code).toBe(401);
    expect(network.connections()).toEqual([]);
  });

  it('login with another noise key for a linked device gets 401', async () => {
    const impostor = memoryAuth();
    impostor.state.creds.me = { ...auth.state.creds.me! };
    const c = connect(impostor);
    expect((await c.close()).code).toBe(401);
  });
});

describe('unlinking against the sandbox', () => {
  let network: SandboxNetwork;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    network = await SandboxNetwork.start();
    trustSandbox(network);
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.end();
  });

  afterAll(async () => {
    await network.stop();
  });

  it('removeDevice ends the live connection with 401 and refuses the next login', async () => {
    const { client, device, auth } = await pairByQr(network, '15550002222');
    clients.push(client);
    expect(network.removeDevice('15550002222', device.deviceId)).toBe(true);
    expect((await client.close()).code).toBe(401);
    expect(network.devices('15550002222')).toEqual([]);
    expect(network.removeDevice('15550002222', device.deviceId)).toBe(false);

    const again = new TestClient(network, auth);
    clients.push(again);
    expect((await again.close()).code).toBe(401);
  });

  it('logout from the companion unlinks it on the network', async () => {
    const { client, auth } = await pairByQr(network, '15550003333');
    clients.push(client);
    await client.sock.logout();
    expect((await client.close()).code).toBe(401);
    await waitFor(() => network.devices('15550003333').length === 0);

    const again = new TestClient(network, auth);
    clients.push(again);
    expect((await again.close()).code).toBe(401);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
