/**
 * The last step of both pairing methods: the network sends `pair-success`
 * (the phone's signed device identity, HMAC'd with the adv secret), verifies
 * the companion's `pair-device-sign` countersignature, records the device and
 * ends the stream with 515 so the client comes back with a login.
 */
import type { Logger } from 'pino';
import { child, childBytes, node } from '../binary/nodes.js';
import { deviceJid, deviceLid, type Account, type AccountRegistry, type LinkedDevice } from '../accounts/registry.js';
import { SandboxError } from '../errors.js';
import { checkDeviceSignature, issueDeviceIdentity } from './deviceIdentity.js';
import type { Peer } from './peer.js';

const PAIR_SUCCESS_REPLY_TIMEOUT_MS = 30_000;
/** The primary phone's platform, as pair-success reports it (creds.platform). */
const PRIMARY_PLATFORM = 'android';

export async function linkCompanion(
  registry: AccountRegistry,
  peer: Peer,
  account: Account,
  advSecret: Buffer,
  logger: Logger,
): Promise<LinkedDevice> {
  const { conn, registration } = peer;
  if (!registration || conn.isClosed || !conn.noiseKey) {
    throw new SandboxError('NO_SUCH_CONNECTION', 'the companion is no longer connected');
  }
  if (peer.linking) throw new SandboxError('INVALID_QR', 'a link is already in progress on this connection');
  peer.linking = true;
  try {
    const { deviceId, keyIndex } = registry.reserveDevice(account);
    const issued = issueDeviceIdentity(account, keyIndex, registration.identityKey, advSecret);
    const jid = deviceJid(account, deviceId);
    const lid = deviceLid(account, deviceId);
    let reply;
    try {
      reply = await conn.query(
        node('iq', { type: 'set', from: 's.whatsapp.net', xmlns: 'md', t: String(Math.floor(Date.now() / 1000)) }, [
          node('pair-success', {}, [
            node('device-identity', { 'key-index': String(keyIndex) }, issued.envelope),
            node('device', { jid, lid }),
            node('platform', { name: PRIMARY_PLATFORM }),
          ]),
        ]),
        PAIR_SUCCESS_REPLY_TIMEOUT_MS,
      );
    } catch {
      throw new SandboxError('NO_SUCH_CONNECTION', 'the companion disconnected or never answered pair-success');
    }
    const identityNode = child(child(reply, 'pair-device-sign'), 'device-identity');
    const refusal =
      reply.attrs.type !== 'result'
        ? 'the companion rejected pair-success'
        : identityNode?.attrs['key-index'] !== String(keyIndex)
          ? 'key index differs from the one issued'
          : checkDeviceSignature(issued, account, registration.identityKey, childBytes(child(reply, 'pair-device-sign'), 'device-identity'));
    if (refusal) {
      logger.info({ conn: conn.id, phone: account.phoneNumber, reason: refusal }, 'link refused');
      // The credentials the client just saved are worthless: end it as a logout.
      conn.streamError(401, node('conflict', { type: 'device_removed' }));
      throw new SandboxError('PAIRING_REFUSED', `link refused: ${refusal}`);
    }
    const device: LinkedDevice = {
      deviceId,
      platform: registration.platform,
      linkedAt: new Date().toISOString(),
      noiseKey: conn.noiseKey,
      identityKey: registration.identityKey,
      registrationId: registration.registrationId,
      keyIndex,
      signedPreKey: registration.signedPreKey,
      preKeys: new Map(),
    };
    registry.addDevice(account, device);
    logger.info({ conn: conn.id, jid }, 'device linked');
    conn.streamError(515);
    return device;
  } finally {
    peer.linking = false;
  }
}
