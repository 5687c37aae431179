/**
 * multipart/form-data bodies for the dialects whose originals take file
 * uploads (GOWA's /send/image, gomulti's /chats/{jid}/images, …). Registered
 * in the dialect's own scope (through @fastify/multipart), and flattened
 * before the handler runs: fields become strings, files become
 * `{bytes, filename, mimetype}`, so handlers read a form like a JSON body.
 * The size caps are WhatsApp's media limit, and a too large file is a 413
 * in the dialect's envelope, not a truncated upload.
 */
import multipart, { type Multipart } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { UploadedFile } from './messaging.js';

const MAX_FILE_BYTES = 16 * 1024 * 1024;

async function flatten(part: Multipart): Promise<string | UploadedFile> {
  if (part.type === 'field') return typeof part.value === 'string' ? part.value : String(part.value);
  let bytes: Buffer;
  try {
    bytes = await part.toBuffer();
  } catch (err) {
    throw new GatewayError('MEDIA_TOO_LARGE', `An uploaded file may be at most ${MAX_FILE_BYTES / 1024 / 1024} MB`, { field: part.fieldname }, { cause: err });
  }
  return { bytes, filename: part.filename || null, mimetype: part.mimetype || null };
}

export async function installMultipartBodies(app: FastifyInstance): Promise<void> {
  await app.register(multipart, {
    attachFieldsToBody: true,
    throwFileSizeLimit: true,
    limits: { fileSize: MAX_FILE_BYTES, files: 4, fields: 50, parts: 60, fieldSize: 64 * 1024 },
  });
  app.addHook('preHandler', async (request) => {
    if (!request.isMultipart()) return;
    const raw = (request.body ?? {}) as Record<string, Multipart | Multipart[] | undefined>;
    const body: Record<string, string | UploadedFile> = {};
    for (const [name, value] of Object.entries(raw)) {
      // A repeated field keeps its first value, as Go's FormValue/FormFile do.
      const first = Array.isArray(value) ? value[0] : value;
      if (first !== undefined) body[name] = await flatten(first);
    }
    request.body = body;
  });
}
