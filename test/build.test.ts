/**
 * `npm run build` output is what `npm start` runs: the compiled gateway
 * starts with plain node (no tsx), answers /health, and serves the bundled
 * dashboard without building it again.
 *
 * Built into a temporary copy of the layout (package.json, web/, links to
 * node_modules and src) so the checkout's own dist/ and web/dist are never touched.
 * --no-check: types are `npm run typecheck`'s job; this checks the output runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const KEY = 'wg_build_test_key_0123456789abcdef';

describe('npm run build', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wagate-build-'));
    await cp(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    await mkdir(path.join(dir, 'web'));
    await cp(path.join(ROOT, 'web', 'index.html'), path.join(dir, 'web', 'index.html'));
    await cp(path.join(ROOT, 'web', 'src'), path.join(dir, 'web', 'src'), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    // The dashboard shares a few domain modules with the gateway (web/src imports src/domain).
    await symlink(path.join(ROOT, 'src'), path.join(dir, 'src'), 'dir');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('npm start runs the build: node dist/main.js, with the young generation docs/deployment.md explains', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node --max-semi-space-size=64 dist/main.js');
    expect(pkg.scripts.build).toBe('node scripts/build.mjs');
    // `npm ci` builds once, so `npm ci && npm start` needs nothing else.
    expect(pkg.scripts.prepare).toBe(pkg.scripts.build);
  });

  it('compiles src and bundles the dashboard; the output starts with plain node, answers /health and serves the dashboard unbuilt', async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--out-dir', path.join(dir, 'dist'), '--no-check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    expect(build.stdout).toMatch(/wagate built in [\d.]+ s/);
    // Every source module has its JavaScript, and no staging directory is left behind.
    expect((await stat(path.join(dir, 'dist', 'main.js'))).isFile()).toBe(true);
    expect((await stat(path.join(dir, 'dist', 'api', 'dashboard', 'build.js'))).isFile()).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['dist', 'node_modules', 'package.json', 'src', 'web']);
    const indexFile = path.join(dir, 'web', 'dist', 'index.html');
    const builtAt = (await stat(indexFile)).mtimeMs;

    const child = spawn(process.execPath, [path.join(dir, 'dist', 'main.js')], {
      cwd: dir,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: path.join(dir, 'data'), WAGATE_API_KEY: KEY, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const base = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" line in 90 s:\n${stdout}\n${stderr}`)), 90_000);
        child.stdout.on('data', () => {
          const match = /wagate is listening on (http:\/\/\S+)/.exec(stdout);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        void exited.then((code) => reject(new Error(`exited ${code} before listening:\n${stdout}\n${stderr}`)));
      });

      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', version: expect.any(String) });

      const page = await fetch(`${base}/dashboard/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const script = /src="\/dashboard\/assets\/([^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`${base}/dashboard/assets/${script}`)).status).toBe(200);
      // The built bundle was served as it was: the start built nothing.
      expect((await stat(indexFile)).mtimeMs).toBe(builtAt);
      expect(stdout).not.toContain('dashboard front end built');
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(stderr).toBe('');
  }, 180_000);
});
