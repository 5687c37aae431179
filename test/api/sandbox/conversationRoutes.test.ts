/**
 * The sandbox's conversation routes through the gateway: a simulated phone
 * writes to the account a gateway session is linked to (1:1 and in a group),
 * and the receipts the gateway's real engine sends back show up on the phone;
 * groups are made and changed; presence is relayed. Every bad input is a 4xx
 * with the reason, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startE2E, type E2E } from '../../support/e2e.js';

const LINKED = '15550600001';
const FRIEND = '15550600002';
const OTHER = '15550600003';

interface Receipt {
  type: string;
  by: string;
  deviceId: number;
}
interface PhoneMessage {
  id: string;
  direction: 'in' | 'out';
  from: string;
  to: string;
  text: string;
  receipts: Receipt[];
}

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
  for (const phoneNumber of [LINKED, FRIEND, OTHER]) expect((await e2e.client.post('/sandbox/phones', { phoneNumber })).status).toBe(201);
});
afterAll(async () => e2e?.close());

async function messages(phone: string): Promise<PhoneMessage[]> {
  const res = await e2e.client.get<{ data: PhoneMessage[] }>(`/sandbox/phones/${phone}/messages`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Poll the phone's messages until `predicate` finds one. */
async function until(phone: string, predicate: (m: PhoneMessage) => boolean, what: string): Promise<PhoneMessage> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = (await messages(phone)).find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await messages(phone))}`);
    await sleep(50);
  }
}

describe('/sandbox conversations', () => {
  it('a phone writes to the gateway\'s account: the gateway\'s engine decrypts it and its receipt reaches the phone', async () => {
    expect((await e2e.client.post('/api/v1/sessions', { sessionId: 'linked' })).status).toBe(201);
    expect((await e2e.client.post('/api/v1/sessions/linked/connect')).status).toBe(202);
    const qr = await e2e.client.qr('linked');
    expect((await e2e.client.post(`/sandbox/phones/${LINKED}/scan`, { qr })).status).toBe(200);
    await e2e.client.waitForState('linked', 'connected');

    const sent = await e2e.client.post(`/sandbox/phones/+${FRIEND}/messages`, { to: `+${LINKED}`, text: 'hello gateway' });
    expect(sent.status).toBe(201);
    expect(sent.body.data).toEqual({ id: expect.stringMatching(/^3A[0-9A-F]{18}$/), from: FRIEND, to: LINKED });
    const id = sent.body.data.id as string;
    // The linked account's phone files it at once; the gateway's device acknowledges it once it has decrypted it.
    const out = await until(FRIEND, (m) => m.id === id && m.receipts.some((r) => r.deviceId > 0), 'the gateway device\'s receipt');
    expect(out).toMatchObject({ direction: 'out', from: FRIEND, to: LINKED, text: 'hello gateway' });
    expect(out.receipts).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'delivery', by: LINKED, deviceId: 0 }), expect.objectContaining({ type: 'delivery', by: LINKED, deviceId: 1 })]),
    );
    expect((await messages(LINKED)).find((m) => m.id === id)).toMatchObject({ direction: 'in', from: FRIEND, text: 'hello gateway' });
  });

  it('the phone reads what the gateway sent; a phone that fails to decrypt gets it again from the gateway\'s engine', async () => {
    const { messageId: first } = await e2e.gateway.core.sessions.sendText('linked', FRIEND, 'please read');
    await until(FRIEND, (m) => m.id === first && m.direction === 'in', 'the gateway\'s text');
    const read = await e2e.client.post(`/sandbox/phones/${FRIEND}/read`, { ids: [first] });
    expect(read.status).toBe(200);
    expect(read.body.data.read).toEqual([first]);
    expect((await messages(FRIEND)).find((m) => m.id === first)?.receipts.map((r) => r.type)).toEqual(['delivery', 'read']);
    expect((await e2e.client.post(`/sandbox/phones/${FRIEND}/read`, { ids: ['NOPE'] })).status).toBe(404);

    expect((await e2e.client.post(`/sandbox/phones/${FRIEND}/decrypt-failures`, { count: 1 })).status).toBe(200);
    const { messageId: retried } = await e2e.gateway.core.sessions.sendText('linked', FRIEND, 'send it again');
    const got = await until(FRIEND, (m) => m.id === retried, 'the message sent again after the retry receipt');
    expect(got).toMatchObject({ direction: 'in', text: 'send it again' });
    expect(got.receipts.map((r) => r.type)).toEqual(['retry', 'delivery']);
    expect((await e2e.client.post(`/sandbox/phones/${FRIEND}/decrypt-failures`, { count: -1 })).status).toBe(400);
  });

  it('a group with the gateway\'s account: created, changed, and a phone\'s group message reaches the gateway\'s device', async () => {
    const created = await e2e.client.post('/sandbox/groups', { subject: 'Support', participants: [FRIEND, `+${LINKED}`] });
    expect(created.status).toBe(201);
    const group = created.body.data as { id: string; subject: string; participants: string[] };
    expect(group).toMatchObject({ subject: 'Support', participants: [FRIEND, LINKED] });
    expect(group.id).toMatch(/^\d+@g\.us$/);

    const added = await e2e.client.post(`/sandbox/groups/${group.id}/participants/${OTHER}`);
    expect(added.status).toBe(201);
    expect(added.body.data.participants).toEqual([FRIEND, LINKED, OTHER]);
    const removed = await e2e.client.call('DELETE', `/sandbox/groups/${group.id}/participants/${OTHER}`);
    expect(removed.status).toBe(200);
    expect(removed.body.data.participants).toEqual([FRIEND, LINKED]);

    const sent = await e2e.client.post(`/sandbox/phones/${FRIEND}/messages`, { to: group.id, text: 'hello group' });
    expect(sent.status).toBe(201);
    const id = sent.body.data.id as string;
    await until(FRIEND, (m) => m.id === id && m.receipts.some((r) => r.by === LINKED && r.deviceId > 0), 'the gateway device\'s group receipt');
    expect((await messages(OTHER)).some((m) => m.id === id)).toBe(false);
  });

  it('presence and typing toward a number or a group', async () => {
    for (const state of ['available', 'composing', 'paused', 'unavailable']) {
      const res = await e2e.client.post(`/sandbox/phones/${FRIEND}/presence`, { to: LINKED, state });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ from: FRIEND, to: LINKED, state });
    }
  });

  it('bad input is a 4xx with the reason, and sends nothing', async () => {
    const before = (await messages(FRIEND)).length;
    const cases: Array<[string, string, unknown, number, string?]> = [
      ['POST', `/sandbox/phones/15559999999/messages`, { to: LINKED, text: 'x' }, 404, 'PHONE_NOT_FOUND'],
      ['POST', `/sandbox/phones/${FRIEND}/messages`, { to: '15559999998', text: 'x' }, 404, 'PHONE_NOT_FOUND'],
      ['POST', `/sandbox/phones/${FRIEND}/messages`, { to: 'not a number', text: 'x' }, 400, 'INVALID_PHONE_NUMBER'],
      ['POST', `/sandbox/phones/${FRIEND}/messages`, { to: LINKED, text: '' }, 400],
      ['POST', `/sandbox/phones/${FRIEND}/messages`, { to: LINKED }, 400],
      ['POST', `/sandbox/phones/${FRIEND}/messages`, { to: LINKED, text: 'x', extra: 1 }, 400],
      ['POST', `/sandbox/phones/${FRIEND}/messages`, { to: '123456789@g.us', text: 'x' }, 404, 'NOT_FOUND'],
      ['POST', `/sandbox/phones/${OTHER}/messages`, { to: LINKED, text: 'x', media: { type: 'image' } }, 400],
      ['POST', `/sandbox/phones/${FRIEND}/presence`, { to: LINKED, state: 'dancing' }, 400],
      ['POST', `/sandbox/phones/${FRIEND}/presence`, { to: '15559999998', state: 'composing' }, 404, 'PHONE_NOT_FOUND'],
      ['POST', '/sandbox/groups', { subject: 'Empty', participants: [] }, 400],
      ['POST', '/sandbox/groups', { subject: 'Bad', participants: ['12'] }, 400, 'INVALID_PHONE_NUMBER'],
      ['POST', '/sandbox/groups', { subject: '   ', participants: [FRIEND] }, 400],
      ['POST', '/sandbox/groups/123456789@g.us/participants/15550600003', undefined, 404, 'NOT_FOUND'],
      ['POST', '/sandbox/groups/nope/participants/15550600003', undefined, 400],
      ['DELETE', '/sandbox/groups/123456789@g.us/participants/15550600003', undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const res = await e2e.client.call(method, url, body);
      expect({ url, body, status: res.status }).toEqual({ url, body, status });
      expect(res.body.error.message.length).toBeGreaterThan(5);
      if (code) expect(res.body.error.code).toBe(code);
    }
    // A media type the phone cannot send is a 400 that says which types it can, and sends nothing.
    const media = await e2e.client.post(`/sandbox/phones/${FRIEND}/messages`, {
      to: LINKED,
      media: { type: 'hologram', base64: 'aGk=', mimetype: 'image/png' },
    });
    expect(media.status).toBe(400);
    expect(media.body.error.message).toContain('media.type must be one of');
    expect((await messages(FRIEND)).length).toBe(before);

    // A group member added twice, or removed when not in it: 4xx, the group unchanged.
    const group = (await e2e.client.post('/sandbox/groups', { subject: 'Twice', participants: [FRIEND, OTHER] })).body.data as { id: string };
    const twice = await e2e.client.post(`/sandbox/groups/${group.id}/participants/${OTHER}`);
    expect(twice.status).toBe(400);
    expect(twice.body.error.details.reason).toBe('ALREADY_A_PARTICIPANT');
    const notIn = await e2e.client.call('DELETE', `/sandbox/groups/${group.id}/participants/${LINKED}`);
    expect(notIn.status).toBe(404);
    // A phone that is not in a group cannot write to it.
    const outsider = await e2e.client.post(`/sandbox/phones/${LINKED}/messages`, { to: group.id, text: 'let me in' });
    expect(outsider.status).toBe(400);
    expect(outsider.body.error.details.reason).toBe('NOT_A_PARTICIPANT');
    expect((await messages(LINKED)).some((m) => m.text === 'let me in')).toBe(false);
  });
});
