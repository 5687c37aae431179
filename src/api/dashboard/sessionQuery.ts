/**
 * The dashboard's session list at scale: search, a state filter with counts
 * per state, a sort, and cursor paging, all on the server so the page holds
 * one page of sessions however many there are.
 */
import { GatewayError } from '../../core/errors.js';
import type { SessionState, SessionView } from '../../core/model.js';
import { isSessionState } from '../../domain/sessionState.js';
import { SESSION_SORTS, countByState, filterSessions, sortedCursorPage, type SessionSort } from '../http/sessionPaging.js';

export const MAX_PAGE_SIZE = 200;

export interface SessionQuery {
  q?: string;
  state?: SessionState;
  sort: SessionSort;
  cursor?: string;
  /** undefined: every matching session (the page before paging existed). */
  limit?: number;
}

export interface SessionListAnswer {
  sessions: SessionView[];
  nextCursor: string | null;
  /** Sessions matching the search and the state filter. */
  total: number;
  /** Sessions matching the search, per state (the filter's counts). */
  counts: Record<SessionState, number>;
  /** Every session the gateway holds. */
  all: number;
}

function text(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
}

/** Reads the query string; every bad value is a 400 that says what is allowed. */
export function parseSessionQuery(raw: Record<string, unknown>): SessionQuery {
  const query: SessionQuery = { sort: 'created' };
  const q = text(raw.q);
  if (q !== undefined) query.q = q;
  const state = text(raw.state);
  if (state !== undefined) {
    if (!isSessionState(state)) throw new GatewayError('VALIDATION_FAILED', `state must be a session state, not "${state}"`, { field: 'query.state' });
    query.state = state;
  }
  const sort = text(raw.sort);
  if (sort !== undefined) {
    if (!(SESSION_SORTS as readonly string[]).includes(sort)) {
      throw new GatewayError('VALIDATION_FAILED', `sort must be one of ${SESSION_SORTS.join(', ')}`, { field: 'query.sort' });
    }
    query.sort = sort as SessionSort;
  }
  const cursor = text(raw.cursor);
  if (cursor !== undefined) query.cursor = cursor;
  const limit = text(raw.limit);
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
      throw new GatewayError('VALIDATION_FAILED', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`, { field: 'query.limit' });
    }
    query.limit = n;
  }
  return query;
}

export function querySessions(views: readonly SessionView[], query: SessionQuery): SessionListAnswer {
  const searched = filterSessions(views, { q: query.q });
  const matching = query.state === undefined ? searched : searched.filter((view) => view.state === query.state);
  const page = sortedCursorPage(matching, query.sort, query.cursor, query.limit);
  return { sessions: page.items, nextCursor: page.nextCursor, total: matching.length, counts: countByState(searched), all: views.length };
}
