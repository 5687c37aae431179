/**
 * The built dashboard (web/dist), read into memory once: a handful of small
 * files, served with exact content types. Hashed asset names can be cached
 * forever; index.html is never cached so a new build is picked up at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface StaticFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Only the page and the local assets; `object-src`/`base-uri` closed; no inline scripts or styles. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface DashboardFiles {
  index: StaticFile;
  /** By file name, e.g. `main-3FJ2K.js`. */
  assets: Map<string, StaticFile>;
}

export async function loadDashboardFiles(dir: string): Promise<DashboardFiles> {
  const index: StaticFile = {
    body: await readFile(path.join(dir, 'index.html')),
    contentType: CONTENT_TYPES['.html'],
    cacheControl: 'no-store',
  };
  const assets = new Map<string, StaticFile>();
  const assetsDir = path.join(dir, 'assets');
  for (const name of await readdir(assetsDir)) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (!contentType) continue; // temporary files of a parallel build, stray files
    let body: Buffer;
    try {
      body = await readFile(path.join(assetsDir, name));
    } catch {
      continue; // removed by a parallel build between readdir and here
    }
    assets.set(name, { body, contentType, cacheControl: 'public, max-age=31536000, immutable' });
  }
  return { index, assets };
}
