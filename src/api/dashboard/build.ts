/**
 * Bundles the dashboard front end (web/src/main.tsx and its CSS, Preact) into
 * web/dist with esbuild's JS API. `npm run build` (run by `npm ci`) calls it
 * once; the compiled gateway (dist/) then serves what is there and builds only
 * when web/dist is missing. Run from source (tsx: tests, `npm run dev`), the
 * plugin rebuilds whenever the bundle is older than the sources.
 *
 * Several processes (parallel test workers) may build at once: every file is
 * written to a temporary name and renamed into place, and index.html, which
 * names the hashed assets, is written last.
 */
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web');
export const DIST_DIR = path.join(WEB_DIR, 'dist');
const SRC_DIR = path.join(WEB_DIR, 'src');
const TEMPLATE = path.join(WEB_DIR, 'index.html');
const ASSET_PREFIX = '/dashboard/assets/';
/** This module runs as TypeScript source (tsx), not compiled into dist/. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const { mtimeMs } = await stat(path.join(entry.parentPath, entry.name));
    newest = Math.max(newest, mtimeMs);
  }
  return newest;
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** True when web/dist is missing or older than any source file. */
export async function isDashboardStale(): Promise<boolean> {
  const built = await mtimeOf(path.join(DIST_DIR, 'index.html'));
  if (built === undefined) return true;
  const sources = await mtimeOf(SRC_DIR);
  if (sources === undefined) return false; // shipped without sources: serve what is there
  const newest = Math.max(await newestMtime(SRC_DIR), (await mtimeOf(TEMPLATE)) ?? 0);
  return newest > built;
}

async function writeAtomically(file: string, contents: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, file);
}

export async function buildDashboard(): Promise<{ dir: string }> {
  const assetsDir = path.join(DIST_DIR, 'assets');
  await mkdir(assetsDir, { recursive: true });
  // Loaded only when building: a production start that serves the built bundle never loads esbuild.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(SRC_DIR, 'main.tsx')],
    bundle: true,
    write: false,
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const names: { js?: string; css?: string } = {};
  for (const file of result.outputFiles) {
    await writeAtomically(file.path, file.contents);
    const name = path.basename(file.path);
    if (name.endsWith('.js')) names.js = name;
    if (name.endsWith('.css')) names.css = name;
  }
  if (!names.js || !names.css) throw new Error('The dashboard build produced no script or stylesheet');

  const template = await readFile(TEMPLATE, 'utf8');
  const html = template
    .replace('{{SCRIPT}}', `${ASSET_PREFIX}${names.js}`)
    .replace('{{STYLESHEET}}', `${ASSET_PREFIX}${names.css}`);
  await writeAtomically(path.join(DIST_DIR, 'index.html'), html);

  // Drop bundles of earlier builds; a parallel build's files may vanish under us, which is fine.
  const keep = new Set([names.js, names.css]);
  for (const name of await readdir(assetsDir)) {
    if (!keep.has(name) && !name.endsWith('.tmp')) await unlink(path.join(assetsDir, name)).catch(() => {});
  }
  return { dir: DIST_DIR };
}

/**
 * Builds only when needed; returns the directory to serve. Compiled (production):
 * only when web/dist is missing. From source (development): also when stale.
 */
export async function ensureDashboardBuilt(): Promise<{ dir: string; built: boolean }> {
  const missing = (await mtimeOf(path.join(DIST_DIR, 'index.html'))) === undefined;
  if (missing || (FROM_SOURCE && (await isDashboardStale()))) return { ...(await buildDashboard()), built: true };
  return { dir: DIST_DIR, built: false };
}
