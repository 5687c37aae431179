#!/usr/bin/env node
/**
 * `npm run build` (and `npm ci`, through `prepare`): compiles src/ to dist/
 * with tsc (tsconfig.build.json) and bundles the dashboard into web/dist, so
 * `npm start` runs plain `node dist/main.js` and builds nothing at start.
 *
 * Plain JavaScript because it runs before anything is compiled. The output is
 * compiled next to dist/ under a temporary name and swapped in at the end, so
 * a failed build leaves the previous dist/ whole and a deleted source file
 * leaves no stale .js behind.
 *
 *   node scripts/build.mjs [--out-dir DIR] [--no-check]
 *
 * --out-dir: where the JavaScript goes (default dist). The dashboard always
 *   goes to <parent of DIR>/web/dist, where the compiled gateway looks for it.
 * --no-check: emit without type checking (tsc --noCheck); `npm run typecheck`
 *   checks types. The build test uses it to stay fast on a busy machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

function parseArgs(argv) {
  const args = { outDir: path.join(ROOT, 'dist'), check: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-check') args.check = false;
    else if (arg === '--out-dir' && argv[i + 1]) args.outDir = path.resolve(argv[++i]);
    else if (arg.startsWith('--out-dir=')) args.outDir = path.resolve(arg.slice('--out-dir='.length));
    else fail(`unknown argument ${arg}\nusage: npm run build [-- --out-dir DIR] [--no-check]`);
  }
  return args;
}

function findTsc() {
  try {
    return createRequire(path.join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    // `npm ci --omit=dev` skips TypeScript: build with the dev dependencies, then prune them.
    return fail(
      'TypeScript is not installed (a dev dependency). Install everything with `npm ci`, which builds,\n' +
        'then drop the dev dependencies with `npm prune --omit=dev` if you want a slim install.',
    );
  }
}

let staging;
try {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  staging = `${args.outDir}.building-${process.pid}`;
  await rm(staging, { recursive: true, force: true });

  const tsc = spawnSync(
    process.execPath,
    [findTsc(), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', staging, ...(args.check ? [] : ['--noCheck'])],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (tsc.status !== 0) fail(`tsc exited with ${tsc.status ?? tsc.signal} (its errors are above)`);

  // The compiled bundler itself, so the dashboard lands where the compiled gateway looks for it.
  const { buildDashboard } = await import(pathToFileURL(path.join(staging, 'api', 'dashboard', 'build.js')).href);
  const { dir } = await buildDashboard();

  await rm(args.outDir, { recursive: true, force: true });
  await rename(staging, args.outDir);
  process.stdout.write(
    `wagate built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.relative(ROOT, args.outDir) || args.outDir}/ and ${path.relative(ROOT, dir) || dir}/\n`,
  );
} catch (err) {
  process.stderr.write(`\nwagate build failed: ${err instanceof BuildError ? err.message : (err?.stack ?? String(err))}\n`);
  process.exitCode = 1;
} finally {
  if (staging && existsSync(staging)) await rm(staging, { recursive: true, force: true });
}
