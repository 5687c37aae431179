/**
 * Paging and filtering of session lists, for the native API (cursor paging)
 * and the dialects whose originals page by offset. Sessions are ordered by
 * creation time, then id, so a cursor stays valid while sessions come and go:
 * it names the last session a page held, and the next page starts after it.
 */
import { GatewayError } from '../../core/errors.js';
import type { SessionState, SessionView } from '../../core/model.js';

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

function byCreation(a: SessionView, b: SessionView): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
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

function encodeCursor(view: SessionView): string {
  return Buffer.from(JSON.stringify([view.createdAt, view.sessionId]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string')) {
      return parsed as [string, string];
    }
  } catch {
    // fall through to the 400
  }
  throw new GatewayError('VALIDATION_FAILED', 'query.cursor is not a cursor this gateway gave; pass nextCursor unchanged', {
    field: 'query.cursor',
  });
}

/** One page after `cursor` (from the start when undefined); all the rest when `limit` is undefined. */
export function cursorPage(views: readonly SessionView[], cursor: string | undefined, limit: number | undefined): CursorPage {
  let sorted = sortByCreation(views);
  if (cursor !== undefined) {
    const [createdAt, sessionId] = decodeCursor(cursor);
    const after = { createdAt, sessionId } as SessionView;
    sorted = sorted.filter((view) => byCreation(view, after) > 0);
  }
  if (limit === undefined || sorted.length <= limit) return { items: sorted, nextCursor: null };
  const items = sorted.slice(0, limit);
  return { items, nextCursor: encodeCursor(items[items.length - 1]!) };
}

/** Offset paging as WAHA and GOWA clients send it; undefined limit = the rest. */
export function offsetPage<T>(items: readonly T[], offset: number | undefined, limit: number | undefined): T[] {
  const start = offset ?? 0;
  return items.slice(start, limit === undefined ? undefined : start + limit);
}
