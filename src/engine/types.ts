/**
 * The engine boundary. The core drives WhatsApp connections only through
 * these types; the Baileys adapter (src/engine/baileys) and the tests' fake
 * engine implement them. Nothing Baileys-specific crosses this line.
 */
import type { Logger } from 'pino';
import type { AuthStore } from '../store/types.js';

/** The account this device is linked to, as the engine learns it. */
export interface EngineIdentity {
  /** Device JID, e.g. `15551234567:7@s.whatsapp.net`. */
  jid: string;
  lid: string | null;
  name: string | null;
}

export type EngineEvent =
  /** A new QR payload; ttlMs is how long this ref lives. */
  | { type: 'qr'; qr: string; ttlMs: number }
  /** The phone accepted the link (pair-success). A 515 restart follows, handled inside the engine. */
  | { type: 'paired'; identity: EngineIdentity }
  /** The engine is restarting after 515 (normal after pairing; never an error). */
  | { type: 'restarting'; code: number; reason: string }
  /** Logged in and ready. */
  | { type: 'open'; identity: EngineIdentity }
  /** A pairing code was entered wrongly on the phone, or the engine could not complete it. */
  | { type: 'pairing_failed'; reason: string }
  /**
   * The connection ended and the engine will not retry by itself.
   * code: WhatsApp close code (401 logged out, 408 timed out / QR refs ended,
   * 428 closed, 440 replaced, 500 bad session, 503 unavailable …).
   * The core decides what happens next (reconnect with backoff, logged_out, conflict).
   */
  | { type: 'close'; code: number; reason: string; loggedOut: boolean };

export interface EngineConnectOptions {
  sessionId: string;
  /** Credentials and Signal keys, persisted (encrypted) by the store. */
  auth: AuthStore;
  /** Browser shown on the phone's linked-devices list, e.g. `Chrome`. */
  deviceBrowser: string;
  /** Child logger; already carries the session id. */
  logger: Logger;
}

/** One logical connection of one session (survives the internal 515 restart). */
export interface EngineConnection {
  /** Subscribe to events. Returns an unsubscribe function. */
  on(listener: (event: EngineEvent) => void): () => void;
  /**
   * Ask WhatsApp for a pairing code for this phone number (E.164 digits, no '+').
   * Resolves with the 8-character code without dash (e.g. `ABCD1234`).
   */
  requestPairingCode(phoneNumber: string): Promise<string>;
  /** Unlink the device on WhatsApp's side, then close. Emits a final `close` with loggedOut=true. */
  logout(): Promise<void>;
  /** Close the socket without logging out (credentials stay valid). Emits no further events. */
  close(): Promise<void>;
  /** Groups the account participates in (needs `open`). */
  groups(): Promise<Array<{ id: string; subject: string; participants: number }>>;
  /** Send a text message (needs `open`). `to` is a JID or E.164 digits. Resolves with the message id. */
  sendText(to: string, text: string): Promise<string>;
  /** Opaque identifier the sandbox knows this connection by (base64 Noise public key). */
  readonly noiseKey: string;
  /**
   * Epoch ms of the last frame received from WhatsApp (keepalive answers
   * included), null before the first. Optional: lets /metrics tell a quiet
   * but healthy session from a ghost.
   */
  lastFrameAt?(): number | null;
}

export interface Engine {
  readonly name: string;
  /**
   * Start a connection for a session. Reads credentials through `auth`
   * (none → registration / QR; some → login). Never throws synchronously for
   * network problems: they arrive as a `close` event.
   */
  connect(opts: EngineConnectOptions): Promise<EngineConnection>;
}
