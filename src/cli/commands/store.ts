/**
 * `wagate backup` and `wagate rotate-master-key`: commands on the store
 * itself, not over HTTP. Their code (store, SQLite, crypto) is loaded only
 * when one of them runs, so the other commands start quickly.
 */
import type { Command } from 'commander';

const SANDBOX_HELP = "the sandbox gateway's store ($DATA_DIR/sandbox)";

export function storeCommands(program: Command): void {
  program
    .command('backup')
    .description('copy the store to a file while the gateway runs (SQLite: a consistent snapshot; PostgreSQL: pg_dump)')
    .argument('<file>', 'where to write the copy')
    .option('--force', 'replace the file if it exists')
    .option('--sandbox', SANDBOX_HELP)
    .action(async (file: string, opts: { force?: boolean; sandbox?: boolean }) => {
      const { backup } = await import('../offline/backup.js');
      await backup(file, opts);
    });

  program
    .command('rotate-master-key')
    .description('re-encrypt every stored secret under a new master key (stop the gateway first)')
    .option('--new-key-file <path>', 'read the new key from this file (else WAGATE_NEW_MASTER_KEY, else a new random key)')
    .option('--sandbox', SANDBOX_HELP)
    .action(async (opts: { newKeyFile?: string; sandbox?: boolean }) => {
      const { rotate } = await import('../offline/rotateMasterKey.js');
      await rotate(opts);
    });
}
