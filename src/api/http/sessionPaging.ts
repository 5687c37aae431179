/**
 * Paging and filtering of session lists, for the native API (cursor paging)
 * and the dialects whose originals page by offset. Sessions are ordered by
 * creation time, then id, so a cursor stays valid while sessions come and go:
 * it names the last session a page held, and the next page starts after it.
 */
import { GatewayError } from '../../core/errors.js';
import type { SessionState, SessionView } from '../../core/model.js';
import { SESSION_STATES, zeroCountsByState } from '../../domain/sessionState.js';

export interface SessionFilter {
  state?: SessionState;
  /** Case-insensitive text found in the id, the display name or the linked phone number. */
  q?: string;
}

export interface CursorPage {
  items: SessionView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Orders a list can be paged in; `-created` is newest first. */
export const SESSION_SORTS = ['created', '-created', 'name', 'state'] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];

const STATE_RANK = new Map<SessionState, number>(SESSION_STATES.map((state, index) => [state, index]));

/** The text a sort compares first (the session id breaks ties); a cursor carries it. */
function sortKey(view: SessionView, sort: SessionSort): string {
  switch (sort) {
    case 'created':
    case '-created':
      return view.createdAt;
    case 'name':
      return (view.displayName ?? view.sessionId).toLowerCase();
    case 'state':
      return `${String(STATE_RANK.get(view.state) ?? 99).padStart(2, '0')}|${(view.displayName ?? view.sessionId).toLowerCase()}`;
  }
}

type Position = readonly [key: string, sessionId: string];

function comparePositions(a: Position, b: Position, descending: boolean): number {
  const order = a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  return descending ? -order : order;
}

function byCreation(a: SessionView, b: SessionView): number {
  return comparePositions([a.createdAt, a.sessionId], [b.createdAt, b.sessionId], false);
}

export function sortByCreation(views: readonly SessionView[]): SessionView[] {
  return [...views].sort(byCreation);
}

export function filterSessions(views: readonly SessionView[], filter: SessionFilter): SessionView[] {
  const needle = filter.q?.trim().toLowerCase();
  return views.filter((view) => {
    if (filter.state !== undefined && view.state !== filter.state) return false;
    if (!needle) return true;
    const phone = view.me?.phoneNumber ?? '';
    return [view.sessionId, view.displayName ?? '', phone].some((text) => text.toLowerCase().includes(needle));
  });
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string')) {
      return parsed as unknown as Position;
    }
  } catch {
    // fall through to the 400
  }
  throw new GatewayError('VALIDATION_FAILED', 'query.cursor is not a cursor this gateway gave; pass nextCursor unchanged', {
    field: 'query.cursor',
  });
}

/**
 * One page after `cursor` (from the start when undefined) in `sort` order;
 * all the rest when `limit` is undefined. A cursor names the last session's
 * position, so it stays valid while sessions come and go.
 */
export function sortedCursorPage(
  views: readonly SessionView[],
  sort: SessionSort,
  cursor: string | undefined,
  limit: number | undefined,
): CursorPage {
  const descending = sort === '-created';
  let positioned = views
    .map((view) => ({ view, at: [sortKey(view, sort), view.sessionId] as Position }))
    .sort((x, y) => comparePositions(x.at, y.at, descending));
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    positioned = positioned.filter((p) => comparePositions(p.at, after, descending) > 0);
  }
  if (limit === undefined || positioned.length <= limit) return { items: positioned.map((p) => p.view), nextCursor: null };
  const page = positioned.slice(0, limit);
  return { items: page.map((p) => p.view), nextCursor: encodeCursor(page[page.length - 1]!.at) };
}

/** One page in creation order (the native API's). */
export function cursorPage(views: readonly SessionView[], cursor: string | undefined, limit: number | undefined): CursorPage {
  return sortedCursorPage(views, 'created', cursor, limit);
}

/** How many of `views` are in each state (every state present, zero when none). */
export function countByState(views: readonly SessionView[]): Record<SessionState, number> {
  const counts = zeroCountsByState();
  for (const view of views) counts[view.state] += 1;
  return counts;
}

/** Offset paging as WAHA and GOWA clients send it; undefined limit = the rest. */
export function offsetPage<T>(items: readonly T[], offset: number | undefined, limit: number | undefined): T[] {
  const start = offset ?? 0;
  return items.slice(start, limit === undefined ? undefined : start + limit);
}
