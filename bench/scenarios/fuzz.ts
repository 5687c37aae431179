/**
 * `npm run bench -- fuzz --runs N [--seed N]`: the route fuzz of the test
 * suite (test/support/routeFuzz.ts) for as long as asked, in this process
 * (the fake engine: the HTTP layer and the core are what it exercises).
 * Figures: requests, answers by status, and findings by kind (all should be 0).
 */
import { runRouteFuzz } from '../../test/support/routeFuzz.js';
import type { Scenario } from './types.js';

export const fuzzScenario: Scenario = async ({ opts }) => {
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const started = Date.now();
  const report = await runRouteFuzz({
    runs: opts.runs,
    seed,
    onProgress: (done) => {
      if (done % 1000 === 0) process.stderr.write(`fuzz: ${done}/${opts.runs}\n`);
    },
  });
  const kinds = { server_error: 0, off_envelope: 0, changed_state: 0, hung: 0 };
  for (const f of report.findings) kinds[f.kind] += 1;
  return {
    figures: {
      seed,
      routes: report.routes,
      requests: report.requests,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      server_errors: kinds.server_error,
      off_envelope: kinds.off_envelope,
      changed_state: kinds.changed_state,
      hung: kinds.hung,
      ...Object.fromEntries(Object.entries(report.byStatus).map(([status, n]) => [`status_${status}`, n])),
    },
    notes: report.findings.slice(0, 20).map((f) => `${f.kind} ${f.status} ${f.method} ${f.url.slice(0, 120)}: ${f.detail.slice(0, 200)}`),
  };
};
