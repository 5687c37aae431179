/**
 * The rule against requests to private addresses (SSRF): a URL the gateway
 * fetches on a client's behalf must resolve only to public addresses —
 * never loopback, private, link-local, CGNAT, multicast or cloud-metadata —
 * unless the operator allows it. Checked at every request (DNS rebinding).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { GatewayError } from '../errors.js';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for an address no public URL should reach (IPv4-mapped IPv6 judged as its IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) return blocked.check(address, 'ipv6');
  return true;
}

export interface PublicUrlRule {
  allowPrivate: boolean;
  /** Host names always allowed (the operator's own services). */
  allowHosts?: readonly string[];
  resolve?: (host: string) => Promise<string[]>;
}

const defaultResolve = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((a) => a.address);

/** Throws URL_NOT_ALLOWED unless `url` is http(s) and its host resolves only to public addresses. */
export async function assertPublicUrl(url: URL, rule: PublicUrlRule): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GatewayError('URL_NOT_ALLOWED', 'Only http and https URLs can be fetched', { url: url.origin });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (rule.allowPrivate || rule.allowHosts?.includes(host)) return;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await (rule.resolve ?? defaultResolve)(host);
  } catch {
    throw new GatewayError('URL_NOT_ALLOWED', `The host ${host} does not resolve`, { host });
  }
  const bad = addresses.find((a) => isPrivateAddress(a));
  if (addresses.length === 0 || bad !== undefined) {
    throw new GatewayError('URL_NOT_ALLOWED', `The host ${host} resolves to a private address (${bad ?? 'none'}); the gateway does not fetch from private networks`, {
      host,
    });
  }
}
