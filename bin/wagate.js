#!/usr/bin/env node
// The `wagate` command. Runs the compiled CLI (dist/cli/main.js, made by `npm run build`) when
// it exists and is not older than src/; else the TypeScript source through tsx, so `npx wagate`
// works from a checkout and an edit (or a `git pull` without a build) takes effect at once.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const sources = join(root, 'src');

/** Whether any file under src/ changed after `since` (ms); false when there is no src/ (an installed package). */
function sourceNewerThan(since) {
  if (!existsSync(sources)) return false;
  for (const entry of readdirSync(sources, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > since) return true;
  }
  return false;
}

if (existsSync(compiled) && !sourceNewerThan(statSync(compiled).mtimeMs)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(sources, 'cli', 'main.ts')).href);
}
