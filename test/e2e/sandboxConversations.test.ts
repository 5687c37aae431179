/**
 * End to end through both HTTP APIs: the gateway's native messaging API on
 * one side, the sandbox's simulated phones on the other. A phone's text (1:1
 * and in a group) shows up in the gateway's chats; the gateway's text shows
 * up on the phone, and the phone's delivery and read receipts become the
 * message's status history; the gateway's read receipt, typing and group texts reach the phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startE2E, type E2E } from '../support/e2e.js';

const LINKED = '15550700001';
const FRIEND = '15550700002';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
  for (const phoneNumber of [LINKED, FRIEND]) expect((await e2e.client.post('/sandbox/phones', { phoneNumber })).status).toBe(201);
  expect((await e2e.client.post('/api/v1/sessions', { sessionId: 'chat' })).status).toBe(201);
  expect((await e2e.client.post('/api/v1/sessions/chat/connect')).status).toBe(202);
  const qr = await e2e.client.qr('chat');
  expect((await e2e.client.post(`/sandbox/phones/${LINKED}/scan`, { qr })).status).toBe(200);
  await e2e.client.waitForState('chat', 'connected');
});
afterAll(async () => e2e?.close());

async function poll<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface GatewayMessage {
  messageId: string;
  fromMe: boolean;
  content: { text?: string };
  status: string;
  statuses: Array<{ status: string }>;
}
interface PhoneMessage {
  id: string;
  direction: string;
  text: string;
  receipts: Array<{ type: string; by: string; deviceId: number }>;
}

const chatMessages = async (chat: string): Promise<GatewayMessage[]> =>
  (await e2e.client.get<{ data: GatewayMessage[] }>(`/api/v1/sessions/chat/chats/${encodeURIComponent(chat)}/messages`)).body.data ?? [];
const phoneMessages = async (phone: string): Promise<PhoneMessage[]> =>
  (await e2e.client.get<{ data: PhoneMessage[] }>(`/sandbox/phones/${phone}/messages`)).body.data;

describe('sandbox conversations through the gateway', () => {
  it('a phone\'s text lands in the gateway\'s chat; the gateway\'s read receipt reaches the phone', async () => {
    const sent = await e2e.client.post(`/sandbox/phones/${FRIEND}/messages`, { to: LINKED, text: 'hi from the phone' });
    expect(sent.status).toBe(201);
    const id = sent.body.data.id as string;
    const got = await poll(async () => (await chatMessages(FRIEND)).find((m) => m.messageId === id), 'the message in the gateway');
    expect(got).toMatchObject({ fromMe: false, content: { text: 'hi from the phone' } });

    expect((await e2e.client.post(`/api/v1/sessions/chat/chats/${FRIEND}/read`, { messageIds: [id] })).status).toBe(200);
    await poll(
      async () => (await phoneMessages(FRIEND)).find((m) => m.id === id)?.receipts.find((r) => r.type === 'read' && r.by === LINKED),
      'the read receipt on the phone',
    );
  });

  it('the gateway\'s text reaches the phone; the phone\'s receipts become its status history and message.receipt events', async () => {
    const stream = e2e.client.events('/api/v1/sessions/chat/events');
    try {
      // The phone answers with its delivery receipt in the same tick as the message reaches it, so
      // the receipt races the send's own answer inside the engine: it must still reach the history.
      const sent = await e2e.client.post('/api/v1/sessions/chat/messages', { to: FRIEND, content: { type: 'text', text: 'hi from the gateway' } });
      expect(sent.status).toBe(201);
      const id = sent.body.data.messageId as string;
      const onPhone = await poll(async () => (await phoneMessages(FRIEND)).find((m) => m.id === id), 'the text on the phone');
      expect(onPhone).toMatchObject({ direction: 'in', text: 'hi from the gateway' });
      expect(onPhone.receipts.map((r) => r.type)).toEqual(['delivery']);
      const delivered = await poll(async () => {
        const message = (await e2e.client.get<{ data: GatewayMessage }>(`/api/v1/sessions/chat/messages/${id}`)).body.data;
        return message.status === 'delivered' ? message : undefined;
      }, 'delivered');
      expect(delivered.statuses.map((s) => s.status)).toEqual(['pending', 'sent', 'delivered']);
      await stream.waitFor((e) => e.type === 'message.receipt' && (e.data as { messageId: string; status: string }).messageId === id && (e.data as { status: string }).status === 'delivered');

      expect((await e2e.client.post(`/sandbox/phones/${FRIEND}/read`, { ids: [id] })).status).toBe(200);
      const read = await poll(async () => {
        const message = (await e2e.client.get<{ data: GatewayMessage }>(`/api/v1/sessions/chat/messages/${id}`)).body.data;
        return message.status === 'read' ? message : undefined;
      }, 'read');
      expect(read.statuses.map((s) => s.status)).toEqual(['pending', 'sent', 'delivered', 'read']);
      await stream.waitFor((e) => e.type === 'message.receipt' && (e.data as { messageId: string }).messageId === id && (e.data as { status: string }).status === 'read');
    } finally {
      stream.close();
    }
  });

  it('a phone\'s group message lands in the gateway\'s group chat; typing from the gateway reaches the phone', async () => {
    const group = (await e2e.client.post('/sandbox/groups', { subject: 'Ops', participants: [FRIEND, LINKED] })).body.data as { id: string };
    // The gateway sees the group through the engine's metadata query, answered by the sandbox.
    const details = await e2e.client.get(`/api/v1/sessions/chat/groups/${group.id}`);
    expect(details.status).toBe(200);
    expect(details.body.data).toMatchObject({ id: group.id, subject: 'Ops' });
    expect(details.body.data.participants.map((p: { phoneNumber: string | null }) => p.phoneNumber).sort()).toEqual([LINKED, FRIEND].sort());
    const sent = await e2e.client.post(`/sandbox/phones/${FRIEND}/messages`, { to: group.id, text: 'hello Ops' });
    const id = sent.body.data.id as string;
    const got = await poll(async () => (await chatMessages(group.id)).find((m) => m.messageId === id), 'the group message in the gateway');
    expect(got.content.text).toBe('hello Ops');

    expect((await e2e.client.post('/api/v1/sessions/chat/presence', { state: 'composing', chatId: FRIEND })).status).toBeLessThan(300);
    await poll(
      async () => (e2e.gateway.sandbox!.conversations.chatStates(FRIEND).some((s) => s.from === LINKED && s.state === 'composing') ? true : undefined),
      'typing on the phone',
    );
  });

  it('the gateway\'s group texts reach the phone decrypted, the first and the ones after it on the same sender key', async () => {
    const group = (await e2e.client.post('/sandbox/groups', { subject: 'Crew', participants: [FRIEND, LINKED] })).body.data as { id: string };
    for (const text of ['hello Crew', 'still here', 'last one']) {
      const sent = await e2e.client.post('/api/v1/sessions/chat/messages', { to: group.id, content: { type: 'text', text } });
      expect(sent.status).toBe(201);
      const id = sent.body.data.messageId as string;
      const onPhone = await poll(async () => (await phoneMessages(FRIEND)).find((m) => m.id === id), `"${text}" on the phone`);
      expect(onPhone).toMatchObject({ direction: 'in', text });
    }
  });
});
