import { describe, expect, it } from 'vitest';
import { createMemoryAuthStore } from '../../src/store/memoryAuthStore.js';
import type { KeyWrite } from '../../src/store/types.js';

describe('createMemoryAuthStore', () => {
  it('round-trips creds and keys, null deletes, wipe clears', async () => {
    const auth = createMemoryAuthStore('s1');
    expect(auth.sessionId).toBe('s1');
    expect(await auth.hasCreds()).toBe(false);
    expect(await auth.readCreds()).toBeNull();
    await auth.writeCreds('{"a":1}');
    expect(await auth.hasCreds()).toBe(true);
    expect(await auth.readCreds()).toBe('{"a":1}');

    await auth.writeKeys([
      { type: 'pre-key', id: '1', value: 'one' },
      { type: 'pre-key', id: '2', value: 'two' },
      { type: 'session', id: '1', value: 'sess' },
    ]);
    expect(await auth.readKeys('pre-key', ['1', '2', '3'])).toEqual({ '1': 'one', '2': 'two' });
    await auth.writeKeys([{ type: 'pre-key', id: '1', value: null }]);
    expect(await auth.readKeys('pre-key', ['1', '2'])).toEqual({ '2': 'two' });

    await auth.wipe();
    expect(await auth.hasCreds()).toBe(false);
    expect(await auth.readKeys('pre-key', ['2'])).toEqual({});
    expect(await auth.readKeys('session', ['1'])).toEqual({});
  });

  it('writes nothing of a batch with a bad entry', async () => {
    const auth = createMemoryAuthStore('s1');
    const bad = [
      { type: 'pre-key', id: '1', value: 'one' },
      { type: 'pre-key', id: '2', value: 42 },
    ] as unknown as KeyWrite[];
    await expect(auth.writeKeys(bad)).rejects.toThrow();
    expect(await auth.readKeys('pre-key', ['1'])).toEqual({});
  });
});
