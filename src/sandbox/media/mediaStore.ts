/**
 * The media host's storage: encrypted blobs by direct path, and the upload
 * auth tokens handed out in `media_conn`. In memory only (a restart loses
 * media, as an expired WhatsApp URL would), bounded by total bytes: the
 * oldest blobs go first.
 */
import { randomBytes } from 'node:crypto';

export interface StoredMedia {
  body: Buffer;
  /** The upload segment it came in through (image, video, audio, document). */
  segment: string;
  storedAt: number;
}

/** Default bound on stored bytes. */
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** How long a media_conn auth token is good for (seconds), as the real server's `auth_ttl`. */
export const AUTH_TTL_S = 21_600;
/** How long the client may reuse the media_conn answer (seconds). */
export const CONN_TTL_S = 300;
/** The largest upload the host accepts (its `maxContentLengthBytes`). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export class MediaStore {
  private readonly blobs = new Map<string, StoredMedia>();
  private readonly tokens = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  /** A fresh upload token (media_conn's `auth`). */
  issueAuth(): string {
    const now = Date.now();
    for (const [token, expires] of this.tokens) if (expires < now) this.tokens.delete(token);
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, now + AUTH_TTL_S * 1000);
    return token;
  }

  authValid(token: string): boolean {
    const expires = this.tokens.get(token);
    return expires !== undefined && expires >= Date.now();
  }

  /** Files a blob; returns its direct path (`/v/t62.7118-24/<id>.enc?ccb=11-4`, the shape WhatsApp uses). */
  put(body: Buffer, segment: string): string {
    const directPath = `/v/t62.7118-24/${randomBytes(16).toString('hex')}.enc?ccb=11-4`;
    this.blobs.set(pathKey(directPath), { body, segment, storedAt: Date.now() });
    this.bytes += body.length;
    for (const [key, blob] of this.blobs) {
      if (this.bytes <= this.maxBytes) break;
      this.blobs.delete(key);
      this.bytes -= blob.body.length;
    }
    return directPath;
  }

  /** By direct path or full URL (the query string does not matter). */
  get(pathOrUrl: string): StoredMedia | undefined {
    return this.blobs.get(pathKey(pathOrUrl));
  }
}

function pathKey(pathOrUrl: string): string {
  const withoutOrigin = pathOrUrl.replace(/^[a-z]+:\/\/[^/]+/i, '');
  return withoutOrigin.split('?')[0]!;
}
