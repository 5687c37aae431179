import { pairScenario } from './pair.js';
import { restoreScenario } from './restore.js';
import type { Scenario } from './types.js';

export const SCENARIOS: Record<string, Scenario> = {
  pair: pairScenario,
  restore: restoreScenario,
};
