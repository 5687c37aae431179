/**
 * The Signal side of a simulated phone (device 0): the key material the
 * network hands out in key bundles, and a libsignal store over it so the
 * phone decrypts what companions send it. The identity is the account's own
 * identity key (the one that signs linked devices), as on a real phone.
 * Sessions are kept serialized so they persist with the rest of the account.
 */
import { randomInt } from 'node:crypto';
import * as libsignal from 'libsignal';
import { generateKeyPair, sign, type KeyPair } from '../crypto/curve.js';

export interface PhoneSignedPreKey {
  keyId: number;
  keyPair: KeyPair;
  signature: Buffer;
}

/** A serialized libsignal SessionRecord (plain JSON: base64 strings and numbers). */
export type SessionJson = Record<string, unknown>;

export interface PhoneSignal {
  registrationId: number;
  signedPreKey: PhoneSignedPreKey;
  /** One-time pre-keys not handed out yet, by id. */
  preKeys: Map<number, KeyPair>;
  nextPreKeyId: number;
  /** Pre-keys with an id up to this one went out in bundles. */
  lastHandedOut: number;
  /** Sessions with the devices that wrote to this phone, by libsignal address (`<name>.<device>`). */
  sessions: Map<string, SessionJson>;
}

/** A real phone keeps a pool on the server and tops it up when it runs low; so does this one. */
const PRE_KEY_POOL = 30;
const PRE_KEY_LOW = 5;
/** Handed out but never used (a client fetched a bundle and sent nothing): kept this long, oldest dropped first. */
const MAX_UNUSED_HANDED_OUT = 200;
const KEY_TYPE = Buffer.from([5]);

const prefixed = (publicKey: Buffer): Buffer => Buffer.concat([KEY_TYPE, publicKey]);

export function createPhoneSignal(identity: KeyPair): PhoneSignal {
  const keyPair = generateKeyPair();
  const signal: PhoneSignal = {
    registrationId: randomInt(1, 0x3fff),
    signedPreKey: { keyId: 1, keyPair, signature: sign(identity.private, prefixed(keyPair.public)) },
    preKeys: new Map(),
    nextPreKeyId: 1,
    lastHandedOut: 0,
    sessions: new Map(),
  };
  refillPreKeys(signal);
  return signal;
}

function refillPreKeys(signal: PhoneSignal): void {
  while (signal.nextPreKeyId - 1 - signal.lastHandedOut < PRE_KEY_POOL) {
    signal.preKeys.set(signal.nextPreKeyId++, generateKeyPair());
  }
}

/**
 * Hand out one one-time pre-key for a key bundle, as the server does: each
 * goes to one requester only (ids are handed out in order). The private half
 * stays with the phone until a pkmsg uses it.
 */
export function takePreKey(signal: PhoneSignal): { keyId: number; publicKey: Buffer } {
  if (signal.nextPreKeyId - 1 - signal.lastHandedOut < PRE_KEY_LOW) refillPreKeys(signal);
  const keyId = ++signal.lastHandedOut;
  const pair = signal.preKeys.get(keyId);
  if (!pair) throw new Error(`pre-key ${keyId} missing from the pool`);
  for (const id of signal.preKeys.keys()) {
    if (id > keyId - MAX_UNUSED_HANDED_OUT) break;
    signal.preKeys.delete(id);
  }
  return { keyId, publicKey: pair.public };
}

/** libsignal keeps at most this many closed sessions per address (and logs whole sessions when it prunes). */
const MAX_CLOSED_SESSIONS = 39;

interface SessionEntryView {
  indexInfo: { closed: number; baseKey: Buffer };
}
/** What the store touches inside a SessionRecord (the package's typings do not declare it). */
interface SessionRecordView {
  sessions: Record<string, SessionEntryView>;
}

/**
 * A libsignal store for one phone. `isTrusted` says whether an identity key
 * (33 bytes, 0x05-prefixed) belongs to the device at that address. `changed`
 * runs after every write, so the caller can persist.
 */
export function phoneSignalStore(
  identity: KeyPair,
  signal: PhoneSignal,
  isTrusted: (address: string, identityKey: Uint8Array) => boolean,
  changed: () => void,
): libsignal.SignalStorage {
  const ourIdentity = { pubKey: prefixed(identity.public), privKey: identity.private };
  const asLibsignal = (pair: KeyPair) => ({ pubKey: prefixed(pair.public), privKey: pair.private });
  return {
    loadSession: async (address) => {
      const json = signal.sessions.get(address);
      // The typings say Uint8Array; the implementation (de)serializes plain JSON objects.
      return json ? libsignal.SessionRecord.deserialize(json as unknown as Uint8Array) : undefined;
    },
    storeSession: async (address, record) => {
      signal.sessions.set(address, record.serialize() as unknown as SessionJson);
      changed();
    },
    isTrustedIdentity: (address, identityKey) => isTrusted(address, identityKey),
    loadPreKey: async (id) => {
      const pair = signal.preKeys.get(Number(id));
      return pair ? asLibsignal(pair) : undefined;
    },
    removePreKey: (id) => {
      signal.preKeys.delete(id);
      changed();
    },
    loadSignedPreKey: () => asLibsignal(signal.signedPreKey.keyPair),
    getOurRegistrationId: () => signal.registrationId,
    getOurIdentity: () => ourIdentity,
  };
}

/**
 * Before a pkmsg is processed: close the open session ourselves and prune old
 * closed ones. libsignal would do both itself, but it prints the whole session
 * (chain keys included) to the console when it does; key material must never
 * reach a log.
 */
export function prepareForPreKeyMessage(record: libsignal.SessionRecord, baseKey: Uint8Array): void {
  const view = record as unknown as SessionRecordView;
  const incoming = Buffer.from(baseKey).toString('base64');
  for (const [key, entry] of Object.entries(view.sessions)) {
    if (key !== incoming && entry.indexInfo.closed === -1) entry.indexInfo.closed = Date.now();
  }
  const closed = Object.entries(view.sessions)
    .filter(([key, entry]) => key !== incoming && entry.indexInfo.closed !== -1)
    .sort(([, a], [, b]) => a.indexInfo.closed - b.indexInfo.closed);
  while (closed.length > MAX_CLOSED_SESSIONS) delete view.sessions[closed.shift()![0]];
}

// ---- persistence -----------------------------------------------------------

interface PersistedPair {
  public: string;
  private: string;
}

export interface PersistedPhoneSignal {
  registrationId: number;
  signedPreKey: { keyId: number; keyPair: PersistedPair; signature: string };
  preKeys: Array<[number, PersistedPair]>;
  nextPreKeyId: number;
  lastHandedOut: number;
  sessions: Array<[string, SessionJson]>;
}

const b64 = (buf: Uint8Array): string => Buffer.from(buf).toString('base64');
const unb64 = (text: string): Buffer => Buffer.from(text, 'base64');
const savePair = (kp: KeyPair): PersistedPair => ({ public: b64(kp.public), private: b64(kp.private) });
const loadPair = (kp: PersistedPair): KeyPair => ({ public: unb64(kp.public), private: unb64(kp.private) });

export function savePhoneSignal(s: PhoneSignal): PersistedPhoneSignal {
  return {
    registrationId: s.registrationId,
    signedPreKey: { keyId: s.signedPreKey.keyId, keyPair: savePair(s.signedPreKey.keyPair), signature: b64(s.signedPreKey.signature) },
    preKeys: [...s.preKeys.entries()].map(([id, pair]) => [id, savePair(pair)] as [number, PersistedPair]),
    nextPreKeyId: s.nextPreKeyId,
    lastHandedOut: s.lastHandedOut,
    sessions: [...s.sessions.entries()],
  };
}

export function loadPhoneSignal(p: PersistedPhoneSignal): PhoneSignal {
  return {
    registrationId: p.registrationId,
    signedPreKey: { keyId: p.signedPreKey.keyId, keyPair: loadPair(p.signedPreKey.keyPair), signature: unb64(p.signedPreKey.signature) },
    preKeys: new Map(p.preKeys.map(([id, pair]) => [id, loadPair(pair)])),
    nextPreKeyId: p.nextPreKeyId,
    lastHandedOut: p.lastHandedOut,
    sessions: new Map(p.sessions),
  };
}
