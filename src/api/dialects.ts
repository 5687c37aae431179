/**
 * The compatibility dialects and how they mount: every dialect under
 * `/compat/<name>`, and the ones named by WAGATE_ROOT_DIALECT also at the root
 * paths their clients expect. Collisions are start-up errors, never silent.
 */
import type { FastifyInstance } from 'fastify';
import { bridgeDialect } from './bridge/index.js';
import { evolutionDialect } from './evolution/index.js';
import { gomultiDialect } from './gomulti/index.js';
import { gowaDialect } from './gowa/index.js';
import type { GatewayEvent } from '../core/model.js';
import type { ApiPluginOptions, Dialect, DialectEvent } from './types.js';
import { wahaDialect } from './waha/index.js';
import { wawpDialect } from './wawp/index.js';

export const allDialects: Dialect[] = [bridgeDialect, gomultiDialect, gowaDialect, wawpDialect, wahaDialect, evolutionDialect];

/** Root prefixes the native API and the app itself own. */
export const NATIVE_ROOT_PATHS = ['/api/v1', '/health', '/ready', '/docs', '/openapi.json', '/metrics', '/dashboard', '/sandbox', '/compat'];

export const COMPAT_PREFIX = '/compat';

/** The webhook events a dialect's original sends for a gateway event (none when it has no such event). */
export function dialectEvents(dialect: Dialect, event: GatewayEvent): DialectEvent[] {
  if (dialect.renderEvents !== undefined) return dialect.renderEvents(event);
  const rendered = dialect.renderEvent?.(event) ?? null;
  return rendered === null ? [] : [rendered];
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/**
 * Two path prefixes collide when one is a segment-wise prefix of the other.
 * A parameter segment (`:session`) matches only another parameter: the
 * router prefers static segments, so `/api/:session/auth` leaves `/api/v1` alone.
 */
export function pathsCollide(a: string, b: string): boolean {
  const sa = segments(a);
  const sb = segments(b);
  const n = Math.min(sa.length, sb.length);
  for (let i = 0; i < n; i++) {
    const x = sa[i] as string;
    const y = sb[i] as string;
    const xParam = x.startsWith(':');
    const yParam = y.startsWith(':');
    if (xParam !== yParam) return false;
    if (!xParam && x !== y) return false;
  }
  return true;
}

/** `"waha, gowa"` → the dialects, in order; an unknown name is an error listing the valid ones. */
export function resolveRootDialects(value: string | undefined, dialects: Dialect[] = allDialects): Dialect[] {
  if (value === undefined) return [];
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const chosen: Dialect[] = [];
  for (const name of names) {
    const dialect = dialects.find((d) => d.name === name);
    if (dialect === undefined) {
      throw new Error(`Unknown root dialect "${name}" (WAGATE_ROOT_DIALECT); valid dialects: ${dialects.map((d) => d.name).join(', ')}`);
    }
    if (!chosen.includes(dialect)) chosen.push(dialect);
  }
  return chosen;
}

/** Throws naming both sides when root dialects collide with each other or with the native paths. */
export function assertNoRootCollisions(rootDialects: Dialect[], nativePaths: string[] = NATIVE_ROOT_PATHS): void {
  rootDialects.forEach((dialect, index) => {
    for (const path of dialect.rootPaths) {
      const native = nativePaths.find((p) => pathsCollide(path, p));
      if (native !== undefined) {
        throw new Error(`Root dialect "${dialect.name}" path ${path} collides with the native path ${native}; serve it under ${COMPAT_PREFIX}/${dialect.name} instead`);
      }
      for (const other of rootDialects.slice(0, index)) {
        const clash = other.rootPaths.find((p) => pathsCollide(path, p));
        if (clash !== undefined) {
          throw new Error(`Root dialects "${other.name}" and "${dialect.name}" collide: ${clash} and ${path}; choose one of them for WAGATE_ROOT_DIALECT`);
        }
      }
    }
  });
}

export async function mountDialects(app: FastifyInstance, opts: ApiPluginOptions & { rootDialect?: string }): Promise<void> {
  const { rootDialect, ...pluginOptions } = opts;
  const rootDialects = resolveRootDialects(rootDialect);
  assertNoRootCollisions(rootDialects);
  for (const dialect of allDialects) {
    await app.register(dialect.plugin, { ...pluginOptions, prefix: `${COMPAT_PREFIX}/${dialect.name}` });
  }
  for (const dialect of rootDialects) {
    await app.register(dialect.plugin, pluginOptions);
  }
}
