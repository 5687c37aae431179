import { describe, expect, it } from 'vitest';
import { baselineFor, compareRun, sameMachine, type Committed } from '../../bench/lib/guardCompare.js';
import type { BenchResult } from '../../bench/lib/results.js';

const machine = { cpus: 2, cpuModel: 'AMD EPYC', memoryMb: 24_000 };

function file(name: string, startedAt: string, over: Partial<BenchResult>): Committed {
  return {
    file: `bench/results/${name}`,
    result: {
      scenario: 'guard',
      sessions: 10,
      commit: 'x',
      startedAt,
      machine: { ...machine, node: 'v20', platform: 'linux', loadAvgStart: [0], loadAvgEnd: [0] },
      options: { duration: 60 },
      figures: {},
      ...over,
    },
  };
}

describe('bench guard: comparing with committed results', () => {
  const older = file('guard-a.json', '2026-01-01T00:00:00Z', { runs: [{ label: 'api', figures: { req_per_s: 9000, p99_ms: 4 } }] });
  const newer = file('guard-b.json', '2026-02-01T00:00:00Z', { runs: [{ label: 'api', figures: { req_per_s: 8000, p99_ms: 4 } }] });
  const elsewhere = file('guard-c.json', '2026-03-01T00:00:00Z', {
    machine: { cpus: 8, cpuModel: 'Other', memoryMb: 64_000, node: 'v20', platform: 'linux', loadAvgStart: [0], loadAvgEnd: [0] },
    runs: [{ label: 'api', figures: { req_per_s: 50_000, p99_ms: 1 } }],
  });

  it('takes the newest committed run of the same label on the same machine', () => {
    expect(baselineFor([older, newer, elsewhere], machine, 'api', 10, 15)?.file).toBe('bench/results/guard-b.json');
    expect(baselineFor([elsewhere], machine, 'api', 10, 15)).toBeNull();
    expect(sameMachine(machine, { ...machine, memoryMb: 24_010 })).toBe(true);
    expect(sameMachine(machine, { ...machine, cpus: 4 })).toBe(false);
  });

  it('also takes a plain scenario file of the same size and duration', () => {
    const plain = file('api-x.json', '2026-04-01T00:00:00Z', { scenario: 'api', sessions: 10, options: { duration: 15 }, figures: { req_per_s: 7000, p99_ms: 3 } });
    expect(baselineFor([newer, plain], machine, 'api', 10, 15)?.file).toBe('bench/results/api-x.json');
    expect(baselineFor([newer, plain], machine, 'api', 20, 15)?.file).toBe('bench/results/guard-b.json');
  });

  it('fails a figure more than the tolerance worse, in its own direction, past its noise floor', () => {
    const base = { file: 'b', figures: { req_per_s: 8000, p99_ms: 40 } };
    const worseThroughput = compareRun('api', { req_per_s: 5000, p99_ms: 40 }, base, 25);
    expect(worseThroughput.find((v) => v.figure === 'req_per_s')).toMatchObject({ failed: true });
    const betterBoth = compareRun('api', { req_per_s: 12_000, p99_ms: 20 }, base, 25);
    expect(betterBoth.some((v) => v.failed)).toBe(false);
    const slower = compareRun('api', { req_per_s: 8000, p99_ms: 60 }, base, 25);
    expect(slower.find((v) => v.figure === 'p99_ms')).toMatchObject({ failed: true, worsePct: 50 });
    // 2 ms → 4 ms is +100 % but under the 5 ms floor: noise, not a regression.
    const tiny = compareRun('api', { req_per_s: 8000, p99_ms: 4 }, { file: 'b', figures: { req_per_s: 8000, p99_ms: 2 } }, 25);
    expect(tiny.some((v) => v.failed)).toBe(false);
  });

  it('treats any new timeout as a failure when there were none', () => {
    const verdicts = compareRun('restore', { total_s: 5, timeouts: 1 }, { file: 'b', figures: { total_s: 5, timeouts: 0 } }, 25);
    expect(verdicts.find((v) => v.figure === 'timeouts')).toMatchObject({ failed: true });
  });
});
