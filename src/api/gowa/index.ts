import type { Dialect } from '../types.js';
import { renderGowaEvent } from './events.js';
import { GOWA_ROOT_PATHS, gowaPlugin } from './plugin.js';

export const gowaDialect: Dialect = {
  name: 'gowa',
  rootPaths: GOWA_ROOT_PATHS,
  plugin: gowaPlugin,
  // GOWA's webhooks carry only WhatsApp traffic (message, message.ack, …):
  // no device login, logout or connection events.
  renderEvent: renderGowaEvent,
};
