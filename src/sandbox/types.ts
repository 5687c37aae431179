/** Public shapes of the sandbox (re-exported from index.ts). */
import type { Logger } from 'pino';

export interface SandboxOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a random free port). */
  port?: number;
  /** When set, accounts, devices and the root key persist there as JSON and are reloaded on start. */
  stateDir?: string;
  /**
   * How long the sandbox honours each QR ref. Default: 60 s for the first and
   * 20 s for each later one, like the client's own timer. Set it to the
   * engine's qrTimeout in fast tests.
   */
  qrRefTtlMs?: number;
  /** How many refs the pair-device IQ carries (default 6, like the real network). */
  refsPerPairDevice?: number;
  logger?: Logger;
  /**
   * Load mode, for serving thousands of connections from one process (the
   * bench): same behaviour on the wire, less work per connection and per
   * frame. See README.md, "Load mode".
   */
  load?: boolean;
  /**
   * Drop a connection that sent nothing for this long, as WhatsApp's servers
   * drop a silent client (a paused process). Unset: never.
   */
  idleTimeoutMs?: number;
  /**
   * What each phone pushes to a device it just linked, once the device is
   * first online: app-state sync keys and a history-sync notification
   * (inline payload) listing its contacts and groups, like a real phone.
   * Contacts are simulated accounts from one pool shared by every phone, so
   * hundreds of linked sessions stay cheap. Unset: nothing is pushed.
   */
  accountContent?: AccountContentOptions;
}

export interface AccountContentOptions {
  /** Contacts in the history sync (default 0). */
  contacts?: number;
  /** Groups the account is in, made on first link (default 0). */
  groups?: number;
  /** Members of each of those groups, the account included (default 5). */
  groupSize?: number;
}

export type FaultKind = 'restart-required' | 'replaced' | 'unavailable' | 'closed' | 'timeout' | 'drop' | 'silence';

export const FAULT_KINDS: readonly FaultKind[] = [
  'restart-required',
  'replaced',
  'unavailable',
  'closed',
  'timeout',
  'drop',
  'silence',
];

export interface SandboxPhoneInfo {
  phoneNumber: string;
  name: string;
  lid: string;
}

export interface SandboxDeviceInfo {
  deviceId: number;
  /** `<phone>:<deviceId>@s.whatsapp.net` */
  jid: string;
  /** `<lid>:<deviceId>@lid` */
  lid: string;
  platform: string;
  linkedAt: string;
  connected: boolean;
}

export type ConnectionPhase = 'handshake' | 'registering' | 'logged_in';

export interface SandboxConnectionInfo {
  /** base64 of the client's 32-byte Noise public key (creds.noiseKey.public); '' before the handshake finishes. */
  noiseKey: string;
  phase: ConnectionPhase;
  jid: string | null;
}

/** A receipt on a message: sent by the phone for `in`, received from the other side's devices for `out`. */
export interface SandboxReceipt {
  type: 'delivery' | 'read' | 'retry';
  /** Phone number of the account whose device sent it. */
  by: string;
  /** That device (0 = the phone). */
  deviceId: number;
  /** ISO-8601. */
  at: string;
}

/** A text a simulated phone received and decrypted (`in`) or sent (`out`). */
export interface SandboxMessage {
  /** The sender's message id. */
  id: string;
  direction: 'in' | 'out';
  /** The sender's phone number (E.164 digits, no '+'). */
  from: string;
  /** The recipient's phone number, or the group JID. */
  to: string;
  text: string;
  /** When the message carried media: what it is (download it with `SandboxNetwork.receivedMedia`). */
  media?: SandboxMediaInfo;
  /** ISO-8601: when the phone decrypted (`in`) or sent (`out`) it. */
  receivedAt: string;
  receipts: SandboxReceipt[];
}

/** A typing notice (chatstate) a phone saw. */
export interface SandboxChatState {
  /** Who is typing (phone number). */
  from: string;
  /** The chat: a phone number or a group JID. */
  chat: string;
  state: 'composing' | 'recording' | 'paused';
  /** ISO-8601. */
  at: string;
}

export type SandboxPresenceState = 'available' | 'unavailable' | 'composing' | 'recording' | 'paused';

export const PRESENCE_STATES: readonly SandboxPresenceState[] = ['available', 'unavailable', 'composing', 'recording', 'paused'];

/** A group of the simulated network. */
export interface SandboxGroupInfo {
  /** `<digits>@g.us` */
  id: string;
  subject: string;
  /** Phone numbers; the first is the creator. */
  participants: string[];
}

export interface SandboxMediaInfo {
  type: 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';
  mimetype: string;
  fileLength: number;
  caption?: string;
  fileName?: string;
}
