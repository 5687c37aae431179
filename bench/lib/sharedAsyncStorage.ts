/**
 * Experiment (bench only, preload with `--import`): every AsyncLocalStorage
 * created after this runs becomes a view over ONE real storage. On Node 20
 * each live storage is visited for every new promise, and Baileys makes one
 * per socket, so with N sessions every promise costs O(N). Views keep their
 * own values exactly (a map keyed by view inside the shared store), so
 * behaviour is unchanged; only `disable()` is a no-op.
 */
import asyncHooks from 'node:async_hooks';
import { syncBuiltinESMExports } from 'node:module';

const Real = asyncHooks.AsyncLocalStorage;
const shared = new Real<Map<object, unknown>>();

class SharedAsyncLocalStorage<T> {
  static bind = Real.bind.bind(Real);
  static snapshot = Real.snapshot.bind(Real);

  getStore(): T | undefined {
    return shared.getStore()?.get(this) as T | undefined;
  }

  run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R {
    const next = new Map(shared.getStore());
    next.set(this, store);
    return shared.run(next, fn, ...args);
  }

  exit<R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): R {
    const next = new Map(shared.getStore());
    next.delete(this);
    return shared.run(next, fn, ...args);
  }

  enterWith(store: T): void {
    const next = new Map(shared.getStore());
    next.set(this, store);
    shared.enterWith(next);
  }

  disable(): void {
    // Nothing to release: the shared storage lives for the process.
  }
}

(asyncHooks as { AsyncLocalStorage: unknown }).AsyncLocalStorage = SharedAsyncLocalStorage;
syncBuiltinESMExports();
