/**
 * The `wagate` command line (bin/wagate.js runs this). Commands that act on
 * sessions talk to a running gateway over its HTTP API (--url / WAGATE_URL,
 * --key / WAGATE_API_KEY); start and sandbox run the gateway here; backup
 * and rotate-master-key work on the store. Exit codes: exitCodes.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { DEFAULT_URL } from './apiClient.js';
import { eventsCommand } from './commands/events.js';
import { keysCommand } from './commands/keys.js';
import { pairCommand } from './commands/pair.js';
import { serverCommands } from './commands/server.js';
import { sessionsCommand } from './commands/sessions.js';
import { storeCommands } from './commands/store.js';
import { CliError, EXIT } from './exitCodes.js';

// Read here rather than from app.ts, which would load the whole gateway for every command.
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function buildProgram(): Command {
  const program = new Command('wagate')
    .description('wagate: a self-hosted multi-session WhatsApp HTTP gateway')
    .version(VERSION)
    .addOption(new Option('--url <url>', 'the gateway to talk to').env('WAGATE_URL').default(DEFAULT_URL))
    .addOption(new Option('--key <key>', 'API key (prefer the environment variable: a flag shows in ps)').env('WAGATE_API_KEY'))
    .option('--json', 'print JSON instead of text')
    .showHelpAfterError('(run "wagate --help" or "wagate <command> --help" for usage)')
    .exitOverride();
  serverCommands(program);
  sessionsCommand(program);
  pairCommand(program);
  eventsCommand(program);
  keysCommand(program);
  storeCommands(program);
  // Subcommands inherit exitOverride only when set on each.
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  // Files made here (backups, key files, -wal/-shm) are the owner's alone, as the gateway's are.
  process.umask(0o077);
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, successfully; commander printed the message already.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`wagate: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`wagate: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.FAILED;
  }
}

const code = await runCli(process.argv.slice(2));
// start / sandbox keep running (their server holds the process open); everything else ends here.
if (code !== EXIT.OK) process.exit(code);
