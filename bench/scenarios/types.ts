import type { BenchOptions } from '../lib/options.js';
import type { Figures } from '../lib/results.js';
import type { Child } from '../lib/rpc.js';

export interface ScenarioContext {
  opts: BenchOptions;
  workDir: string;
  /** Register a child process so it is stopped at the end, whatever happens. */
  track(child: Child): Child;
  untrack(child: Child): void;
}

export interface ScenarioOutcome {
  figures: Figures;
  runs?: Array<{ label: string; figures: Figures }>;
  notes?: string[];
  /** Non-zero: the run measured fine but judged a failure (the guard); results are still written. */
  exitCode?: number;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioOutcome>;
