/**
 * Binary nodes (WhatsApp's compact XML) for the sandbox: encode/decode via the
 * client library's own codec, plus small helpers for reading children and
 * building replies. Attribute values must be strings (the encoder silently
 * corrupts a node with a non-string attribute), so builders assert it.
 */
import {
  decodeBinaryNode,
  encodeBinaryNode,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  type BinaryNode,
} from 'baileys';

export type { BinaryNode };

/** The server's own JID as the client sends it (`@s.whatsapp.net`). */
export const SERVER_JID = '@s.whatsapp.net';

/** Node → frame plaintext (flag byte 0 + node). */
export function encodeNode(node: BinaryNode): Buffer {
  for (const [key, value] of Object.entries(node.attrs)) {
    if (typeof value !== 'string') throw new TypeError(`attribute ${key} of <${node.tag}> must be a string`);
  }
  return encodeBinaryNode(node);
}

/** Frame plaintext → node (inflates when the flag asks for it). */
export function decodeNode(plaintext: Buffer): Promise<BinaryNode> {
  return decodeBinaryNode(plaintext);
}

export function child(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return getBinaryNodeChild(node, tag);
}

export function children(node: BinaryNode | undefined, tag: string): BinaryNode[] {
  return getBinaryNodeChildren(node, tag);
}

export function firstChild(node: BinaryNode): BinaryNode | undefined {
  return Array.isArray(node.content) ? node.content[0] : undefined;
}

/** Byte content of a node (strings are UTF-8 encoded: the client sends some fields as strings). */
export function contentBytes(node: BinaryNode | undefined): Buffer | undefined {
  if (!node || node.content === undefined || Array.isArray(node.content)) return undefined;
  return typeof node.content === 'string' ? Buffer.from(node.content, 'utf8') : Buffer.from(node.content);
}

export function childBytes(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  return contentBytes(child(node, tag));
}

export function childText(node: BinaryNode | undefined, tag: string): string | undefined {
  return contentBytes(child(node, tag))?.toString('utf8');
}

export function node(tag: string, attrs: Record<string, string> = {}, content?: BinaryNode['content']): BinaryNode {
  return content === undefined ? { tag, attrs } : { tag, attrs, content };
}

/** `<iq type="result" id=… from="s.whatsapp.net">…</iq>` answering `request`. */
export function iqResult(request: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return node('iq', { type: 'result', id: request.attrs.id ?? '', from: 's.whatsapp.net' }, content);
}

/** `<iq type="error" id=…><error code text/></iq>`: the client's query() throws on it. */
export function iqError(request: BinaryNode, code: number, text: string): BinaryNode {
  return node('iq', { type: 'error', id: request.attrs.id ?? '', from: 's.whatsapp.net' }, [
    node('error', { code: String(code), text }),
  ]);
}

/** 4-byte (or n-byte) big-endian unsigned integer from node bytes. */
export function readUIntBE(bytes: Buffer | undefined): number | undefined {
  if (!bytes || bytes.length === 0 || bytes.length > 6) return undefined;
  return bytes.readUIntBE(0, bytes.length);
}

export function uintBE(value: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  buf.writeUIntBE(value, 0, length);
  return buf;
}
