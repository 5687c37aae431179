import { AsyncLocalStorage } from 'node:async_hooks';
import { addTransactionCapability, type SignalDataTypeMap, type SignalKeyStore } from 'baileys';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SharedAsyncLocalStorage, withSharedAsyncStorage } from '../../src/engine/baileys/sharedAsyncStorage.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('shared AsyncLocalStorage for Baileys sockets', () => {
  it('swaps the class only while the wrapped call runs', () => {
    const inside = withSharedAsyncStorage(() => new AsyncLocalStorage<number>());
    const outside = new AsyncLocalStorage<number>();
    expect(inside).toBeInstanceOf(SharedAsyncLocalStorage);
    expect(outside).not.toBeInstanceOf(SharedAsyncLocalStorage);
    expect(outside).toBeInstanceOf(AsyncLocalStorage);
  });

  it('outside the wrapped call makes real storages that work, subclasses included', async () => {
    withSharedAsyncStorage(() => undefined);
    class Tagged extends AsyncLocalStorage<string> {
      tag(): string {
        return `tag:${this.getStore() ?? 'none'}`;
      }
    }
    const plain = new AsyncLocalStorage<string>();
    const tagged = new Tagged();
    expect(plain).not.toBeInstanceOf(SharedAsyncLocalStorage);
    expect(tagged).toBeInstanceOf(Tagged);
    expect(tagged).toBeInstanceOf(AsyncLocalStorage);
    const seen = await plain.run('p', async () => {
      await tick();
      return tagged.run('t', async () => {
        await tick();
        return [plain.getStore(), tagged.tag()];
      });
    });
    expect(seen).toEqual(['p', 'tag:t']);
    expect(AsyncLocalStorage.bind(() => 1)()).toBe(1);
  });

  it('restores the real class even when the wrapped call throws', () => {
    expect(() =>
      withSharedAsyncStorage(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(new AsyncLocalStorage()).not.toBeInstanceOf(SharedAsyncLocalStorage);
  });

  it('keeps each view’s value apart across awaits, nesting and exit', async () => {
    const [a, b] = withSharedAsyncStorage(() => [new AsyncLocalStorage<string>(), new AsyncLocalStorage<string>()]);
    const seen: Array<[string | undefined, string | undefined]> = [];
    await a.run('a1', async () => {
      await tick();
      seen.push([a.getStore(), b.getStore()]);
      await b.run('b1', async () => {
        await tick();
        seen.push([a.getStore(), b.getStore()]);
        a.exit(() => seen.push([a.getStore(), b.getStore()]));
      });
      seen.push([a.getStore(), b.getStore()]);
    });
    seen.push([a.getStore(), b.getStore()]);
    expect(seen).toEqual([
      ['a1', undefined],
      ['a1', 'b1'],
      [undefined, 'b1'],
      ['a1', undefined],
      [undefined, undefined],
    ]);
  });

  it('keeps two sockets’ key transactions apart when they interleave (Baileys’ own transaction code)', async () => {
    const logger = pino({ level: 'silent' });
    const written: Array<Record<string, unknown>> = [[], []].map(() => ({}));
    const store = (i: number): SignalKeyStore => ({
      get: async () => ({}),
      set: async (data) => {
        Object.assign(written[i]!, data['session'] ?? {});
      },
    });
    const opts = { maxCommitRetries: 1, delayBetweenTriesMs: 0 };
    const [one, two] = withSharedAsyncStorage(() => [
      addTransactionCapability(store(0), logger, opts),
      addTransactionCapability(store(1), logger, opts),
    ]);
    const session = (id: string) => ({ session: { [id]: new Uint8Array([1]) } }) as Partial<{ [T in keyof SignalDataTypeMap]: Record<string, SignalDataTypeMap[T]> }>;
    let seenByTwo: Record<string, unknown> = {};
    await Promise.all([
      one.transaction(async () => {
        await one.set(session('from-one'));
        // Socket two's code running inside socket one's transaction (an event
        // crossing sessions) must not join it: two writes straight to its store.
        await two.set(session('two-direct'));
        await tick();
        await tick();
      }, 'k'),
      two.transaction(async () => {
        await tick();
        await two.set(session('from-two'));
        // Inside its own transaction, socket two sees only what it wrote.
        seenByTwo = await two.get('session', ['from-one', 'from-two']);
      }, 'k'),
    ]);
    expect(Object.keys(written[0]!)).toEqual(['from-one']);
    expect(Object.keys(written[1]!).sort()).toEqual(['from-two', 'two-direct']);
    expect(Object.keys(seenByTwo)).toEqual(['from-two']);
  });

  it('a write that work started inside a key transaction but did not await lands in the store after the commit (Baileys’ privacy-token issuance)', async () => {
    const logger = pino({ level: 'silent' });
    const written: Record<string, unknown> = {};
    const store: SignalKeyStore = {
      get: async () => ({}),
      set: async (data) => {
        Object.assign(written, data['session'] ?? {});
      },
    };
    const keys = withSharedAsyncStorage(() => addTransactionCapability(store, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 0 }));
    const session = (id: string) => ({ session: { [id]: new Uint8Array([1]) } }) as Partial<{ [T in keyof SignalDataTypeMap]: Record<string, SignalDataTypeMap[T]> }>;
    let detached: Promise<void> = Promise.resolve();
    await keys.transaction(async () => {
      await keys.set(session('awaited'));
      detached = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await keys.set(session('fire-and-forget'));
      })();
    }, 'k');
    await detached;
    expect(Object.keys(written).sort()).toEqual(['awaited', 'fire-and-forget']);
    expect(keys.isInTransaction()).toBe(false);
  });
});
