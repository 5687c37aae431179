/**
 * Queries built and compiled by Kysely once per shape, then run with new
 * parameters.
 *
 * Why: building a query (parsers, frozen operation nodes, the compiler's
 * visitor) cost about as much CPU as SQLite running it on the store's hot
 * paths (event commits, message reads and writes, Signal keys). The SQL of
 * a hot query only changes with the shape of its data, so it is built once
 * per shape with placeholders and then executed as a compiled query through
 * the same executor (a transaction's too), for both dialects.
 *
 * The placeholders have the shape of the parameters: plain objects keep
 * their keys (those not undefined), arrays their length, and every other
 * value (strings, numbers, null, Buffers) becomes a placeholder for the
 * value at that place. So `build` may branch on which keys are present and
 * how long arrays are, never on the values themselves. Parameters are
 * plain data: a Kysely expression among them would be bound as a value.
 */
import type { Compilable, CompiledQuery, Kysely, RawBuilder } from 'kysely';
import type { Database } from './schema.js';

/** Stands for the parameter value `read` takes from the parameters when the query runs. */
class Placeholder {
  constructor(readonly read: (params: unknown) => unknown) {}
}

interface Compiled {
  query: CompiledQuery;
  /** Per bound parameter: where to find its value (placeholders), or undefined for a constant of the query. */
  reads: Array<((params: unknown) => unknown) | undefined>;
}

/** Shapes kept per query (fixed-shape queries have one; row counts and column sets make a few). */
const SHAPES_KEPT = 64;

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The shape key: object keys (defined values) and array lengths, recursively. */
function shapeOf(value: unknown): string {
  if (!isContainer(value)) return '';
  if (Array.isArray(value)) {
    let key = `[${value.length}`;
    for (const v of value) key += isContainer(v) ? shapeOf(v) : ',';
    return `${key}]`;
  }
  let key = '{';
  for (const k in value) {
    const v = value[k];
    if (v !== undefined) key += isContainer(v) ? `${k}:${shapeOf(v)},` : `${k},`;
  }
  return `${key}}`;
}

/** `value` with every leaf replaced by a placeholder reading it from the same place (under `read`). */
function placeholders(value: unknown, read: (params: unknown) => unknown): unknown {
  if (!isContainer(value)) return new Placeholder(read);
  if (Array.isArray(value)) return value.map((v, i) => placeholders(v, (p) => (read(p) as unknown[])[i]));
  const out: Record<string, unknown> = {};
  for (const k in value) {
    if (value[k] !== undefined) out[k] = placeholders(value[k], (p) => (read(p) as Record<string, unknown>)[k]);
  }
  return out;
}

export interface PreparedQuery<P, R = unknown> {
  /** Runs the query on `db` (the store or a transaction); a select's rows. */
  rows(db: Kysely<Database>, params: P): Promise<R[]>;
  /** Runs the query on `db`; the rows an insert, update or delete touched. */
  run(db: Kysely<Database>, params: P): Promise<number>;
}

/**
 * `build` makes the query from placeholders shaped like the parameters: a
 * query builder of the store's own Kysely instance, or `sql` (compiled by
 * the instance it first runs on, so each store needs its own PreparedQuery).
 */
export function prepareQuery<P, R = unknown>(build: (params: P) => Compilable<R> | RawBuilder<R>): PreparedQuery<P, R> {
  const byShape = new Map<string, Compiled>();
  const compiledFor = (db: Kysely<Database>, params: P): Compiled => {
    const shape = shapeOf(params);
    const hit = byShape.get(shape);
    if (hit) return hit;
    const built = build(placeholders(params, (p) => p) as P);
    const query = 'isRawBuilder' in built ? built.compile(db) : built.compile();
    const reads = query.parameters.map((v) => (v instanceof Placeholder ? v.read : undefined));
    const compiled = { query, reads };
    byShape.set(shape, compiled);
    if (byShape.size > SHAPES_KEPT) byShape.delete(byShape.keys().next().value!);
    return compiled;
  };
  const execute = (db: Kysely<Database>, params: P) => {
    const { query, reads } = compiledFor(db, params);
    const parameters = reads.map((read, i) => (read ? read(params) : query.parameters[i]));
    // The compiled query's node and id go along unchanged: the store's Kysely has no plugins that would read them.
    return db.executeQuery<R>({ ...query, parameters } as CompiledQuery<R>);
  };
  return {
    rows: async (db, params) => (await execute(db, params)).rows,
    run: async (db, params) => Number((await execute(db, params)).numAffectedRows ?? 0n),
  };
}

/**
 * SQLite: row counts for multi-row statements in powers of two (at most
 * `max`), so a few shapes serve every count: each SQL text is built and
 * prepared once. PostgreSQL: chunks of `max`, fewer round trips.
 */
export function rowChunks<T>(rows: readonly T[], max: number, dialect: 'sqlite' | 'postgres'): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; ) {
    let size = Math.min(max, rows.length - i);
    if (dialect === 'sqlite') size = 2 ** Math.floor(Math.log2(size));
    out.push(rows.slice(i, i + size));
    i += size;
  }
  return out;
}
