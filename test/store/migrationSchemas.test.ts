import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { createTarget, DIALECTS, type Target } from './targets.js';

// Several wagate installations (or test runs) may share one PostgreSQL database,
// each in its own schema; each must migrate its own schema, whatever the others hold.
describe.runIf(DIALECTS.includes('postgres'))('PostgreSQL migrations in a schema beside another', () => {
  const targets: Target[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const target of targets.splice(0)) await target.cleanup();
  });

  it('creates its own migration tables even when a neighbouring schema already has them', async () => {
    const first = await createTarget('postgres');
    targets.push(first);
    stores.push(await openStore(first.options()));

    const second = await createTarget('postgres');
    targets.push(second);
    const store = await openStore(second.options());
    stores.push(store);

    const tables = await second.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'kysely_migration%' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(['kysely_migration', 'kysely_migration_lock']);
    const applied = await second.query<{ name: string }>('SELECT name FROM kysely_migration');
    expect(applied.map((r) => r.name)).toContain('0001_initial');
  });
});
