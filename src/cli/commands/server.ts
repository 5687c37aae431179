/** `wagate start` and `wagate sandbox`: the gateway in this process, as `npm start` and `npm run sandbox` run it. */
import type { Command } from 'commander';

/** Loaded on use: the gateway is most of the code, and the other commands do without it. */
async function run(argv: string[]): Promise<void> {
  const { runServer } = await import('../../server.js');
  await runServer(argv);
}

export function serverCommands(program: Command): void {
  program
    .command('start')
    .description('run the gateway (settings from the environment: PORT, DATA_DIR, WAGATE_API_KEY, … see README)')
    .option('--sandbox', 'against the built-in simulated WhatsApp network instead of WhatsApp')
    .action(async (opts: { sandbox?: boolean }) => run(opts.sandbox ? ['--sandbox'] : []));

  program
    .command('sandbox')
    .description('run the gateway against the built-in simulated WhatsApp network (no real phone needed)')
    .action(async () => run(['--sandbox']));
}
