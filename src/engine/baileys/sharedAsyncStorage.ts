/**
 * One AsyncLocalStorage for every Baileys socket.
 *
 * Why: Baileys' key store (`addTransactionCapability`) makes a new
 * AsyncLocalStorage per socket and never disables it. On Node 20 every live
 * storage is visited each time a promise is created, and an enabled storage
 * stays in Node's list for the life of the process. With 1000 sessions each
 * promise paid 1000 visits (35 % of the CPU under API load), and every
 * reconnect added one more for good.
 *
 * What: while `makeWASocket` runs (synchronously; that is where Baileys
 * creates its storage), `new AsyncLocalStorage()` makes a view instead.
 * Each view keeps its own value in a map held by ONE real storage, so a
 * socket only ever sees its own transaction context, exactly as before; the
 * process has one storage to propagate instead of one per socket ever made.
 * Outside that call `new AsyncLocalStorage()` makes a real storage, as
 * before: no other code is affected.
 *
 * A view also ends a value when the async `run` that set it has settled.
 * Baileys runs each key transaction as `run(ctx, work)` and commits
 * `ctx.mutations` once `work` settles; work it started and did not await
 * (its fire-and-forget privacy-token issuance after every 1:1 send) kept
 * seeing `ctx` and wrote into mutations already committed, so the write was
 * lost and the next send issued the token again. After the run those writes
 * go straight to the store, as writes outside a transaction do.
 */
import asyncHooks from 'node:async_hooks';
import { syncBuiltinESMExports } from 'node:module';

const Real = asyncHooks.AsyncLocalStorage;
type Values = Map<object, unknown>;
const shared = new Real<Values>();
/** Values whose async run has settled: no longer a live context. */
const ended = new WeakSet<object>();

function withValue(view: object, value: unknown, present: boolean): Values {
  const next = new Map(shared.getStore());
  if (present) next.set(view, value);
  else next.delete(view);
  return next;
}

/** A view over the shared storage with AsyncLocalStorage's instance API. */
export class SharedAsyncLocalStorage<T> {
  static bind = Real.bind.bind(Real);
  static snapshot = Real.snapshot.bind(Real);

  getStore(): T | undefined {
    const value = shared.getStore()?.get(this) as T | undefined;
    return typeof value === 'object' && value !== null && ended.has(value) ? undefined : value;
  }

  run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R {
    const result = shared.run(withValue(this, store, true), fn, ...args);
    if (typeof store === 'object' && store !== null && isThenable(result)) {
      // Registered before the caller's own await, so it runs first.
      const end = () => void ended.add(store);
      result.then(end, end);
    }
    return result;
  }

  exit<R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): R {
    return shared.run(withValue(this, undefined, false), fn, ...args);
  }

  enterWith(store: T): void {
    shared.enterWith(withValue(this, store, true));
  }

  /** Views own nothing to release; the shared storage lives for the process. */
  disable(): void {}
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const hooks = asyncHooks as { AsyncLocalStorage: unknown };
/** > 0 while a wrapped call runs: `new AsyncLocalStorage()` then makes a view. */
let depth = 0;

/**
 * What `AsyncLocalStorage` names once installed: outside a wrapped call it
 * constructs a real storage (of the class `new` was called on, so subclasses
 * and `instanceof` behave as before); inside, a view over the shared one.
 */
const SwitchingAsyncLocalStorage = function AsyncLocalStorage(this: unknown, ...args: unknown[]): object {
  if (depth > 0) return new SharedAsyncLocalStorage();
  return Reflect.construct(Real, args, new.target ?? SwitchingAsyncLocalStorage) as object;
} as unknown as typeof Real;
Object.setPrototypeOf(SwitchingAsyncLocalStorage, Real);
SwitchingAsyncLocalStorage.prototype = Object.create(Real.prototype, { constructor: { value: SwitchingAsyncLocalStorage, writable: true, configurable: true } }) as typeof Real.prototype;
Object.defineProperty(SwitchingAsyncLocalStorage, Symbol.hasInstance, {
  value: (value: unknown) => value instanceof Real || value instanceof SharedAsyncLocalStorage,
});

let installed = false;

/**
 * Runs `fn` with `new AsyncLocalStorage()` (from 'async_hooks' or
 * 'node:async_hooks', CommonJS or ESM) making a shared view. Re-entrant.
 *
 * The switching class is installed once, on first use: re-syncing every
 * builtin's ES-module exports (`syncBuiltinESMExports`) twice per socket,
 * as the swap did before, cost ~2 % of a connect burst's CPU.
 */
export function withSharedAsyncStorage<R>(fn: () => R): R {
  if (!installed) {
    installed = true;
    hooks.AsyncLocalStorage = SwitchingAsyncLocalStorage;
    syncBuiltinESMExports();
  }
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}
