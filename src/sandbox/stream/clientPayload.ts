/**
 * The ClientPayload a client sends inside ClientFinish: a registration
 * (new companion, carries its identity and signed pre-key) or a login
 * (phone number and device id of an already linked companion).
 */
import { proto } from 'baileys';
import { verify } from '../crypto/curve.js';
import { readUIntBE } from '../binary/nodes.js';

export interface Registration {
  kind: 'registration';
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  /** Display platform built from DeviceProps, e.g. `Chrome (Mac OS)`. */
  platform: string;
  pushName: string | null;
}

export interface Login {
  kind: 'login';
  phoneNumber: string;
  deviceId: number;
  pushName: string | null;
}

export type ParsedClientPayload = Registration | Login | { kind: 'invalid'; reason: string };

const KEY_TYPE = Buffer.from([5]);

function platformName(props: proto.IDeviceProps | null): string {
  const type = props?.platformType ?? proto.DeviceProps.PlatformType.CHROME;
  const name = proto.DeviceProps.PlatformType[type] ?? 'UNKNOWN';
  const pretty = name.charAt(0) + name.slice(1).toLowerCase().replace(/_/g, ' ');
  return props?.os ? `${pretty} (${props.os})` : pretty;
}

export function parseClientPayload(bytes: Buffer): ParsedClientPayload {
  let payload: proto.ClientPayload;
  try {
    payload = proto.ClientPayload.decode(bytes);
  } catch {
    return { kind: 'invalid', reason: 'undecodable client payload' };
  }
  const pushName = payload.pushName || null;
  const reg = payload.devicePairingData;
  if (reg) {
    const registrationId = readUIntBE(reg.eRegid ? Buffer.from(reg.eRegid) : undefined);
    const keyId = readUIntBE(reg.eSkeyId ? Buffer.from(reg.eSkeyId) : undefined);
    const identityKey = reg.eIdent ? Buffer.from(reg.eIdent) : null;
    const skey = reg.eSkeyVal ? Buffer.from(reg.eSkeyVal) : null;
    const sig = reg.eSkeySig ? Buffer.from(reg.eSkeySig) : null;
    if (registrationId === undefined || keyId === undefined || identityKey?.length !== 32 || skey?.length !== 32 || !sig) {
      return { kind: 'invalid', reason: 'incomplete registration data' };
    }
    // The network refuses a signed pre-key its identity did not sign.
    if (!verify(identityKey, Buffer.concat([KEY_TYPE, skey]), sig)) {
      return { kind: 'invalid', reason: 'signed pre-key signature invalid' };
    }
    let props: proto.IDeviceProps | null = null;
    try {
      props = reg.deviceProps ? proto.DeviceProps.decode(reg.deviceProps) : null;
    } catch {
      props = null;
    }
    return {
      kind: 'registration',
      registrationId,
      identityKey,
      signedPreKey: { keyId, publicKey: skey, signature: sig },
      platform: platformName(props),
      pushName,
    };
  }
  if (payload.username !== null && payload.username !== undefined) {
    return { kind: 'login', phoneNumber: String(payload.username), deviceId: payload.device ?? 0, pushName };
  }
  return { kind: 'invalid', reason: 'client payload is neither registration nor login' };
}
