/**
 * The engine's own failures. They say what went wrong with WhatsApp, not
 * what a client should see: they carry no HTTP status. Only the core maps
 * them onto the gateway's error catalogue (src/core/lowerErrors.ts).
 */
export type EngineErrorCode =
  | 'INVALID_ADDRESS' // a phone number or JID the engine cannot address
  | 'ALREADY_PAIRED' // a linking call on a connection that is already linked
  | 'NOT_CONNECTED' // the connection is not open (yet, or any more)
  | 'TIMEOUT' // WhatsApp did not answer in time
  | 'FAILED'; // WhatsApp or the engine refused or broke

export class EngineError extends Error {
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'EngineError';
    this.code = code;
  }
}

export function isEngineError(err: unknown): err is EngineError {
  return err instanceof EngineError;
}
