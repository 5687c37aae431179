/** A rejection nobody handled is logged and counted; the process keeps running (Node 20 would exit). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/escapedRejection.ts', import.meta.url));

describe('process guards', () => {
  it('log and count an unhandled rejection without exiting', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'unhandled promise rejection (kept running)', level: 50 }));
    expect(lines.at(-1)).toEqual({ still: 'running', count: 1 });
  });
});
