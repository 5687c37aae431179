/**
 * WhatsApp Web framing on the websocket: the client's first bytes carry an
 * intro header (`WA 06 <dict version>`: 3 for baileys 7, 2 for baileys 6;
 * optionally preceded by an `ED` routing block),
 * then every frame is a 3-byte big-endian length followed by the payload.
 * Frames may be split across or glued within ws messages.
 */
/** The intro of dictionary version 3 (what baileys 7 sends). */
export const WA_HEADER = Buffer.from([0x57, 0x41, 6, 3]);
/** Dictionary versions a client may name in its intro. */
const DICT_VERSIONS = new Set([2, 3]);

/** The intro header of a dictionary version: also the Noise prologue of that connection. */
export function introHeader(dictVersion: number): Buffer {
  return Buffer.from([0x57, 0x41, 6, dictVersion]);
}
export const MAX_FRAME = 0xffffff;

export class FramingError extends Error {}

/**
 * Incremental decoder: client → server bytes (intro first), or, with
 * `{ intro: false }`, server → client bytes (a client's reading side).
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  private introDone: boolean;
  /** Routing info from an `ED` intro block, when the client sent one. */
  routingInfo: Buffer | null = null;
  /** The dictionary version the intro named (2 or 3), once read. */
  dictVersion: 2 | 3 | null = null;

  constructor(opts: { intro?: boolean } = {}) {
    this.introDone = opts.intro === false;
  }

  /** Feed bytes; returns the complete frames now available. Throws FramingError on a bad intro. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.introDone && !this.readIntro()) return [];
    const frames: Buffer[] = [];
    while (this.buffer.length >= 3) {
      const size = (this.buffer[0]! << 16) | (this.buffer[1]! << 8) | this.buffer[2]!;
      if (this.buffer.length < size + 3) break;
      frames.push(Buffer.from(this.buffer.subarray(3, size + 3)));
      this.buffer = this.buffer.subarray(size + 3);
    }
    return frames;
  }

  private readIntro(): boolean {
    let offset = 0;
    if (this.buffer.length >= 2 && this.buffer[0] === 0x45 && this.buffer[1] === 0x44) {
      if (this.buffer.length < 7) return false;
      const len = (this.buffer[4]! << 16) | this.buffer.readUInt16BE(5);
      if (this.buffer.length < 7 + len) return false;
      this.routingInfo = Buffer.from(this.buffer.subarray(7, 7 + len));
      offset = 7 + len;
    }
    if (this.buffer.length < offset + WA_HEADER.length) return false;
    const version = this.buffer[offset + 3]!;
    if (!this.buffer.subarray(offset, offset + 3).equals(WA_HEADER.subarray(0, 3)) || !DICT_VERSIONS.has(version)) {
      throw new FramingError('bad intro header');
    }
    this.dictVersion = version as 2 | 3;
    this.buffer = this.buffer.subarray(offset + WA_HEADER.length);
    this.introDone = true;
    return true;
  }
}

/** Server → client frame: length prefix, no intro. */
export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.length > MAX_FRAME) throw new FramingError('frame too large');
  const frame = Buffer.allocUnsafe(3 + payload.length);
  frame[0] = (payload.length >>> 16) & 0xff;
  frame[1] = (payload.length >>> 8) & 0xff;
  frame[2] = payload.length & 0xff;
  frame.set(payload, 3);
  return frame;
}
