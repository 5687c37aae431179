/**
 * The sandbox: a simulated WhatsApp network that speaks the real wire
 * protocol on loopback, so the unmodified engine pairs, logs in and
 * disconnects against it. This file is its whole public surface.
 */
export { SandboxNetwork } from './network.js';
export { SandboxError } from './errors.js';
export type {
  SandboxOptions,
  FaultKind,
  SandboxPhoneInfo,
  SandboxDeviceInfo,
  SandboxConnectionInfo,
  SandboxMessage,
  SandboxReceipt,
  SandboxChatState,
  SandboxPresenceState,
  SandboxGroupInfo,
  AccountContentOptions,
  SandboxMediaInfo,
  ConnectionPhase,
} from './types.js';
export { FAULT_KINDS, PRESENCE_STATES } from './types.js';
export { MAX_TEXT_LENGTH } from './conversations.js';
export type { PhoneMediaInput } from './media/phoneMedia.js';
export type { MediaKind } from './media/mediaCrypto.js';
export { MEDIA_KINDS } from './media/mediaCrypto.js';
