#!/usr/bin/env node
/**
 * Runs before `npm start` and `npm run sandbox` (prestart, presandbox): they
 * run the compiled gateway, dist/main.js. When it is missing, say how to make
 * it instead of Node's "Cannot find module"; when src/ or web/ changed since
 * the build (a `git pull` without `npm ci`), say so but start anyway.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

const built = mtime(MAIN);
if (built === undefined) {
  process.stderr.write(
    '\nwagate is not built yet (dist/main.js is missing).\n' +
      '  Build it once:         npm run build   (npm ci runs it for you)\n' +
      '  Or run the source:     npm run dev     (TypeScript through tsx, restarts on changes)\n\n',
  );
  process.exit(1);
}

/** Newest modification time of a file, or of every file under a directory. */
function newestUnder(target) {
  let newest = mtime(target) ?? 0;
  let entries = [];
  try {
    entries = readdirSync(target, { withFileTypes: true, recursive: true });
  } catch {
    return newest; // a file, or missing
  }
  for (const entry of entries) {
    if (entry.isFile()) newest = Math.max(newest, mtime(path.join(entry.parentPath, entry.name)) ?? 0);
  }
  return newest;
}

// The dashboard counts too: web/dist is built from web/src and web/index.html.
const dashboard = mtime(path.join(ROOT, 'web', 'dist', 'index.html')) ?? Infinity;
const sources = Math.max(...['src', 'web/src', 'web/index.html'].map((p) => newestUnder(path.join(ROOT, p))));
if (sources > Math.min(built, dashboard)) {
  process.stderr.write('\nwagate: the source changed since the last build; starting the older build. Run `npm run build` to use the new code.\n\n');
}
