/**
 * SSRF guard for every URL the gateway calls on a user's behalf (webhooks,
 * media fetches). A URL is allowed when it is http(s) and every address its
 * host resolves to is public: loopback, private, link-local, CGNAT,
 * cloud-metadata, documentation, multicast and reserved ranges are refused,
 * IPv4-mapped / NAT64 IPv6 forms of them too. `allowPrivate` or an allow-list
 * entry (host name, IP or CIDR) lifts the refusal.
 *
 * The check runs before each call and again inside the connection's own DNS
 * lookup (`pinnedLookup`), so a name that resolves to a public address at
 * check time and to 127.0.0.1 at connect time (DNS rebinding) is refused:
 * the socket connects only to an address that passed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { GatewayError } from '../errors.js';

export interface PublicUrlOptions {
  /** Allow every address (tests, private networks). */
  allowPrivate?: boolean;
  /** Host names (exact, case-insensitive), IPs or CIDRs that are allowed even when private. */
  allowList?: readonly string[];
  /** DNS resolver (tests inject one); defaults to the system's. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 (cloud metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses through a translator
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, incl. fd00:ec2::254 (AWS metadata)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d` / `::ffff:7f00:1`), else undefined. */
export function mappedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const hi = Number.parseInt(hex[1]!, 16);
  const lo = Number.parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True when the address is not a public unicast address. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return BLOCKED.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = mappedIpv4(bare);
    if (v4 !== undefined) return BLOCKED.check(v4, 'ipv4');
    return BLOCKED.check(bare, 'ipv6');
  }
  return true; // not an address at all: refuse
}

function allowListed(hostname: string, address: string | undefined, allowList: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  for (const raw of allowList) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === host) return true;
    if (address === undefined) continue;
    const [net, bits] = entry.split('/');
    const family = isIP(net ?? '');
    if (family === 0) continue;
    const list = new BlockList();
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(net!, type);
    else list.addSubnet(net!, Number(bits), type);
    const v4 = mappedIpv4(address);
    if (list.check(v4 ?? address, v4 ? 'ipv4' : isIP(address) === 4 ? 'ipv4' : 'ipv6')) return true;
  }
  return false;
}

function refuse(url: string, reason: string): GatewayError {
  return new GatewayError('URL_NOT_ALLOWED', `The URL ${url} is not allowed: ${reason}`, { url, reason });
}

const systemResolve = (hostname: string): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/** Parse and check the scheme; throws URL_NOT_ALLOWED. */
export function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse(raw, 'it is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(raw, 'only http and https URLs are allowed');
  if (url.username !== '' || url.password !== '') throw refuse(raw, 'credentials in the URL are not allowed');
  return url;
}

/** Checks one resolved address of `hostname`; throws URL_NOT_ALLOWED. */
export function assertPublicAddress(hostname: string, address: string, opts: PublicUrlOptions, url = hostname): void {
  if (opts.allowPrivate) return;
  if (!isPrivateAddress(address)) return;
  if (allowListed(hostname, address, opts.allowList ?? [])) return;
  throw refuse(url, `${hostname} resolves to ${address}, a private, loopback, link-local or reserved address`);
}

/**
 * Throws URL_NOT_ALLOWED unless `raw` is an http(s) URL whose host resolves
 * only to public addresses (or is allowed by the options). Returns the addresses.
 */
export async function assertPublicUrl(raw: string, opts: PublicUrlOptions = {}): Promise<string[]> {
  const url = parseHttpUrl(raw);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname) !== 0) {
    assertPublicAddress(hostname, hostname, opts, raw);
    return [hostname];
  }
  if (opts.allowPrivate) return [];
  let addresses: LookupAddress[];
  try {
    addresses = await (opts.resolve ?? systemResolve)(hostname);
  } catch (err) {
    throw refuse(raw, `${hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`);
  }
  if (addresses.length === 0) throw refuse(raw, `${hostname} does not resolve`);
  for (const a of addresses) assertPublicAddress(hostname, a.address, opts, raw);
  return addresses.map((a) => a.address);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect (and undici's connector) that resolves the
 * host and hands the socket only addresses that pass the rule: the address
 * checked is the address connected to.
 */
export function pinnedLookup(opts: PublicUrlOptions): (hostname: string, options: { all?: boolean; family?: number | string }, cb: LookupCallback) => void {
  return (hostname, options, cb) => {
    const resolve = opts.resolve ?? systemResolve;
    resolve(hostname).then(
      (addresses) => {
        try {
          if (addresses.length === 0) throw refuse(hostname, `${hostname} does not resolve`);
          for (const a of addresses) assertPublicAddress(hostname, a.address, opts);
        } catch (err) {
          cb(Object.assign(err as Error, { code: 'URL_NOT_ALLOWED' }) as NodeJS.ErrnoException, '', 0);
          return;
        }
        if (options.all) cb(null, addresses);
        else cb(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => cb(err, '', 0),
    );
  };
}
