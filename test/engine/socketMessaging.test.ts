/**
 * Receipts that race the send's own upsert. Baileys emits the upsert of a
 * message it just sent through its event buffer; a recipient's receipt that
 * arrives while that buffer is open is merged into the upsert and never
 * emitted as an update. Driven through Baileys' own event buffer (the same
 * one the socket uses), so the merge is the real one, in a fixed order.
 */
import { makeEventBuffer, proto, type WAMessage, type WASocket } from 'baileys';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SocketMessaging } from '../../src/engine/baileys/socketMessaging.js';
import { BoundedCache } from '../../src/engine/baileys/sharedCaches.js';
import type { EngineEvent } from '../../src/engine/types.js';

const silent = pino({ level: 'silent' });
const CONTACT = '15550000002@s.whatsapp.net';
const GROUP = '120363000000000001@g.us';

function attached(): { ev: ReturnType<typeof makeEventBuffer>; events: EngineEvent[] } {
  const ev = makeEventBuffer(silent);
  const events: EngineEvent[] = [];
  const messaging = new SocketMessaging(
    () => ({ ev }) as unknown as WASocket,
    (id) => id,
    new BoundedCache(10, 60_000),
  );
  messaging.attach({ ev } as unknown as WASocket, () => true, (event) => events.push(event));
  return { ev, events };
}

function ownMessage(id: string, remoteJid: string): WAMessage {
  return {
    key: { remoteJid, id, fromMe: true },
    message: { conversation: 'hi' },
    messageTimestamp: 1_700_000_000,
    status: proto.WebMessageInfo.Status.PENDING,
  };
}

const statuses = (events: EngineEvent[]): Array<[string, string | null]> =>
  events.flatMap((e) => (e.type === 'message_status' ? [[e.update.status, e.update.participant] as [string, string | null]] : []));

describe('SocketMessaging and receipts merged by the event buffer', () => {
  it('a 1:1 delivery receipt in the same buffer as the own upsert becomes a status, after the message', () => {
    const { ev, events } = attached();
    ev.buffer();
    ev.emit('messages.upsert', { messages: [ownMessage('M1', CONTACT)], type: 'append' });
    ev.emit('messages.update', [{ key: { remoteJid: CONTACT, id: 'M1', fromMe: true }, update: { status: proto.WebMessageInfo.Status.DELIVERY_ACK } }]);
    ev.flush();
    expect(events.map((e) => e.type)).toEqual(['message', 'message_status']);
    expect(statuses(events)).toEqual([['delivered', null]]);
  });

  it('a receipt that opened the buffer before the upsert is absorbed into it, and still becomes a status', () => {
    const { ev, events } = attached();
    ev.buffer();
    ev.emit('messages.update', [{ key: { remoteJid: CONTACT, id: 'M2', fromMe: true }, update: { status: proto.WebMessageInfo.Status.DELIVERY_ACK } }]);
    ev.emit('messages.upsert', { messages: [ownMessage('M2', CONTACT)], type: 'append' });
    ev.flush();
    expect(statuses(events)).toEqual([['delivered', null]]);
  });

  it('group receipts merged into the own upsert become one status per participant and kind', () => {
    const { ev, events } = attached();
    ev.buffer();
    ev.emit('messages.upsert', { messages: [ownMessage('G1', GROUP)], type: 'append' });
    ev.emit('message-receipt.update', [{ key: { remoteJid: GROUP, id: 'G1', fromMe: true }, receipt: { userJid: CONTACT, receiptTimestamp: 1_700_000_001 } }]);
    ev.emit('message-receipt.update', [{ key: { remoteJid: GROUP, id: 'G1', fromMe: true }, receipt: { userJid: CONTACT, readTimestamp: 1_700_000_002 } }]);
    ev.flush();
    expect(statuses(events)).toEqual([
      ['delivered', CONTACT],
      ['read', CONTACT],
    ]);
  });

  it('an own upsert with no receipt in it says nothing about status; separate receipts still do', () => {
    const { ev, events } = attached();
    ev.emit('messages.upsert', { messages: [ownMessage('M3', CONTACT)], type: 'append' });
    ev.emit('messages.update', [{ key: { remoteJid: CONTACT, id: 'M3', fromMe: true }, update: { status: proto.WebMessageInfo.Status.READ } }]);
    expect(events.map((e) => e.type)).toEqual(['message', 'message_status']);
    expect(statuses(events)).toEqual([['read', null]]);
  });
});
