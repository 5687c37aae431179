/**
 * The kinds of value a setting can hold: each turns the raw environment
 * string into a typed value or throws InvalidValue saying what is expected.
 * Nothing here is lenient: `PORT=12abc` is an error, not 12.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { parseMasterKey } from '../store/masterKey.js';

/** Thrown by a parser; the loader adds the variable's name. */
export class InvalidValue extends Error {
  constructor(readonly expected: string) {
    super(expected);
    this.name = 'InvalidValue';
  }
}

/** What defaults and parsers may depend on: decided before every other setting. */
export interface SettingContext {
  sandbox: boolean;
  /** The resolved data directory (DATA_DIR, or its sandbox subfolder in sandbox mode). */
  dataDir: string;
}

export interface Setting<T> {
  readonly env: string;
  /** One line for README's configuration table. */
  readonly description: string;
  /** The default as README's table shows it. */
  readonly shownDefault: string;
  /** Never echo the value in an error (keys). */
  readonly secret: boolean;
  /** The value when the variable is unset or empty. */
  fallback(ctx: SettingContext): T;
  parse(raw: string, ctx: SettingContext): T;
}

interface Common {
  env: string;
  description: string;
  secret?: boolean;
}

function code(value: string | number): string {
  return `\`${value}\``;
}

function define<T>(
  common: Common,
  shownDefault: string,
  fallback: (ctx: SettingContext) => T,
  parse: (raw: string, ctx: SettingContext) => T,
): Setting<T> {
  return { env: common.env, description: common.description, secret: common.secret ?? false, shownDefault, fallback, parse };
}

function parseInteger(raw: string, min: number, max: number, what: string): number {
  if (!/^[0-9]+$/.test(raw.trim())) throw new InvalidValue(`${what} (a whole number from ${min} to ${max})`);
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidValue(`${what} (a whole number from ${min} to ${max})`);
  return n;
}

export function integer(common: Common & { default: number; min: number; max: number; what?: string }): Setting<number> {
  const what = common.what ?? 'a number';
  return define(common, code(common.default), () => common.default, (raw) => parseInteger(raw, common.min, common.max, what));
}

/** Text with a fixed default; `check` validates and may normalise (default: any text). */
export function text(common: Common & { default: string; check?: (raw: string) => string }): Setting<string> {
  const check = common.check ?? ((raw: string) => raw);
  return define(common, code(common.default), () => common.default, check);
}

/** A value whose default is computed from sandbox mode and the data directory. */
export function computed<T>(
  common: Common & { shownDefault: string; fallback: (ctx: SettingContext) => T; check: (raw: string) => T },
): Setting<T> {
  return define(common, common.shownDefault, common.fallback, common.check);
}

/** An optional value: undefined when unset; `check` validates and may normalise. */
export function optional<T = string>(common: Common & { shownDefault?: string; check: (raw: string) => T }): Setting<T | undefined> {
  return define(common, common.shownDefault ?? 'none', () => undefined, (raw) => common.check(raw));
}

/** Text matching a pattern, else InvalidValue(expected). */
export function matching(pattern: RegExp, expected: string): (raw: string) => string {
  return (raw) => {
    if (!pattern.test(raw)) throw new InvalidValue(expected);
    return raw;
  };
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** A comma-separated list (empty when unset); `check` validates each item. */
export function list(common: Common & { check?: (item: string) => string }): Setting<string[]> {
  const check = common.check ?? ((item: string) => item);
  return define(common, 'none', () => [], (raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map(check),
  );
}

export function flag(common: Common): Setting<boolean> {
  return define(common, 'off', () => false, (raw) => {
    const value = raw.trim().toLowerCase();
    if (TRUE.includes(value)) return true;
    if (FALSE.includes(value)) return false;
    throw new InvalidValue('on or off (1/true/yes/on or 0/false/no/off)');
  });
}

export function oneOf<const V extends string>(common: Common & { default: V; values: readonly V[] }): Setting<V> {
  return define(common, code(common.default), () => common.default, (raw) => {
    const value = raw.trim().toLowerCase();
    const match = common.values.find((v) => v === value);
    if (match === undefined) throw new InvalidValue(`one of ${common.values.join(', ')}`);
    return match;
  });
}

/** An absolute URL with one of the given protocols (`http:`, `ws:` …). */
export function checkUrl(protocols: string[], example: string): (raw: string) => string {
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InvalidValue(`an absolute URL such as ${example}`);
    }
    if (!protocols.includes(url.protocol)) throw new InvalidValue(`an absolute URL such as ${example} (${protocols.join(' or ')})`);
    return raw;
  };
}

/** A phone number in international form: 7–15 digits, optional `+`, spaces and dashes. */
export function checkPhone(raw: string): string {
  const digits = raw.replace(/[\s\-().+]/g, '');
  if (!/^[0-9]{7,15}$/.test(digits) || !/^\+?[0-9\s\-().]+$/.test(raw.trim())) {
    throw new InvalidValue('a phone number in international form, digits only (e.g. 15550000001)');
  }
  return digits;
}

export function checkMasterKey(raw: string): string {
  if (parseMasterKey(raw) === undefined) {
    throw new InvalidValue('a 32-byte key written as 64 hex characters or as base64 (generate one with: openssl rand -hex 32)');
  }
  return raw;
}

export function checkDatabaseUrl(raw: string): string {
  if (/^sqlite:(\/\/)?.+/.test(raw) || /^postgres(ql)?:\/\/.+/.test(raw)) return raw;
  throw new InvalidValue('sqlite:<file> (e.g. sqlite:./data/wagate.db) or postgres://user@host:5432/db');
}

/** `user:pass[,user:pass]`, each with a non-empty user and password. */
export function checkUserList(raw: string): string {
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const ok = entries.length > 0 && entries.every((e) => e.indexOf(':') > 0 && e.indexOf(':') < e.length - 1);
  if (!ok) throw new InvalidValue('user:password pairs separated by commas (user:pass[,user:pass])');
  return raw;
}

/** Dialect names separated by commas; which names exist is checked when dialects mount. */
export function checkNameList(raw: string): string {
  const names = raw.split(',').map((n) => n.trim());
  if (names.some((n) => !/^[a-z][a-z0-9-]*$/.test(n))) throw new InvalidValue('dialect names separated by commas (e.g. waha or waha,gowa)');
  return raw;
}

/** Off, or the proxies whose X-Forwarded-* headers are believed (Fastify's `trustProxy`). */
export type TrustProxy = false | string[];

const PROXY_ADDRESS_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrRange(entry: string): boolean {
  if (PROXY_ADDRESS_NAMES.includes(entry)) return true;
  const slash = entry.indexOf('/');
  if (slash < 0) return isIP(entry) !== 0;
  const family = isIP(entry.slice(0, slash));
  const bits = entry.slice(slash + 1);
  if (family === 0 || !/^[0-9]{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Proxy addresses and CIDR ranges. Neither `true` nor a hop count: both would
 * believe headers a client sends straight to the port (Fastify itself treats
 * a hop count as trusting nobody, since it cannot check the peer).
 */
export function trustProxy(common: Common): Setting<TrustProxy> {
  const expected =
    'off, or the proxy addresses and CIDR ranges separated by commas ' +
    '(e.g. 127.0.0.1 or 10.0.0.0/8,::1; loopback, linklocal and uniquelocal name those ranges)';
  return define(common, 'off', () => false, (raw) => {
    const value = raw.trim().toLowerCase();
    if (FALSE.includes(value)) return false;
    const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
    if (entries.length === 0 || !entries.every(isAddressOrRange)) throw new InvalidValue(expected);
    return entries;
  });
}

/** A directory; relative paths are against the working directory. */
export function directory(common: Common & { default: string; sandboxSubdir: string }): Setting<string> {
  const resolve = (dir: string, ctx: SettingContext): string => {
    const root = path.resolve(dir);
    return ctx.sandbox ? path.join(root, common.sandboxSubdir) : root;
  };
  return define(common, code(common.default), (ctx) => resolve(common.default, ctx), resolve);
}
