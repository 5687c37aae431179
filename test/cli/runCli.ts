/**
 * Runs the `wagate` command line as a user does: `node bin/wagate.js …` in
 * a child process, either to completion (`runCli`) or left running to read
 * its output as it comes (`startCli`: pair, events).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = 'bin/wagate.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (or stderr with `from`), or fails after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  exited: Promise<CliResult>;
  /** SIGTERM (if still running) and wait for the exit. */
  stop(): Promise<CliResult>;
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  const waitFor = (pattern: RegExp, timeoutMs = 60_000, from: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const stream = from === 'stdout' ? child.stdout! : child.stderr!;
      const check = (): boolean => {
        const match = pattern.exec(from === 'stdout' ? stdout : stderr);
        if (!match) return false;
        clearTimeout(timer);
        stream.off('data', check);
        resolve(match);
        return true;
      };
      const timer = setTimeout(() => {
        stream.off('data', check);
        reject(new Error(`wagate ${args.join(' ')}: ${pattern} not seen in ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
      if (!check()) stream.on('data', check);
      void exited.then(() => setImmediate(() => {
        if (!check()) {
          clearTimeout(timer);
          reject(new Error(`wagate ${args.join(' ')} exited before ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      }));
    });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return startCli(args, env).exited;
}
