import type { Dialect } from '../types.js';
import { GOWA_ROOT_PATHS, gowaPlugin } from './plugin.js';

export const gowaDialect: Dialect = { name: 'gowa', rootPaths: GOWA_ROOT_PATHS, plugin: gowaPlugin };
