import type { Dialect } from '../types.js';
import { GOMULTI_ROOT_PATHS, gomultiPlugin } from './plugin.js';

export const gomultiDialect: Dialect = {
  name: 'gomulti',
  rootPaths: GOMULTI_ROOT_PATHS,
  plugin: gomultiPlugin,
  // go-whatsapp-multi-session's connection events (connection.connected with
  // the account's jid, phone_number and push_name) need the linked account,
  // which a state-change event does not carry; mapping them needs the hook
  // to receive the session view as well.
  renderEvent: () => null,
};
