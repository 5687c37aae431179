import type { Dialect } from '../types.js';
import { GOWA_ROOT_PATHS, gowaPlugin } from './plugin.js';

export const gowaDialect: Dialect = {
  name: 'gowa',
  rootPaths: GOWA_ROOT_PATHS,
  plugin: gowaPlugin,
  // GOWA's webhooks carry only WhatsApp traffic (message, message.ack,
  // group.participants, call.offer, newsletter.*): no device login, logout or
  // connection events. The gateway's events today are all lifecycle events,
  // so none has a GOWA form; map `message*` here once messaging emits events.
  renderEvent: () => null,
};
