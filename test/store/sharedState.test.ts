/**
 * The shared state (sharedStateRepo.ts) on both stores: expiry, secret
 * values encrypted at rest, and the atomic check-and-change steps that let
 * several nodes share one code, one counter or one claim.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS, storeForEachTest } from './targets.js';

const T0 = 1_700_000_000_000;

describe.each(DIALECTS)('shared state (%s)', (dialect) => {
  const t = storeForEachTest(dialect);

  it('keeps an entry until it expires; a secret value is encrypted at rest', async () => {
    await t.store.sharedState.put('plain', { value: 'visible', n: 7, expiresAt: T0 + 1000 });
    await t.store.sharedState.put('hidden', { value: 'the-secret-value', expiresAt: T0 + 1000 }, { secret: true });
    expect(await t.store.sharedState.get('plain', T0)).toEqual({ value: 'visible', n: 7, expiresAt: T0 + 1000 });
    expect((await t.store.sharedState.get('hidden', T0))?.value).toBe('the-secret-value');
    expect(await t.store.sharedState.get('plain', T0 + 1000)).toBeUndefined();
    const rows = await t.target.query<{ value: Uint8Array }>('SELECT value FROM shared_state WHERE key = ?', ['hidden']);
    expect(Buffer.from(rows[0]!.value).toString('latin1')).not.toContain('the-secret-value');
    expect(await t.store.sharedState.purgeExpired(T0 + 1000)).toBe(2);
  });

  it('putIfAbsent claims once while the entry lives, again once it expired', async () => {
    expect(await t.store.sharedState.putIfAbsent('claim', { expiresAt: T0 + 100 }, T0)).toBe(true);
    expect(await t.store.sharedState.putIfAbsent('claim', { expiresAt: T0 + 100 }, T0 + 50)).toBe(false);
    expect(await t.store.sharedState.putIfAbsent('claim', { expiresAt: T0 + 300 }, T0 + 100)).toBe(true);
    expect((await t.store.sharedState.get('claim', T0 + 200))?.expiresAt).toBe(T0 + 300);
  });

  it('take deletes a live entry with the given value for exactly one caller', async () => {
    await t.store.sharedState.put('code', { value: 'h1', expiresAt: T0 + 100 });
    expect(await t.store.sharedState.take('code', T0, 'wrong')).toBe(false);
    const both = await Promise.all([t.store.sharedState.take('code', T0, 'h1'), t.store.sharedState.take('code', T0, 'h1')]);
    expect(both.filter(Boolean)).toHaveLength(1);
    await t.store.sharedState.put('old', { value: 'h1', expiresAt: T0 });
    expect(await t.store.sharedState.take('old', T0, 'h1')).toBe(false);
  });

  it('increment counts in a fixed window and starts again after it', async () => {
    const counts = await Promise.all([1, 2, 3].map(() => t.store.sharedState.increment('wrong', T0 + 1000, T0)));
    expect(counts.map((c) => c.n).sort()).toEqual([1, 2, 3]);
    expect((await t.store.sharedState.increment('wrong', T0 + 5000, T0 + 10)).expiresAt).toBe(T0 + 1000);
    expect(await t.store.sharedState.increment('wrong', T0 + 3000, T0 + 1000)).toEqual({ n: 1, expiresAt: T0 + 3000 });
  });

  it('raise stores only a higher number', async () => {
    expect(await t.store.sharedState.raise('step', 5, T0 + 1000, T0)).toBe(true);
    expect(await t.store.sharedState.raise('step', 5, T0 + 1000, T0)).toBe(false);
    expect(await t.store.sharedState.raise('step', 4, T0 + 1000, T0)).toBe(false);
    expect(await t.store.sharedState.raise('step', 6, T0 + 1000, T0)).toBe(true);
    expect(await t.store.sharedState.raise('step', 1, T0 + 3000, T0 + 1000)).toBe(true);
  });
});
