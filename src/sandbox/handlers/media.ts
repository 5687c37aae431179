/**
 * xmlns="w:m" media_conn: where to upload media and with what token. The
 * one host is the sandbox's own port (`127.0.0.1:<port>`); the client builds
 * `https://<host>/mms/<type>/<hash>?auth=…&token=…` from it (media/mediaServer.ts).
 */
import { node } from '../binary/nodes.js';
import { AUTH_TTL_S, CONN_TTL_S, MAX_UPLOAD_BYTES, type MediaStore } from '../media/mediaStore.js';
import type { StanzaRouter } from '../router/stanzaRouter.js';

export function registerMediaHandlers(router: StanzaRouter, media: { store: MediaStore; host: string }): void {
  router.iq('w:m', 'media_conn', () => [
    node(
      'media_conn',
      { auth: media.store.issueAuth(), ttl: String(CONN_TTL_S), auth_ttl: String(AUTH_TTL_S), max_buckets: '12' },
      [node('host', { hostname: media.host, maxContentLengthBytes: String(MAX_UPLOAD_BYTES) })],
    ),
  ]);
}
