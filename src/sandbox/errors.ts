/**
 * The sandbox's own error: a stable code plus a human reason. Kept apart from
 * the gateway's GatewayError because the sandbox plays WhatsApp and its phone,
 * not the gateway.
 */
export type SandboxErrorCode =
  | 'INVALID_QR'
  | 'QR_EXPIRED'
  | 'NO_SUCH_CONNECTION'
  | 'NO_PENDING_CODE'
  | 'WRONG_CODE'
  | 'PHONE_EXISTS'
  | 'NO_SUCH_PHONE'
  | 'INVALID_PHONE_NUMBER'
  | 'PAIRING_REFUSED'
  | 'PAIRING_TIMEOUT'
  | 'PAIRING_BUSY'
  | 'STOPPED'
  | 'NO_SUCH_MESSAGE'
  | 'NO_MEDIA'
  | 'INVALID_MEDIA'
  | 'MEDIA_UNAVAILABLE'

  | 'NO_SUCH_GROUP'
  | 'INVALID_GROUP'
  | 'INVALID_MESSAGE'
  | 'NOT_A_PARTICIPANT'
  | 'ALREADY_A_PARTICIPANT'
  | 'STOPPED';

export class SandboxError extends Error {
  readonly code: string;

  constructor(code: SandboxErrorCode, message: string) {
    super(message);
    this.name = 'SandboxError';
    this.code = code;
  }
}
