/**
 * The rule against requests to private addresses (SSRF): a URL the gateway
 * fetches on a client's behalf must resolve only to public addresses —
 * never loopback, private, link-local, CGNAT, multicast or cloud-metadata —
 * unless the operator allows it. Checked at every request (DNS rebinding).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { GatewayError } from '../errors.js';
import { isPrivateAddress } from './publicUrl.js';

// One address rule for every outgoing URL (media fetches here, webhooks in ./publicUrl.ts).
export { isPrivateAddress };

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
