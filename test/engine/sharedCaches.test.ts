import { describe, expect, it } from 'vitest';
import { BoundedCache, createSharedCaches, scopeCache } from '../../src/engine/baileys/sharedCaches.js';

describe('shared bounded caches', () => {
  it('never holds more than maxEntries, evicting the least recently used', () => {
    const cache = new BoundedCache(3, 60_000);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
  });

  it('expires entries after the TTL without any timer', () => {
    let now = 1_000;
    const cache = new BoundedCache(10, 500, () => now);
    cache.set('k', 'v');
    now += 499;
    expect(cache.get('k')).toBe('v');
    now += 1;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps sessions apart: same key, different scopes', async () => {
    const shared = new BoundedCache(100, 60_000);
    const one = scopeCache(shared, 'one');
    const two = scopeCache(shared, 'two');
    one.set('user', ['1']);
    two.set('user', ['2']);
    expect(one.get('user')).toEqual(['1']);
    expect(two.get('user')).toEqual(['2']);
    one.mset([{ key: 'x', value: 1 }, { key: 'y', value: 2 }]);
    expect(await one.mget(['x', 'y', 'z'])).toEqual({ x: 1, y: 2, z: undefined });
    expect(await two.mget(['x'])).toEqual({ x: undefined });

    one.flushAll();
    expect(one.get('user')).toBeUndefined();
    expect(two.get('user')).toEqual(['2']);
    two.mdel(['user']);
    two.del('nothing');
    expect(shared.size).toBe(0);
  });

  it('creates one cache per purpose', () => {
    const caches = createSharedCaches(1_000);
    expect(Object.keys(caches).sort()).toEqual(['callOffer', 'msgRetryCounter', 'placeholderResend', 'recentSent', 'signalKeys', 'userDevices']);
    expect(caches.userDevices.maxEntries).toBe(1_000);
  });
});
