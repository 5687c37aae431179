import type { Dialect } from '../types.js';
import { renderWahaEvent, renderWahaEvents } from './events.js';
import { WAHA_ROOT_PATHS, wahaPlugin } from './plugin.js';

export const wahaDialect: Dialect = { name: 'waha', rootPaths: WAHA_ROOT_PATHS, plugin: wahaPlugin, renderEvent: renderWahaEvent, renderEvents: renderWahaEvents };
