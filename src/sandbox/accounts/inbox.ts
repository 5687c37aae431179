/** What a simulated phone received: the texts a developer reads back through the control API. */
import type { ReceivedMediaRef } from '../media/phoneMedia.js';

export interface ReceivedMessage {
  /** The message id the sender chose (the stanza id). */
  id: string;
  /** The sender's phone number (E.164 digits, no '+'). */
  from: string;
  text: string;
  /** Media the message carried (its keys, to download and decrypt it on demand). */
  media?: ReceivedMediaRef;
  /** ISO-8601 time the phone decrypted it. */
  receivedAt: string;
}

/** The inbox is persisted with the account, so it stays bounded: only the newest are kept. */
export const INBOX_LIMIT = 200;

/** Append (newest last), dropping the oldest beyond the limit. */
export function appendToInbox(inbox: ReceivedMessage[], message: ReceivedMessage): void {
  inbox.push(message);
  if (inbox.length > INBOX_LIMIT) inbox.splice(0, inbox.length - INBOX_LIMIT);
}
