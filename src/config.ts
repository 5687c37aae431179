/**
 * Configuration from the environment (and `--sandbox`), read once at start
 * through the one table in config/schema.ts. Every bad variable is reported
 * together in one ConfigError, each by name with what it expects.
 */
import { InvalidValue, type SettingContext } from './config/kinds.js';
import { listSettings, SCHEMA, type ConfigOf } from './config/schema.js';

export type { TrustProxy } from './config/kinds.js';
export { SANDBOX_SUBDIR } from './config/schema.js';

/** The whole configuration, sectioned: `config.server.port`, `config.dialects.gowa.users` … */
// An interface (not an alias) so error messages say `Config`, not the whole table.
export interface Config extends ConfigOf<typeof SCHEMA> {}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function rawValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function loadConfig(env: Env = process.env, argv: string[] = process.argv.slice(2)): Config {
  const problems: string[] = [];
  const settings = listSettings();

  const read = (index: number, ctx: SettingContext): unknown => {
    const { setting } = settings[index]!;
    const raw = rawValue(env, setting.env);
    if (raw === undefined) return setting.fallback(ctx);
    try {
      return setting.parse(raw, ctx);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      const shown = setting.secret ? `${setting.env} (value hidden)` : `${setting.env}=${JSON.stringify(raw)}`;
      problems.push(`${shown} is not valid: expected ${err.expected}`);
      return setting.fallback(ctx);
    }
  };
  const indexOf = (path: string): number => settings.findIndex((s) => s.path === path);

  // Sandbox mode and the data directory come first: other defaults depend on them.
  const ctx: SettingContext = { sandbox: false, dataDir: '' };
  const sandboxIndex = indexOf('sandbox.enabled');
  ctx.sandbox = argv.includes('--sandbox') || read(sandboxIndex, ctx) === true;
  const dataDirIndex = indexOf('store.dataDir');
  ctx.dataDir = read(dataDirIndex, ctx) as string;

  const config: Record<string, unknown> = {};
  settings.forEach(({ path }, index) => {
    let value: unknown;
    if (index === sandboxIndex) value = ctx.sandbox;
    else if (index === dataDirIndex) value = ctx.dataDir;
    else value = read(index, ctx);
    const keys = path.split('.');
    let node = config;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1]!] = value;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  // The object was built from the same table the type is read off.
  return config as unknown as Config;
}
