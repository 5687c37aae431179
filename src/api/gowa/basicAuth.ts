/**
 * GOWA's HTTP Basic auth. Users come from config.dialects.gowa.users
 * (`user:pass[,user:pass]`); with none configured, any user name with the
 * admin API key as password is accepted.
 */
import type { FastifyRequest } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import { headerValue, resolvePrincipal, secretsEqual } from '../compat-shared/credentials.js';

export interface BasicUser {
  user: string;
  pass: string;
}

export function parseGowaUsers(value: string | undefined): BasicUser[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.includes(':'))
    .map((entry) => {
      const colon = entry.indexOf(':');
      return { user: entry.slice(0, colon), pass: entry.slice(colon + 1) };
    });
}

export function basicCredentials(request: FastifyRequest): BasicUser | undefined {
  const header = headerValue(request, 'authorization');
  const match = header === undefined ? null : /^Basic\s+(\S+)$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/**
 * True when the Basic credentials are good; then `request.principal` is the
 * admin: GOWA's users are operators of the whole server, as the admin key is.
 */
export async function checkBasicAuth(core: GatewayCore, users: BasicUser[], request: FastifyRequest): Promise<boolean> {
  const presented = basicCredentials(request);
  if (presented === undefined) return false;
  if (users.length === 0) {
    const principal = await resolvePrincipal(request, core, presented.pass);
    return principal?.kind === 'admin';
  }
  // Compare against every user without stopping early, so timing says nothing about which matched.
  let ok = false;
  for (const user of users) {
    const match = secretsEqual(user.user, presented.user) && secretsEqual(user.pass, presented.pass);
    ok = ok || match;
  }
  if (ok) request.principal = { kind: 'admin' };
  return ok;
}
