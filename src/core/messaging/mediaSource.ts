/**
 * Media to send, from wherever the client gave it: base64, bytes already
 * read (multipart), or a URL fetched with a size cap, a timeout, a
 * content-type check, no redirects, and the rule against private addresses.
 */
import { GatewayError } from '../errors.js';
import { assertPublicUrl, type PublicUrlRule } from '../net/publicAddress.js';
import type { MediaSource } from './model.js';

export interface MediaLimits {
  maxBytes: number;
  fetchTimeoutMs: number;
  urlRule: PublicUrlRule;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxBytes: 16 * 1024 * 1024,
  fetchTimeoutMs: 20_000,
  urlRule: { allowPrivate: false },
};

export interface LoadedMedia {
  bytes: Buffer;
  /** The content type the source declared, if any. */
  mimetype: string | null;
}

function tooLarge(limits: MediaLimits): GatewayError {
  return new GatewayError('MEDIA_TOO_LARGE', `Media may be at most ${Math.floor(limits.maxBytes / 1024 / 1024)} MB`, {
    maxBytes: limits.maxBytes,
  });
}

export async function loadMedia(source: MediaSource, limits: MediaLimits): Promise<LoadedMedia> {
  if ('bytes' in source) {
    if (source.bytes.length > limits.maxBytes) throw tooLarge(limits);
    return { bytes: source.bytes, mimetype: null };
  }
  if ('base64' in source) {
    const clean = source.base64.replace(/^data:([^;,]+);base64,/, '');
    const declared = /^data:([^;,]+);base64,/.exec(source.base64)?.[1] ?? null;
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean.replace(/\s/g, ''))) {
      throw new GatewayError('INVALID_MEDIA', 'content.base64 is not valid base64', { field: 'content.base64' });
    }
    const bytes = Buffer.from(clean, 'base64');
    if (bytes.length === 0) throw new GatewayError('INVALID_MEDIA', 'content.base64 is empty', { field: 'content.base64' });
    if (bytes.length > limits.maxBytes) throw tooLarge(limits);
    return { bytes, mimetype: declared };
  }
  return fetchMedia(source.url, limits);
}

async function fetchMedia(raw: string, limits: MediaLimits): Promise<LoadedMedia> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayError('INVALID_MEDIA', 'content.url is not a valid URL', { field: 'content.url' });
  }
  await assertPublicUrl(url, limits.urlRule);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(limits.fetchTimeoutMs) });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${limits.fetchTimeoutMs} ms` : 'the connection failed';
    throw new GatewayError('MEDIA_FETCH_FAILED', `Could not fetch ${url.origin}${url.pathname}: ${reason}`, { url: url.href }, { cause: err });
  }
  if (response.status >= 300 && response.status < 400) {
    throw new GatewayError('MEDIA_FETCH_FAILED', 'The media URL redirects; give the final URL (redirects are not followed)', {
      url: url.href,
      status: response.status,
    });
  }
  if (!response.ok) {
    throw new GatewayError('MEDIA_FETCH_FAILED', `The media URL answered ${response.status}`, { url: url.href, status: response.status });
  }
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(length) && length > limits.maxBytes) {
    await response.body?.cancel();
    throw tooLarge(limits);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limits.maxBytes) {
        await reader.cancel();
        throw tooLarge(limits);
      }
      chunks.push(Buffer.from(value));
    }
  }
  if (total === 0) throw new GatewayError('MEDIA_FETCH_FAILED', 'The media URL returned no content', { url: url.href });
  const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? null;
  return { bytes: Buffer.concat(chunks), mimetype: type };
}
