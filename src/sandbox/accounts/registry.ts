/**
 * Simulated accounts: each is a primary phone (device 0) with its own
 * identity key and LID, plus the companion devices linked to it, and the
 * groups the phones belong to. Optionally persisted as one JSON file.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKeyPair, type KeyPair } from '../crypto/curve.js';
import { SandboxError } from '../errors.js';
import type { ReceivedMessage } from './inbox.js';
import { createPhoneSignal, loadPhoneSignal, savePhoneSignal, type PersistedPhoneSignal, type PhoneSignal } from './phoneSignal.js';

export interface SignedPreKeyRecord {
  keyId: number;
  publicKey: Buffer;
  signature: Buffer;
}

export interface LinkedDevice {
  deviceId: number;
  /** Companion's display platform, e.g. `Chrome (Mac OS)`. */
  platform: string;
  linkedAt: string;
  /** base64 of the companion's Noise public key: a login must come with the same key. */
  noiseKey: string;
  identityKey: Buffer;
  registrationId: number;
  keyIndex: number;
  signedPreKey: SignedPreKeyRecord | null;
  /** One-time pre-keys the device uploaded, by id. */
  preKeys: Map<number, Buffer>;
}

export interface Account {
  phoneNumber: string;
  name: string;
  lid: string;
  /** The phone's identity key: signs every device it links (ADV account signature). */
  identity: KeyPair;
  /** ADVDeviceIdentity.rawId: fixed per account. */
  rawId: number;
  nextDeviceId: number;
  nextKeyIndex: number;
  devices: Map<number, LinkedDevice>;
  /** The phone's Signal keys and sessions; made on first use (most sandbox accounts never receive a message). */
  signal: PhoneSignal | null;
  /** Texts the phone received, newest last. */
  inbox: ReceivedMessage[];
}

export interface Group {
  id: string;
  subject: string;
  creator: string;
  createdAt: number;
  participants: string[];
}

const PHONE_NUMBER = /^[1-9]\d{6,14}$/;

export function assertPhoneNumber(phoneNumber: string): void {
  if (!PHONE_NUMBER.test(phoneNumber)) {
    throw new SandboxError('INVALID_PHONE_NUMBER', `"${phoneNumber}" is not an E.164 number (7-15 digits, no '+')`);
  }
}

export function deviceJid(account: Account, deviceId: number): string {
  return deviceId === 0 ? `${account.phoneNumber}@s.whatsapp.net` : `${account.phoneNumber}:${deviceId}@s.whatsapp.net`;
}

export function deviceLid(account: Account, deviceId: number): string {
  return deviceId === 0 ? `${account.lid}@lid` : `${account.lid}:${deviceId}@lid`;
}

interface PersistedKeyPair {
  public: string;
  private: string;
}

interface PersistedDevice {
  deviceId: number;
  platform: string;
  linkedAt: string;
  noiseKey: string;
  identityKey: string;
  registrationId: number;
  keyIndex: number;
  signedPreKey: { keyId: number; publicKey: string; signature: string } | null;
  preKeys: Array<[number, string]>;
}

interface PersistedAccount {
  phoneNumber: string;
  name: string;
  lid: string;
  identity: PersistedKeyPair;
  rawId: number;
  nextDeviceId: number;
  nextKeyIndex: number;
  devices: PersistedDevice[];
  /** Absent in state files written before the phone could receive messages. */
  signal?: PersistedPhoneSignal;
  inbox?: ReceivedMessage[];
}

export interface PersistedState {
  version: 1;
  rootKey: PersistedKeyPair;
  serverStatic: PersistedKeyPair;
  accounts: PersistedAccount[];
  groups: Group[];
}

const b64 = (buf: Uint8Array): string => Buffer.from(buf).toString('base64');
const unb64 = (text: string): Buffer => Buffer.from(text, 'base64');
const saveKeyPair = (kp: KeyPair): PersistedKeyPair => ({ public: b64(kp.public), private: b64(kp.private) });
const loadKeyPair = (kp: PersistedKeyPair): KeyPair => ({ public: unb64(kp.public), private: unb64(kp.private) });

/** Accounts, devices, groups and the network's own long-term keys. */
/** How long key and inbox changes may wait before they are written. */
const TOUCH_SAVE_DELAY_MS = 500;

export class AccountRegistry {
  private pendingSave: NodeJS.Timeout | undefined;
  private readonly accounts = new Map<string, Account>();
  private readonly groups = new Map<string, Group>();
  readonly rootKey: KeyPair;
  readonly serverStatic: KeyPair;

  private constructor(
    private readonly file: string | null,
    state: PersistedState | null,
  ) {
    this.rootKey = state ? loadKeyPair(state.rootKey) : generateKeyPair();
    this.serverStatic = state ? loadKeyPair(state.serverStatic) : generateKeyPair();
    for (const account of state?.accounts ?? []) this.accounts.set(account.phoneNumber, this.loadAccount(account));
    for (const group of state?.groups ?? []) this.groups.set(group.id, group);
  }

  /** In memory, or backed by `<stateDir>/sandbox-state.json` (created when missing). */
  static open(stateDir: string | undefined): AccountRegistry {
    if (!stateDir) return new AccountRegistry(null, null);
    mkdirSync(stateDir, { recursive: true });
    const file = path.join(stateDir, 'sandbox-state.json');
    let state: PersistedState | null = null;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const registry = new AccountRegistry(file, state);
    if (!state) registry.save();
    return registry;
  }

  get(phoneNumber: string): Account | undefined {
    return this.accounts.get(phoneNumber);
  }

  list(): Account[] {
    return [...this.accounts.values()];
  }

  /** `defer`: write with the next debounced save (bulk creation, e.g. an account's contacts). */
  create(phoneNumber: string, name?: string, opts: { defer?: boolean } = {}): Account {
    assertPhoneNumber(phoneNumber);
    if (this.accounts.has(phoneNumber)) throw new SandboxError('PHONE_EXISTS', `phone ${phoneNumber} already exists`);
    const account: Account = {
      phoneNumber,
      name: name ?? `Sandbox ${phoneNumber.slice(-4)}`,
      lid: this.newLid(),
      identity: generateKeyPair(),
      rawId: randomInt(1, 2 ** 31),
      nextDeviceId: 1,
      nextKeyIndex: 1,
      devices: new Map(),
      signal: null,
      inbox: [],
    };
    this.accounts.set(phoneNumber, account);
    if (opts.defer) this.touch();
    else this.save();
    return account;
  }

  getOrCreate(phoneNumber: string): Account {
    return this.accounts.get(phoneNumber) ?? this.create(phoneNumber);
  }

  byLid(lid: string): Account | undefined {
    return [...this.accounts.values()].find((a) => a.lid === lid);
  }

  /** The phone's Signal state, created (and saved) the first time anyone needs it. */
  phoneSignal(account: Account): PhoneSignal {
    if (!account.signal) {
      account.signal = createPhoneSignal(account.identity);
      this.save();
    }
    return account.signal;
  }

  /** Reserve the next device id and key index for a link in progress (never reused, like the real network). */
  reserveDevice(account: Account): { deviceId: number; keyIndex: number } {
    const reserved = { deviceId: account.nextDeviceId++, keyIndex: account.nextKeyIndex++ };
    this.save();
    return reserved;
  }

  addDevice(account: Account, device: LinkedDevice): void {
    account.devices.set(device.deviceId, device);
    this.save();
  }

  removeDevice(account: Account, deviceId: number): boolean {
    const removed = account.devices.delete(deviceId);
    if (removed) this.save();
    return removed;
  }

  /**
   * Persist after a device's keys, a phone's sessions or an inbox changed.
   * Debounced: each pairing uploads ~800 pre-keys and every message touches
   * sessions, and rewriting the whole file each time made pairing N devices
   * cost O(N²) bytes. Linking and removing devices still save at once, so a
   * killed process never forgets a link.
   */
  touch(): void {
    if (!this.file || this.pendingSave) return;
    this.pendingSave = setTimeout(() => this.save(), TOUCH_SAVE_DELAY_MS);
    this.pendingSave.unref?.();
  }

  /** Write any debounced change now (on stop). */
  flush(): void {
    if (this.pendingSave) this.save();
  }

  addGroup(subject: string, phoneNumbers: string[], opts: { defer?: boolean } = {}): Group {
    for (const phone of phoneNumbers) assertPhoneNumber(phone);
    const group: Group = {
      id: this.newGroupId(),
      subject,
      creator: phoneNumbers[0] ?? '',
      createdAt: Math.floor(Date.now() / 1000),
      participants: [...new Set(phoneNumbers)],
    };
    this.groups.set(group.id, group);
    if (opts.defer) this.touch();
    else this.save();
    return group;
  }

  groupsOf(phoneNumber: string): Group[] {
    return [...this.groups.values()].filter((g) => g.participants.includes(phoneNumber));
  }

  group(id: string): Group | undefined {
    return this.groups.get(id);
  }

  private newGroupId(): string {
    for (;;) {
      const id = `${Date.now()}${randomInt(100000, 999999)}@g.us`;
      if (!this.groups.has(id)) return id;
    }
  }

  private newLid(): string {
    const taken = new Set([...this.accounts.values()].map((a) => a.lid));
    for (;;) {
      const lid = String(randomInt(1, 10)) + randomBytes(8).readBigUInt64BE().toString().padStart(14, '0').slice(0, 14);
      if (!taken.has(lid)) return lid;
    }
  }

  private save(): void {
    if (this.pendingSave) clearTimeout(this.pendingSave);
    this.pendingSave = undefined;
    if (!this.file) return;
    const state: PersistedState = {
      version: 1,
      rootKey: saveKeyPair(this.rootKey),
      serverStatic: saveKeyPair(this.serverStatic),
      accounts: [...this.accounts.values()].map((a) => this.saveAccount(a)),
      groups: [...this.groups.values()],
    };
    // Write then rename so a crash never leaves a half-written file.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  private saveAccount(a: Account): PersistedAccount {
    return {
      phoneNumber: a.phoneNumber,
      name: a.name,
      lid: a.lid,
      identity: saveKeyPair(a.identity),
      rawId: a.rawId,
      nextDeviceId: a.nextDeviceId,
      nextKeyIndex: a.nextKeyIndex,
      devices: [...a.devices.values()].map((d) => ({
        deviceId: d.deviceId,
        platform: d.platform,
        linkedAt: d.linkedAt,
        noiseKey: d.noiseKey,
        identityKey: b64(d.identityKey),
        registrationId: d.registrationId,
        keyIndex: d.keyIndex,
        signedPreKey: d.signedPreKey
          ? { keyId: d.signedPreKey.keyId, publicKey: b64(d.signedPreKey.publicKey), signature: b64(d.signedPreKey.signature) }
          : null,
        preKeys: [...d.preKeys.entries()].map(([id, key]) => [id, b64(key)] as [number, string]),
      })),
      ...(a.signal ? { signal: savePhoneSignal(a.signal) } : {}),
      inbox: a.inbox,
    };
  }

  private loadAccount(a: PersistedAccount): Account {
    return {
      phoneNumber: a.phoneNumber,
      name: a.name,
      lid: a.lid,
      identity: loadKeyPair(a.identity),
      rawId: a.rawId,
      nextDeviceId: a.nextDeviceId,
      nextKeyIndex: a.nextKeyIndex,
      devices: new Map(
        a.devices.map((d) => [
          d.deviceId,
          {
            deviceId: d.deviceId,
            platform: d.platform,
            linkedAt: d.linkedAt,
            noiseKey: d.noiseKey,
            identityKey: unb64(d.identityKey),
            registrationId: d.registrationId,
            keyIndex: d.keyIndex,
            signedPreKey: d.signedPreKey
              ? { keyId: d.signedPreKey.keyId, publicKey: unb64(d.signedPreKey.publicKey), signature: unb64(d.signedPreKey.signature) }
              : null,
            preKeys: new Map(d.preKeys.map(([id, key]) => [id, unb64(key)])),
          },
        ]),
      ),
      signal: a.signal ? loadPhoneSignal(a.signal) : null,
      inbox: a.inbox ?? [],
    };
  }
}
