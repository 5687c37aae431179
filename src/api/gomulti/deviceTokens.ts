/**
 * gomulti device credentials without a store of our own. A device is a core
 * session; its `device_secret` is a session-scoped API key. Each JWT carries
 * the key id of its secret (`sid`) and of a revocation handle (`kid`): a
 * session key whose plain value is thrown away. Minting a token revokes the
 * older handles, so older tokens stop working, across restarts and nodes.
 */
import { GatewayError } from '../../core/errors.js';
import type { GatewayCore, Principal } from '../../core/gateway.js';
import { signJwt, verifyJwt } from '../compat-shared/jwt.js';

export const SECRET_LABEL = 'gomulti device secret';
export const TOKEN_HANDLE_LABEL = 'gomulti token handle';
export const TOKEN_TTL_SECONDS = 24 * 60 * 60;
/** deriveSecret purpose of the JWT signing secret (kept across master-key rotations). */
export const TOKEN_SIGNING_PURPOSE = 'gomulti-jwt';

export class DeviceTokens {
  private readonly secret: Buffer;

  constructor(private readonly core: GatewayCore) {
    this.secret = core.deriveSecret(TOKEN_SIGNING_PURPOSE);
  }

  /** A new device secret (session key) for a device. */
  async createSecret(deviceId: string): Promise<{ key: string; keyId: string }> {
    const created = await this.core.apiKeys.createSessionKey(deviceId, SECRET_LABEL);
    return { key: created.key, keyId: created.keyId };
  }

  /** Mint a token from the secret's key id; older tokens of the device are revoked. */
  async mint(deviceId: string, secretKeyId: string): Promise<string> {
    const keys = await this.core.apiKeys.listSessionKeys(deviceId);
    for (const key of keys) {
      if (key.label === TOKEN_HANDLE_LABEL) await this.core.apiKeys.revokeSessionKey(deviceId, key.keyId);
    }
    const handle = await this.core.apiKeys.createSessionKey(deviceId, TOKEN_HANDLE_LABEL);
    return signJwt(this.secret, { sub: deviceId, device_id: deviceId, sid: secretKeyId, kid: handle.keyId }, TOKEN_TTL_SECONDS);
  }

  /** The secret's key id when `secret` is a device secret of `deviceId`; else UNAUTHORIZED. */
  async checkSecret(deviceId: string, secret: string): Promise<string> {
    const principal = await this.core.apiKeys.verify(secret);
    if (principal?.kind !== 'session' || principal.sessionId !== deviceId) {
      throw new GatewayError('UNAUTHORIZED', 'Invalid device credentials');
    }
    return principal.keyId;
  }

  /**
   * The device a correctly signed, unexpired token (`Bearer` or raw) names,
   * for routing a request to the node that runs it; whether the token is
   * revoked is for that node's verify() to say.
   */
  deviceNamedBy(authorization: string | undefined): string | undefined {
    const token = authorization?.replace(/^Bearer\s+/i, '').trim();
    if (!token) return undefined;
    const deviceId = verifyJwt(this.secret, token)?.device_id;
    return typeof deviceId === 'string' ? deviceId : undefined;
  }

  /**
   * The principal of a valid, unrevoked token: the device's session key (its
   * secret) acting on the device's session; undefined otherwise.
   */
  async verify(token: string): Promise<Principal | undefined> {
    const claims = verifyJwt(this.secret, token);
    if (claims === undefined) return undefined;
    const { device_id: deviceId, sid, kid } = claims;
    if (typeof deviceId !== 'string' || typeof sid !== 'string' || typeof kid !== 'string') return undefined;
    if (!this.core.sessions.has(deviceId)) return undefined;
    const keyIds = new Set((await this.core.apiKeys.listSessionKeys(deviceId)).map((key) => key.keyId));
    return keyIds.has(sid) && keyIds.has(kid) ? { kind: 'session', sessionId: deviceId, keyId: sid } : undefined;
  }
}
