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

/** A text a simulated phone received and decrypted. */
export interface SandboxMessage {
  /** The sender's message id. */
  id: string;
  /** The sender's phone number (E.164 digits, no '+'). */
  from: string;
  text: string;
  /** When the message carried media: what it is (download it with `SandboxNetwork.receivedMedia`). */
  media?: SandboxMediaInfo;
  /** ISO-8601. */
  receivedAt: string;
}

export interface SandboxMediaInfo {
  type: 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';
  mimetype: string;
  fileLength: number;
  caption?: string;
  fileName?: string;
}
