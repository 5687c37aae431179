/**
 * The gateway's start when it cannot listen: the operator reads one line that
 * names the setting to change (PORT, HOST), not a bare EADDRINUSE and a stack.
 * Through the real start path: src/main.ts as a process.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

async function startMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-listen-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, WAGATE_API_KEY: 'wg_listen_test_key_0123456789abcdef', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stdout, stderr };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('main.ts when it cannot listen', () => {
  let blocker: Server;
  let port: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('a port in use: exits 1 with one line saying the port is taken and to set PORT, no stack', async () => {
    const { code, stdout, stderr } = await startMain({ HOST: '127.0.0.1', PORT: String(port) });
    expect(code).toBe(1);
    expect(stdout).not.toContain('wagate is listening');
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toEqual([
      `wagate could not start: port ${port} is already in use on 127.0.0.1 (another wagate, or another program, listens on 127.0.0.1:${port}). ` +
        `Set PORT to a free port (e.g. PORT=${port + 1}), or PORT=0 for any free port, or stop the other program.`,
    ]);
    expect(stdout + stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
  }, 60_000);

  it('a HOST that is not this machine: exits 1 saying what HOST may be', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const { code, stderr } = await startMain({ HOST: '192.0.2.1', PORT: '0' });
    expect(code).toBe(1);
    expect(stderr).toContain('wagate could not start: HOST=192.0.2.1 is not an address of this machine. Set HOST to');
  }, 60_000);
});
