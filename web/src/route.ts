/** The page the URL hash names: `#/sessions/<id>`, `#/webhooks`, `#/keys/<id>`, `#/events`. */
export type Route =
  | { page: 'sessions'; sessionId: string | null }
  | { page: 'webhooks' }
  | { page: 'keys'; sessionId: string | null }
  | { page: 'events' };

export function parseRoute(hash: string): Route {
  const [page = '', rest] = hash.replace(/^#\/?/, '').split(/\/(.*)/s);
  const id = rest ? decodeURIComponent(rest) : null;
  if (page === 'webhooks') return { page: 'webhooks' };
  if (page === 'keys') return { page: 'keys', sessionId: id };
  if (page === 'events') return { page: 'events' };
  return { page: 'sessions', sessionId: page === 'sessions' ? id : null };
}

export function routeHash(route: Route): string {
  switch (route.page) {
    case 'sessions':
      return route.sessionId ? `#/sessions/${encodeURIComponent(route.sessionId)}` : '#/sessions';
    case 'keys':
      return route.sessionId ? `#/keys/${encodeURIComponent(route.sessionId)}` : '#/keys';
    default:
      return `#/${route.page}`;
  }
}
