import { apiScenario } from './api.js';
import { baselineScenario } from './baseline.js';
import { clusterScenario } from './cluster.js';
import { fuzzScenario } from './fuzz.js';
import { guardScenario } from './guard.js';
import { idleScenario } from './idle.js';
import { messagingScenario } from './messaging.js';
import { pairScenario } from './pair.js';
import { realScenario } from './real.js';
import { restoreScenario } from './restore.js';
import { sandboxLoadScenario } from './sandboxLoad.js';
import { sandboxRelayScenario } from './sandboxRelay.js';
import { scaleScenario } from './scale.js';
import type { Scenario } from './types.js';
import { webhooksScenario } from './webhooks.js';

export const SCENARIOS: Record<string, Scenario> = {
  pair: pairScenario,
  restore: restoreScenario,
  idle: idleScenario,
  api: apiScenario,
  baseline: baselineScenario,
  scale: scaleScenario,
  real: realScenario,
  sandbox: sandboxLoadScenario,
  messaging: messagingScenario,
  'sandbox-relay': sandboxRelayScenario,
  webhooks: webhooksScenario,
  fuzz: fuzzScenario,
  guard: guardScenario,
  cluster: clusterScenario,
};
