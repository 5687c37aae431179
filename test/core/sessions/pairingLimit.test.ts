/**
 * The pairing-code limit protects the owner's number: WhatsApp blocks a
 * number that asks for codes too often. It must hold when requests arrive
 * together, and after a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../../src/core/errors.js';
import { createTestGateway, eventually, type TestGateway } from '../../support/harness.js';

const PHONE = '15550007777';
let gws: TestGateway[] = [];

afterEach(async () => {
  for (const gw of gws.splice(0)) await gw.close();
});

async function waitingForScan(gw: TestGateway, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { sessionId } = await gw.core.sessions.create({ sessionId: `s${i}` });
    await gw.core.sessions.connect(sessionId);
    ids.push(sessionId);
  }
  for (const id of ids) await eventually(() => expect(gw.core.sessions.get(id).state).toBe('qr'));
  return ids;
}

describe('pairing-code rate limit', () => {
  it('eight simultaneous requests for one number from eight sessions: three codes, five 429s', async () => {
    const gw = await createTestGateway();
    gws.push(gw);
    const ids = await waitingForScan(gw, 8);
    // WhatsApp takes its time to answer, so every request is in flight at once.
    for (const id of ids) {
      const connection = gw.engine.last(id);
      const ask = connection.requestPairingCode.bind(connection);
      connection.requestPairingCode = async (phone) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return ask(phone);
      };
    }
    const results = await Promise.allSettled(ids.map((id) => gw.core.sessions.requestPairingCode(id, PHONE)));
    const issued = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as unknown);
    expect(issued).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const err of refused) expect(isGatewayError(err) && err.code === 'PAIRING_RATE_LIMITED').toBe(true);
    const inPairingCode = ids.filter((id) => gw.core.sessions.get(id).state === 'pairing_code');
    expect(inPairingCode).toHaveLength(3);
  });

  it('a request WhatsApp did not answer gives its place back', async () => {
    const gw = await createTestGateway();
    gws.push(gw);
    const [a, b] = await waitingForScan(gw, 2);
    const failing = gw.engine.last(a!);
    failing.requestPairingCode = async () => {
      throw new Error('stream errored');
    };
    await expect(gw.core.sessions.requestPairingCode(a!, PHONE)).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
    await expect(gw.core.sessions.requestPairingCode(a!, PHONE)).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
    await expect(gw.core.sessions.requestPairingCode(a!, PHONE)).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
    await expect(gw.core.sessions.requestPairingCode(b!, PHONE)).resolves.toMatchObject({ phoneNumber: PHONE });
  });

  it('survives a restart: codes issued before it still count', async () => {
    const first = await createTestGateway();
    const [s0, s1, s2] = await waitingForScan(first, 3);
    for (const id of [s0!, s1!, s2!]) await first.core.sessions.requestPairingCode(id, PHONE);
    await first.stop();

    const again = await createTestGateway({ dataDir: first.dataDir });
    gws.push(again, first);
    const { sessionId } = await again.core.sessions.create({ sessionId: 'after-restart' });
    await again.core.sessions.connect(sessionId);
    await eventually(() => expect(again.core.sessions.get(sessionId).state).toBe('qr'));
    const err = await again.core.sessions.requestPairingCode(sessionId, PHONE).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PAIRING_RATE_LIMITED', status: 429 });
    expect(again.core.sessions.get(sessionId).state).toBe('qr');
    // Another number is not affected.
    await expect(again.core.sessions.requestPairingCode(sessionId, '15550008888')).resolves.toMatchObject({ phoneNumber: '15550008888' });
  });
});
