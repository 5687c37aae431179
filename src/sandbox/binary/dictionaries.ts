/**
 * Binary-node codecs per dictionary version. The intro header's last byte
 * names the token tables a client encodes with: 3 for baileys 7
 * (`WA 06 03`), 2 for @whiskeysockets/baileys 6 (`WA 06 02`). The encoding
 * rules and tag bytes are the same; only the token tables differ, so both
 * versions run through the client library's own encoder and decoder.
 */
import {
  decodeDecompressedBinaryNode,
  decompressingIfRequired,
  encodeBinaryNode,
  type BinaryNode,
} from 'baileys';
import { decodeNode, encodeNode } from './nodes.js';
import { DOUBLE_BYTE_TOKENS_V2, SINGLE_BYTE_TOKENS_V2 } from './dictionaryV2.js';

export type DictVersion = 2 | 3;
export const DICT_VERSIONS: readonly DictVersion[] = [2, 3];

export interface NodeCodec {
  readonly dictVersion: DictVersion;
  encode(node: BinaryNode): Buffer;
  decode(plaintext: Buffer): Promise<BinaryNode>;
}

type CodingOptions = Parameters<typeof decodeDecompressedBinaryNode>[1] & NonNullable<Parameters<typeof encodeBinaryNode>[1]>;

/** Version 3 is the client library's default tables. */
const V3: NodeCodec = { dictVersion: 3, encode: encodeNode, decode: decodeNode };

function tablesV2(): CodingOptions {
  const TOKEN_MAP: Record<string, { dict?: number; index: number }> = {};
  SINGLE_BYTE_TOKENS_V2.forEach((token, index) => (TOKEN_MAP[token] = { index }));
  DOUBLE_BYTE_TOKENS_V2.forEach((dict, d) => dict.forEach((token, index) => (TOKEN_MAP[token] = { dict: d, index })));
  return {
    TAGS,
    SINGLE_BYTE_TOKENS: SINGLE_BYTE_TOKENS_V2 as string[],
    DOUBLE_BYTE_TOKENS: DOUBLE_BYTE_TOKENS_V2 as string[][],
    TOKEN_MAP,
  } as unknown as CodingOptions;
}

/**
 * Tag bytes (the client library's WABinary constants, not exported by it):
 * the same values in both versions; version 3 adds INTEROP_JID and FB_JID.
 */
const TAGS = {
  LIST_EMPTY: 0,
  DICTIONARY_0: 236,
  DICTIONARY_1: 237,
  DICTIONARY_2: 238,
  DICTIONARY_3: 239,
  INTEROP_JID: 245,
  FB_JID: 246,
  AD_JID: 247,
  LIST_8: 248,
  LIST_16: 249,
  JID_PAIR: 250,
  HEX_8: 251,
  BINARY_8: 252,
  BINARY_20: 253,
  BINARY_32: 254,
  NIBBLE_8: 255,
  PACKED_MAX: 127,
} as const;

let v2: NodeCodec | null = null;

export function codecFor(dictVersion: DictVersion): NodeCodec {
  if (dictVersion === 3) return V3;
  if (!v2) {
    const opts = tablesV2();
    v2 = {
      dictVersion: 2,
      encode: (node) => {
        assertStringAttrs(node);
        return encodeBinaryNode(node, opts);
      },
      decode: async (plaintext) => decodeDecompressedBinaryNode(await decompressingIfRequired(plaintext), opts),
    };
  }
  return v2;
}

function assertStringAttrs(node: BinaryNode): void {
  for (const [key, value] of Object.entries(node.attrs)) {
    if (typeof value !== 'string') throw new TypeError(`attribute ${key} of <${node.tag}> must be a string`);
  }
}
