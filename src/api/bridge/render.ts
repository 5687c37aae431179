/** The bridge's error envelope: `{"error": "…"}` with the catalogue's status. */
import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../compat-shared/dialectPlugin.js';

export function renderBridgeError(error: GatewayError): RenderedError {
  return { status: error.status, body: { error: error.message } };
}
