/**
 * xmlns="encrypt": the device's Signal key material on the server.
 * count (how many one-time pre-keys are left), upload (checked: the signed
 * pre-key must be signed by the registered identity), digest, rotate.
 */
import { child, childBytes, children, node, readUIntBE, uintBE, type BinaryNode } from '../binary/nodes.js';
import { verify } from '../crypto/curve.js';
import { IqFailure, type StanzaRouter } from '../router/stanzaRouter.js';
import type { LinkedDevice } from '../accounts/registry.js';
import type { SandboxConnection } from '../stream/connection.js';
import type { HandlerContext } from './context.js';

const KEY_TYPE = Buffer.from([5]);

function readSignedPreKey(skey: BinaryNode | undefined, identityKey: Buffer) {
  const keyId = readUIntBE(childBytes(skey, 'id'));
  const publicKey = childBytes(skey, 'value');
  const signature = childBytes(skey, 'signature');
  if (keyId === undefined || publicKey?.length !== 32 || !signature) throw new IqFailure(400, 'bad-request');
  if (!verify(identityKey, Buffer.concat([KEY_TYPE, publicKey]), signature)) throw new IqFailure(406, 'bad-signature');
  return { keyId, publicKey, signature };
}

export function registerEncryptHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  const deviceOf = (conn: SandboxConnection): LinkedDevice => {
    const peer = ctx.peer(conn);
    const device = peer.account && peer.deviceId !== null ? peer.account.devices.get(peer.deviceId) : undefined;
    if (!device) throw new IqFailure(401, 'not-authorized');
    return device;
  };

  router.iq('encrypt', 'count', (_iq, conn) => [node('count', { value: String(deviceOf(conn).preKeys.size) })]);

  // Pre-key upload: <registration/><type/><identity/><list><key>…</key></list><skey>…</skey>
  router.iq('encrypt', 'registration', (iq, conn) => {
    const device = deviceOf(conn);
    const identity = childBytes(iq, 'identity');
    if (!identity?.equals(device.identityKey)) throw new IqFailure(406, 'identity-mismatch');
    const signedPreKey = readSignedPreKey(child(iq, 'skey'), device.identityKey);
    const keys: Array<[number, Buffer]> = [];
    for (const key of children(child(iq, 'list'), 'key')) {
      const id = readUIntBE(childBytes(key, 'id'));
      const value = childBytes(key, 'value');
      if (id === undefined || value?.length !== 32) throw new IqFailure(400, 'bad-request');
      keys.push([id, value]);
    }
    device.signedPreKey = signedPreKey;
    device.registrationId = readUIntBE(childBytes(iq, 'registration')) ?? device.registrationId;
    for (const [id, value] of keys) device.preKeys.set(id, value);
    ctx.registry.touch();
  });

  router.iq('encrypt', 'rotate', (iq, conn) => {
    const device = deviceOf(conn);
    device.signedPreKey = readSignedPreKey(child(child(iq, 'rotate'), 'skey'), device.identityKey);
    ctx.registry.touch();
  });

  router.iq('encrypt', 'digest', (_iq, conn) => {
    const device = deviceOf(conn);
    const skey = device.signedPreKey;
    return [
      node('digest', {}, [
        node('registration', {}, uintBE(device.registrationId, 4)),
        node('type', {}, KEY_TYPE),
        node('identity', {}, device.identityKey),
        ...(skey
          ? [node('skey', {}, [node('id', {}, uintBE(skey.keyId, 3)), node('value', {}, skey.publicKey), node('signature', {}, skey.signature)])]
          : []),
        node('list', {}, [...device.preKeys.keys()].map((id) => node('id', {}, uintBE(id, 3)))),
      ]),
    ];
  });
}
