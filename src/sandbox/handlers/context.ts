/** What IQ handlers may use from the network. */
import type { Logger } from 'pino';
import type { AccountRegistry } from '../accounts/registry.js';
import type { PairingCodes } from '../phone/pairingCode.js';
import type { Peer } from '../phone/peer.js';
import type { PhoneBehaviour } from '../phone/behaviour.js';
import type { Delivery } from '../router/delivery.js';
import type { SandboxConnection } from '../stream/connection.js';

export interface HandlerContext {
  registry: AccountRegistry;
  pairingCodes: PairingCodes;
  logger: Logger;
  peer(conn: SandboxConnection): Peer;
  /** Unlink a device and kick its live connections (401). */
  removeDevice(phoneNumber: string, deviceId: number): boolean;
  /** Server-originated stanzas to linked devices (online now, or queued). */
  delivery: Delivery;
  /** How simulated phones behave (decrypt failures to play, presence, what they push to new devices). */
  phones: PhoneBehaviour;
}
