import type { Dialect } from '../types.js';
import { BRIDGE_ROOT_PATHS, bridgePlugin } from './plugin.js';

export const bridgeDialect: Dialect = {
  name: 'bridge',
  rootPaths: BRIDGE_ROOT_PATHS,
  plugin: bridgePlugin,
  // The single-session bridge documents no webhooks; its clients poll /session/status.
  renderEvent: () => null,
};
