/**
 * Offset paging parameters as the originals' clients send them in the query
 * string (`limit`, `offset`, and WAHA's `sortBy`/`sortOrder`). A value that
 * is not a number, or a sort field the list does not have, is a 400 in the
 * dialect's envelope rather than silently ignored.
 */
import { GatewayError } from '../../core/errors.js';
import { offsetPage } from '../http/sessionPaging.js';

export interface OffsetQuery {
  limit: number | undefined;
  offset: number | undefined;
  sortBy: string | undefined;
  sortOrder: 'asc' | 'desc';
}

const MAX_LIMIT = 1000;

function field(query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(name, 'must be given once');
  return value;
}

function invalid(name: string, message: string): GatewayError {
  return new GatewayError('VALIDATION_FAILED', `query.${name} ${message}`, { field: `query.${name}` });
}

function integer(query: unknown, name: string, min: number, max: number): number | undefined {
  const raw = field(query, name);
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(name, `must be a whole number from ${min} to ${max}`);
  return n;
}

export function offsetQuery(query: unknown, sortFields: readonly string[] = []): OffsetQuery {
  const sortBy = field(query, 'sortBy');
  if (sortBy !== undefined && !sortFields.includes(sortBy)) {
    throw invalid('sortBy', sortFields.length === 0 ? 'is not supported here' : `must be one of ${sortFields.join(', ')}`);
  }
  const order = field(query, 'sortOrder')?.toLowerCase();
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw invalid('sortOrder', 'must be asc or desc');
  return {
    limit: integer(query, 'limit', 1, MAX_LIMIT),
    offset: integer(query, 'offset', 0, Number.MAX_SAFE_INTEGER),
    sortBy,
    sortOrder: order === 'desc' ? 'desc' : 'asc',
  };
}

/** Sort by `key` of the chosen field (when one was asked for), then apply offset and limit. */
export function applyOffsetQuery<T>(items: readonly T[], query: OffsetQuery, keyOf: (item: T, field: string) => string): T[] {
  let sorted = [...items];
  const { sortBy } = query;
  if (sortBy !== undefined) {
    sorted.sort((a, b) => keyOf(a, sortBy).localeCompare(keyOf(b, sortBy)));
  }
  if (query.sortOrder === 'desc') sorted = sorted.reverse();
  return offsetPage(sorted, query.offset, query.limit);
}
