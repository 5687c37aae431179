/**
 * Media for the simulated phones, both ways:
 * - sending: `phoneMediaContent` encrypts a file like a phone would, files it
 *   on the media host through the same checks an upload gets, and returns the
 *   WAProto message content (imageMessage, … with url, directPath, mediaKey,
 *   hashes, length, mimetype) for the phone's message path to encrypt and send;
 * - receiving: `describeMedia` reads what a received Message carries and
 *   `downloadMedia` fetches and decrypts it (hashes and mac checked).
 */
import { proto } from 'baileys';
import { decryptMedia, encryptMedia, KIND_INFO, MEDIA_KINDS, type MediaKind } from './mediaCrypto.js';
import type { MediaStore } from './mediaStore.js';
import type { SandboxMediaInfo } from '../types.js';

export interface PhoneMediaInput {
  type: MediaKind;
  /** The file, base64. */
  base64: string;
  mimetype?: string;
  caption?: string;
  /** Documents: the name the recipient sees. */
  fileName?: string;
}

/** Mimetypes a phone uses when none is given. */
const DEFAULT_MIMETYPE: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  voice: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

export class PhoneMediaError extends Error {}

/** Encrypts and stores `input` for a phone; the Message content to send (caption included). */
export function phoneMediaContent(store: MediaStore, mediaHost: string, input: PhoneMediaInput): proto.IMessage {
  if (!MEDIA_KINDS.includes(input.type)) throw new PhoneMediaError(`type must be one of ${MEDIA_KINDS.join(', ')}`);
  const plain = Buffer.from(input.base64, 'base64');
  if (plain.length === 0) throw new PhoneMediaError('base64 must hold a non-empty file');
  const encrypted = encryptMedia(plain, input.type);
  const directPath = store.put(encrypted.body, KIND_INFO[input.type].uploadPath.slice('/mms/'.length));
  const common = {
    url: `https://${mediaHost}${directPath}`,
    directPath,
    mediaKey: encrypted.mediaKey,
    fileSha256: encrypted.fileSha256,
    fileEncSha256: encrypted.fileEncSha256,
    fileLength: encrypted.fileLength,
    mimetype: input.mimetype ?? DEFAULT_MIMETYPE[input.type],
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
  };
  const caption = input.caption ? { caption: input.caption } : {};
  switch (input.type) {
    case 'image':
      return { imageMessage: { ...common, ...caption } };
    case 'video':
      return { videoMessage: { ...common, ...caption } };
    case 'audio':
      return { audioMessage: { ...common, ptt: false } };
    case 'voice':
      return { audioMessage: { ...common, ptt: true } };
    case 'document':
      return { documentMessage: { ...common, ...caption, fileName: input.fileName ?? 'file' } };
    case 'sticker':
      return { stickerMessage: common };
  }
}

/** What a received message's media is, keys included (kept with the phone's inbox entry). */
export interface ReceivedMediaRef {
  type: MediaKind;
  mimetype: string;
  fileLength: number;
  caption?: string;
  fileName?: string;
  directPath: string;
  /** base64 */
  mediaKey: string;
  /** base64 */
  fileSha256: string;
  /** base64 */
  fileEncSha256: string;
}

type MediaFields = {
  directPath?: string | null;
  url?: string | null;
  mediaKey?: Uint8Array | null;
  fileSha256?: Uint8Array | null;
  fileEncSha256?: Uint8Array | null;
  fileLength?: number | Long | null;
  mimetype?: string | null;
  caption?: string | null;
  fileName?: string | null;
};
type Long = { toNumber(): number };

/** The media a Message carries (also inside a copy from the account's own device), or undefined. */
export function describeMedia(message: proto.IMessage): ReceivedMediaRef | undefined {
  const inner = message.deviceSentMessage?.message ?? message;
  const doc = inner.documentWithCaptionMessage?.message?.documentMessage;
  const found: Array<[MediaKind, MediaFields | null | undefined]> = [
    ['image', inner.imageMessage],
    ['video', inner.videoMessage ?? inner.ptvMessage],
    [inner.audioMessage?.ptt ? 'voice' : 'audio', inner.audioMessage],
    ['document', inner.documentMessage ?? doc],
    ['sticker', inner.stickerMessage],
  ];
  for (const [type, fields] of found) {
    if (!fields?.mediaKey || !(fields.directPath || fields.url)) continue;
    const length = fields.fileLength;
    return {
      type,
      mimetype: fields.mimetype || '',
      fileLength: typeof length === 'number' ? length : length ? length.toNumber() : 0,
      ...(fields.caption ? { caption: fields.caption } : {}),
      ...(fields.fileName ? { fileName: fields.fileName } : {}),
      directPath: fields.directPath || fields.url!,
      mediaKey: Buffer.from(fields.mediaKey).toString('base64'),
      fileSha256: Buffer.from(fields.fileSha256 ?? []).toString('base64'),
      fileEncSha256: Buffer.from(fields.fileEncSha256 ?? []).toString('base64'),
    };
  }
  return undefined;
}

/** What the control API shows of received media: no keys, no paths. */
export function mediaInfo(ref: ReceivedMediaRef): SandboxMediaInfo {
  return {
    type: ref.type,
    mimetype: ref.mimetype,
    fileLength: ref.fileLength,
    ...(ref.caption ? { caption: ref.caption } : {}),
    ...(ref.fileName ? { fileName: ref.fileName } : {}),
  };
}

/** Fetches the encrypted file from the media host and decrypts it; throws when gone or tampered with. */
export function downloadMedia(store: MediaStore, ref: ReceivedMediaRef): Buffer {
  const blob = store.get(ref.directPath);
  if (!blob) throw new PhoneMediaError('the media is no longer on the media host');
  const hash = (b64: string) => (b64 ? Buffer.from(b64, 'base64') : undefined);
  return decryptMedia(blob.body, Buffer.from(ref.mediaKey, 'base64'), ref.type, {
    fileSha256: hash(ref.fileSha256),
    fileEncSha256: hash(ref.fileEncSha256),
  });
}
