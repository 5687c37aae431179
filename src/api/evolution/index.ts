import type { Dialect } from '../types.js';
import { renderEvolutionEvent } from './events.js';
import { EVOLUTION_ROOT_PATHS, evolutionPlugin } from './plugin.js';

export { evolutionWebhookUrl, renderEvolutionEvent, type EvolutionEventContext } from './events.js';
export {
  EVOLUTION_WEBHOOK_FORMAT,
  evolutionWebhookFormat,
  evolutionWebhookTargets,
  type EvolutionWebhookTarget,
} from './webhookTargets.js';
export {
  evolutionEventKey,
  evolutionWebhookSettingsKey,
  evolutionWebhookWants,
  readEvolutionWebhook,
  type EvolutionWebhookSettings,
} from './webhookSettings.js';

export const evolutionDialect: Dialect = {
  name: 'evolution',
  rootPaths: EVOLUTION_ROOT_PATHS,
  plugin: evolutionPlugin,
  renderEvent: (event) => renderEvolutionEvent(event),
};
