/**
 * The one place where failures of the layers below the core (engine, store)
 * become catalogue errors a client can see. Engine and store errors carry no
 * HTTP meaning of their own; the core decides what they mean to a caller.
 */
import { isEngineError, type EngineErrorCode } from '../engine/errors.js';
import { isStoreError } from '../store/errors.js';
import { GatewayError, isGatewayError, type ErrorCode } from './errors.js';

const ENGINE_CODES: Record<EngineErrorCode, ErrorCode> = {
  INVALID_ADDRESS: 'INVALID_PHONE_NUMBER',
  ALREADY_PAIRED: 'ALREADY_PAIRED',
  NOT_CONNECTED: 'SESSION_NOT_READY',
  TIMEOUT: 'TIMEOUT',
  FAILED: 'ENGINE_ERROR',
};

export interface FailureContext {
  sessionId: string;
  /** What the caller tried, e.g. "send a message". */
  action: string;
}

/** A catalogue error for whatever the engine or store threw while doing `context.action`. */
export function fromLowerLayer(err: unknown, context: FailureContext): GatewayError {
  if (isGatewayError(err)) return err;
  const details = { sessionId: context.sessionId };
  if (isEngineError(err)) {
    const code = ENGINE_CODES[err.code];
    const message = code === 'ENGINE_ERROR' ? `WhatsApp did not ${context.action}: ${err.message}` : err.message;
    return new GatewayError(code, message, details, { cause: err });
  }
  if (isStoreError(err) && err.code === 'DUPLICATE') {
    return new GatewayError('SESSION_EXISTS', undefined, details, { cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new GatewayError('ENGINE_ERROR', `WhatsApp did not ${context.action}: ${reason}`, details, { cause: err });
}
