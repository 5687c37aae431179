/**
 * The store settings of the offline commands (backup, rotate-master-key),
 * read as the gateway reads them: with `--sandbox` (or WAGATE_SANDBOX=1) the
 * sandbox's own store under $DATA_DIR/sandbox.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { CliError, EXIT } from './exitCodes.js';

export function storeConfig(opts: { sandbox?: boolean }): Config['store'] {
  try {
    return loadConfig(process.env, opts.sandbox ? ['--sandbox'] : []).store;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.USAGE);
    throw err;
  }
}
