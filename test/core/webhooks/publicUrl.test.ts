/** The SSRF rule: private, loopback, link-local, CGNAT, metadata and mapped addresses are refused unless allowed. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { assertPublicUrl, isPrivateAddress, mappedIpv4, pinnedLookup } from '../../../src/core/net/publicUrl.js';

const to = (...addresses: string[]) => async (): Promise<LookupAddress[]> =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.254',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1',
    '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::7f00:1', 'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('reads both forms of IPv4-mapped IPv6', () => {
    expect(mappedIpv4('::ffff:169.254.169.254')).toBe('169.254.169.254');
    expect(mappedIpv4('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(mappedIpv4('2001:db8::1')).toBeUndefined();
  });
});

describe('assertPublicUrl', () => {
  it('refuses a name that resolves to 127.0.0.1, naming the address, unless private addresses are allowed', async () => {
    await expect(assertPublicUrl('http://hooks.example.test/x', { resolve: to('127.0.0.1') })).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
      status: 400,
      message: expect.stringContaining('127.0.0.1'),
    });
    await expect(assertPublicUrl('http://localhost:9/x')).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
    await expect(assertPublicUrl('http://localhost:9/x', { allowPrivate: true })).resolves.toBeDefined();
  });

  it('refuses when any resolved address is private (a public one beside it does not help)', async () => {
    await expect(assertPublicUrl('https://mixed.example.test/', { resolve: to('93.184.216.34', '10.0.0.5') })).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
    });
    await expect(assertPublicUrl('https://ok.example.test/', { resolve: to('93.184.216.34') })).resolves.toEqual(['93.184.216.34']);
  });

  it('refuses literal metadata, mapped and CGNAT addresses, other schemes and credentials', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:127.0.0.1]:8080/',
      'http://100.64.1.1/',
      'ftp://example.com/',
      'file:///etc/passwd',
      'http://user:pw@example.com/',
      'not a url',
    ]) {
      await expect(assertPublicUrl(url), url).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
    }
  });

  it('an allow-list entry (host name or CIDR) lifts the refusal for that host only', async () => {
    await expect(assertPublicUrl('http://intranet.test/', { resolve: to('10.0.0.7'), allowList: ['intranet.test'] })).resolves.toEqual(['10.0.0.7']);
    await expect(assertPublicUrl('http://other.test/', { resolve: to('10.0.0.7'), allowList: ['10.0.0.0/24'] })).resolves.toEqual(['10.0.0.7']);
    await expect(assertPublicUrl('http://other.test/', { resolve: to('10.0.1.7'), allowList: ['10.0.0.0/24'] })).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
    });
  });
});

describe('pinnedLookup', () => {
  it('a name that passed the check but resolves to loopback when connecting (DNS rebinding) is refused at connect', async () => {
    const server = http.createServer((_req, res) => res.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    let calls = 0;
    // First answer public (the check), then loopback (the connection).
    const resolve = async (): Promise<LookupAddress[]> => [calls++ === 0 ? { address: '93.184.216.34', family: 4 } : { address: '127.0.0.1', family: 4 }];
    const url = `http://rebind.example.test:${port}/`;
    await expect(assertPublicUrl(url, { resolve })).resolves.toBeDefined();
    const agent = new Agent({ connect: { lookup: pinnedLookup({ resolve }) as never } });
    try {
      await expect(request(url, { dispatcher: agent })).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
      // With private addresses allowed the same connection goes through: the refusal above was the rule, not the network.
      const allowed = new Agent({ connect: { lookup: pinnedLookup({ resolve, allowPrivate: true }) as never } });
      const res = await request(url, { dispatcher: allowed });
      expect(await res.body.text()).toBe('reached');
      await allowed.close();
    } finally {
      await agent.close();
      server.close();
    }
  });
});
