/**
 * WhatsApp media encryption, as the client does it (baileys
 * lib/Utils/messages-media.js): a random 32-byte media key, HKDF-SHA256 to
 * 112 bytes with "WhatsApp <kind> Keys" (iv 16, cipher key 32, mac key 32),
 * AES-256-CBC over the file, and the first 10 bytes of
 * HMAC-SHA256(mac key, iv ‖ ciphertext) appended. The media host stores
 * ciphertext ‖ mac; fileEncSha256 is its hash, fileSha256 the plaintext's.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a phone can send and receive. `voice` is a push-to-talk audio (ptt). */
export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';
export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio', 'voice', 'document', 'sticker'];

interface KindInfo {
  /** The HKDF info word (MEDIA_HKDF_KEY_MAPPING). */
  hkdf: string;
  /** The upload path on the media host (MEDIA_PATH_MAP). */
  uploadPath: string;
}

export const KIND_INFO: Readonly<Record<MediaKind, KindInfo>> = {
  image: { hkdf: 'Image', uploadPath: '/mms/image' },
  sticker: { hkdf: 'Image', uploadPath: '/mms/image' },
  video: { hkdf: 'Video', uploadPath: '/mms/video' },
  audio: { hkdf: 'Audio', uploadPath: '/mms/audio' },
  voice: { hkdf: 'Audio', uploadPath: '/mms/audio' },
  document: { hkdf: 'Document', uploadPath: '/mms/document' },
};

/** Upload path segments the media host accepts (`/mms/<segment>/<hash>`). */
export const UPLOAD_SEGMENTS = new Set(['image', 'video', 'audio', 'document']);

const MAC_LENGTH = 10;

export class MediaIntegrityError extends Error {}

interface MediaKeys {
  iv: Buffer;
  cipherKey: Buffer;
  macKey: Buffer;
}

export function mediaKeys(mediaKey: Buffer, kind: MediaKind): MediaKeys {
  const expanded = Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), `WhatsApp ${KIND_INFO[kind].hkdf} Keys`, 112));
  return { iv: expanded.subarray(0, 16), cipherKey: expanded.subarray(16, 48), macKey: expanded.subarray(48, 80) };
}

export interface EncryptedMedia {
  mediaKey: Buffer;
  /** ciphertext ‖ 10-byte mac: what the media host stores. */
  body: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
  fileLength: number;
}

export const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

export function encryptMedia(plain: Buffer, kind: MediaKind, mediaKey: Buffer = randomBytes(32)): EncryptedMedia {
  const { iv, cipherKey, macKey } = mediaKeys(mediaKey, kind);
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv);
  const enc = Buffer.concat([cipher.update(plain), cipher.final()]);
  const mac = createHmac('sha256', macKey).update(iv).update(enc).digest().subarray(0, MAC_LENGTH);
  const body = Buffer.concat([enc, mac]);
  return { mediaKey, body, fileSha256: sha256(plain), fileEncSha256: sha256(body), fileLength: plain.length };
}

/** Checks the hashes the message carries (when given) and the mac, then decrypts. */
export function decryptMedia(
  body: Buffer,
  mediaKey: Buffer,
  kind: MediaKind,
  expect: { fileSha256?: Uint8Array | null; fileEncSha256?: Uint8Array | null } = {},
): Buffer {
  if (expect.fileEncSha256 && !sha256(body).equals(Buffer.from(expect.fileEncSha256))) {
    throw new MediaIntegrityError('the downloaded file does not match fileEncSha256');
  }
  if (body.length < MAC_LENGTH + 16) throw new MediaIntegrityError('the downloaded file is too short');
  const { iv, cipherKey, macKey } = mediaKeys(mediaKey, kind);
  const enc = body.subarray(0, body.length - MAC_LENGTH);
  const mac = createHmac('sha256', macKey).update(iv).update(enc).digest().subarray(0, MAC_LENGTH);
  if (!timingSafeEqual(mac, body.subarray(body.length - MAC_LENGTH))) throw new MediaIntegrityError('media mac mismatch');
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  const plain = Buffer.concat([decipher.update(enc), decipher.final()]);
  if (expect.fileSha256 && !sha256(plain).equals(Buffer.from(expect.fileSha256))) {
    throw new MediaIntegrityError('the decrypted file does not match fileSha256');
  }
  return plain;
}
