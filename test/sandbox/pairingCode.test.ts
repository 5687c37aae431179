import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClient, memoryAuth, trustSandbox } from './helpers.js';

const PHONE = '15557654321';

/** A code of the right shape that is not `code`. */
function otherCode(code: string): string {
  const first = code[0] === 'A' ? 'B' : 'A';
  return first + code.slice(1);
}

describe('pairing-code linking against the sandbox', () => {
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

  it('a wrong code links nothing and the companion keeps waiting; the right code then links', async () => {
    const auth = memoryAuth();
    const c = new TestClient(network, auth);
    clients.push(c);
    await c.qr();
    const code = await c.sock.requestPairingCode(PHONE);
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/);

    await expect(network.enterCode(PHONE, otherCode(code))).rejects.toMatchObject({ code: 'WRONG_CODE' });
    expect(network.devices(PHONE)).toEqual([]);
    expect(c.closed).toBeNull();

    // Typed the way a person would: lower case with a dash.
    const typed = `${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase();
    const device = await network.enterCode(PHONE, typed);
    expect(device).toMatchObject({ deviceId: 1, jid: `${PHONE}:1@s.whatsapp.net` });
    expect((await c.close()).code).toBe(515);

    const again = new TestClient(network, auth);
    clients.push(again);
    await again.open();
    expect(network.connections()).toEqual([expect.objectContaining({ phase: 'logged_in', jid: `${PHONE}:1@s.whatsapp.net` })]);
  });

  it('a code for a phone nobody asked a code for is refused', async () => {
    await expect(network.enterCode('15550000009', 'ABCD-EFGH')).rejects.toMatchObject({ code: 'NO_PENDING_CODE' });
    expect(network.phone('15550000009')).toBeUndefined();
  });

  it('a code whose companion has gone is refused', async () => {
    const c = new TestClient(network, memoryAuth());
    clients.push(c);
    await c.qr();
    const code = await c.sock.requestPairingCode(PHONE);
    await new Promise((r) => setTimeout(r, 50)); // companion_hello is fire-and-forget
    c.end();
    await c.close();
    await expect(network.enterCode(PHONE, code)).rejects.toMatchObject({ code: 'NO_PENDING_CODE' });
    expect(network.devices(PHONE)).toEqual([]);
  });
});
