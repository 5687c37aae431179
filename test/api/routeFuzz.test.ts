/**
 * Property-based fuzzing of every route (test/support/routeFuzz.ts): no 5xx,
 * every error in its surface's envelope, nothing changed by a refusal. A
 * bounded run here (fixed seed, so a failure reproduces; FUZZ_SEED and
 * FUZZ_RUNS change it); `npm run bench -- fuzz --runs N` runs longer.
 */
import { describe, expect, it } from 'vitest';
import { runRouteFuzz } from '../support/routeFuzz.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

describe('route fuzz', () => {
  it(`answers ${RUNS} generated bad requests without a 5xx, off-envelope error or change`, async () => {
    const report = await runRouteFuzz({ runs: RUNS, seed: SEED });
    expect(report.routes).toBeGreaterThan(50);
    expect(report.requests).toBe(RUNS);
    expect(report.findings, JSON.stringify(report.findings.slice(0, 10), null, 1)).toEqual([]);
  }, 120_000);
});
