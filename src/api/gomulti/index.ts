import type { Dialect } from '../types.js';
import { GOMULTI_ROOT_PATHS, gomultiPlugin } from './plugin.js';

export const gomultiDialect: Dialect = { name: 'gomulti', rootPaths: GOMULTI_ROOT_PATHS, plugin: gomultiPlugin };
