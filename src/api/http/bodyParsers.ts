/**
 * The one body-parser set-up of the app, installed once at the root and
 * inherited by every surface:
 * - JSON through Fastify's own parser (it refuses `__proto__` poisoning);
 *   an empty or blank body with `Content-Type: application/json` means "no
 *   body", as curl -X POST -H … and the originals' clients send it;
 * - form bodies (`a=1&b=2`) as a flat object, which several originals accept.
 * A surface that takes JSON only (the native API) removes the form parser in
 * its own scope, so a form body there is a 415.
 */
import type { FastifyInstance } from 'fastify';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
  app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}
