import type { Dialect } from '../types.js';
import { WAWP_ROOT_PATHS, wawpPlugin } from './plugin.js';

export const wawpDialect: Dialect = {
  name: 'wawp',
  rootPaths: WAWP_ROOT_PATHS,
  plugin: wawpPlugin,
  // Wawp's document describes no webhook events or payloads to imitate.
  renderEvent: () => null,
};
