import type { Dialect } from '../types.js';
import { renderGomultiEvent } from './events.js';
import { GOMULTI_ROOT_PATHS, gomultiPlugin } from './plugin.js';

export const gomultiDialect: Dialect = {
  name: 'gomulti',
  rootPaths: GOMULTI_ROOT_PATHS,
  plugin: gomultiPlugin,
  // Messages and receipts. Its connection events (connection.connected with
  // the account's jid, phone_number and push_name) need the linked account,
  // which a state-change event does not carry; they render as null.
  renderEvent: renderGomultiEvent,
};
