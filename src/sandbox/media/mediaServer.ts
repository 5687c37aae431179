/**
 * The media host, in the manner of WhatsApp's (mmg.whatsapp.net):
 *   POST /mms/<image|video|audio|document>/<fileEncSha256, base64url>?auth=<media_conn auth>&token=<same hash>
 *     body: ciphertext ‖ mac → {"url", "direct_path"}; refused when the auth
 *     token is unknown, the hash in the path is not the body's, or it is too large.
 *   GET <direct path> → the stored bytes (a `Range: bytes=a-[b]` is honoured).
 * Served on the sandbox's own HTTP port. The client builds `https://` URLs
 * from the media_conn host; in sandbox mode its agent dials this port
 * without TLS (see src/engine/baileys/sandboxMedia.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sha256, UPLOAD_SEGMENTS } from './mediaCrypto.js';
import { MAX_UPLOAD_BYTES, type MediaStore } from './mediaStore.js';

const UPLOAD_PATH = /^\/mms\/([a-z-]+)\/([A-Za-z0-9_-]+={0,2})$/;

export class MediaServer {
  /** `host:port` the media_conn answer names (and URLs carry). */
  constructor(
    readonly host: string,
    private readonly store: MediaStore,
    private readonly logger: Logger,
  ) {}

  /** Handles media requests; false when the path is not the media host's. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (req.method === 'POST' && url.pathname.startsWith('/mms/')) {
      this.upload(req, res, url).catch((err: unknown) => {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'media upload failed');
        if (!res.headersSent) reply(res, 500, { error: 'internal-server-error' });
      });
      return true;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith('/v/')) {
      this.download(req, res, url);
      return true;
    }
    return false;
  }

  private async upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = UPLOAD_PATH.exec(url.pathname);
    if (!match || !UPLOAD_SEGMENTS.has(match[1]!)) {
      req.resume();
      return reply(res, 404, { error: 'unknown media type' });
    }
    const [, segment, hashText] = match as unknown as [string, string, string];
    if (!this.store.authValid(url.searchParams.get('auth') ?? '')) {
      req.resume();
      return reply(res, 401, { error: 'bad or expired auth; ask media_conn again' });
    }
    if (url.searchParams.get('token') !== hashText) {
      req.resume();
      return reply(res, 400, { error: 'token must be the file hash of the path' });
    }
    const body = await readBody(req, MAX_UPLOAD_BYTES);
    if (!body) return reply(res, 413, { error: `larger than ${MAX_UPLOAD_BYTES} bytes` });
    const claimed = Buffer.from(hashText, 'base64url');
    if (claimed.length !== 32 || !sha256(body).equals(claimed)) {
      this.logger.info({ segment, bytes: body.length }, 'media upload refused: hash mismatch');
      return reply(res, 400, { error: 'fileEncSha256 in the path does not match the body' });
    }
    const directPath = this.store.put(body, segment);
    this.logger.debug({ segment, bytes: body.length }, 'media uploaded');
    reply(res, 200, { url: `https://${this.host}${directPath}`, direct_path: directPath });
  }

  private download(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const blob = this.store.get(url.pathname);
    if (!blob) return reply(res, 404, { error: 'no such media (expired or never uploaded)' });
    let body = blob.body;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      if (start >= body.length || end < start) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.setHeader('Content-Range', `bytes ${start}-${end}/${blob.body.length}`);
      body = body.subarray(start, end + 1);
      status = 206;
    }
    res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** The whole body, or null beyond `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.destroy();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
