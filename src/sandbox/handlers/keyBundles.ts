/**
 * xmlns="encrypt" get with `<key><user jid=…/>…</key>`: the Signal key
 * bundles a sender needs to start sessions. A user JID without a device (or
 * device 0) is the account's phone, whose keys the simulator owns; a
 * companion's bundle is what it uploaded. Each one-time pre-key goes to one
 * requester only, like the real server.
 */
import { child, children, node, uintBE, type BinaryNode } from '../binary/nodes.js';
import { resolveJid } from '../accounts/jids.js';
import { takePreKey } from '../accounts/phoneSignal.js';
import type { Account, AccountRegistry } from '../accounts/registry.js';
import { IqFailure, type StanzaRouter } from '../router/stanzaRouter.js';
import type { HandlerContext } from './context.js';

const KEY_TYPE = Buffer.from([5]);

interface Bundle {
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKey: { keyId: number; publicKey: Buffer } | null;
}

function phoneBundle(registry: AccountRegistry, account: Account): Bundle {
  const signal = registry.phoneSignal(account);
  const bundle: Bundle = {
    registrationId: signal.registrationId,
    identityKey: account.identity.public,
    signedPreKey: { keyId: signal.signedPreKey.keyId, publicKey: signal.signedPreKey.keyPair.public, signature: signal.signedPreKey.signature },
    preKey: takePreKey(signal),
  };
  registry.touch();
  return bundle;
}

function companionBundle(registry: AccountRegistry, account: Account, deviceId: number): Bundle | null {
  const device = account.devices.get(deviceId);
  if (!device?.signedPreKey) return null;
  let preKey: Bundle['preKey'] = null;
  const first = device.preKeys.entries().next();
  if (!first.done) {
    const [keyId, publicKey] = first.value;
    device.preKeys.delete(keyId);
    preKey = { keyId, publicKey };
    registry.touch();
  }
  return { registrationId: device.registrationId, identityKey: device.identityKey, signedPreKey: device.signedPreKey, preKey };
}

function bundleNode(jid: string, b: Bundle): BinaryNode {
  return node('user', { jid }, [
    node('registration', {}, uintBE(b.registrationId, 4)),
    node('type', {}, KEY_TYPE),
    node('identity', {}, b.identityKey),
    node('skey', {}, [
      node('id', {}, uintBE(b.signedPreKey.keyId, 3)),
      node('value', {}, b.signedPreKey.publicKey),
      node('signature', {}, b.signedPreKey.signature),
    ]),
    ...(b.preKey ? [node('key', {}, [node('id', {}, uintBE(b.preKey.keyId, 3)), node('value', {}, b.preKey.publicKey)])] : []),
  ]);
}

export function registerKeyBundleHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  router.iq('encrypt', 'key', (iq, conn) => {
    if (iq.attrs.type !== 'get') throw new IqFailure(400, 'bad-request');
    if (!ctx.peer(conn).account) throw new IqFailure(401, 'not-authorized');
    const users = children(child(iq, 'key'), 'user').map((user) => {
      const jid = user.attrs.jid ?? '';
      const resolved = resolveJid(ctx.registry, jid);
      const deviceId = resolved?.deviceId ?? 0;
      const bundle = !resolved
        ? null
        : deviceId === 0
          ? phoneBundle(ctx.registry, resolved.account)
          : companionBundle(ctx.registry, resolved.account, deviceId);
      return bundle ? bundleNode(jid, bundle) : node('user', { jid }, [node('error', { code: '404', text: 'item-not-found' })]);
    });
    return [node('list', {}, users)];
  });
}
