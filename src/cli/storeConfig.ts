/** The store settings of the offline commands (backup, rotate-master-key), read as the gateway reads them. */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { CliError, EXIT } from './exitCodes.js';

export function storeConfig(): Config['store'] {
  try {
    return loadConfig(process.env, []).store;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.USAGE);
    throw err;
  }
}
