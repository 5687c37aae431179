/** Linking a device: the QR code (JSON, PNG or SVG) and pairing codes. */
import type { FastifyReply } from 'fastify';
import QRCode from 'qrcode';
import { Type } from 'typebox';
import { SessionParams } from '../../http/params.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { PairingCodeBody, PairingCodeSchema, QrQuery, QrSchema, dataOf, errorResponses } from '../schemas.js';

const TAGS = ['Pairing'];

export function pairingRoutes(app: NativeApp, { core }: NativeContext): void {
  const sessions = core.sessions;

  app.get(
    '/sessions/:sessionId/auth/qr',
    {
      schema: {
        summary: 'Current QR code',
        description:
          'The QR code to scan with WhatsApp (Linked devices → Link a device). It rotates: fetch it again after ' +
          '`expiresAt`, or follow `auth.qr` events. `?format=png` or `?format=svg` returns an image.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        querystring: QrQuery,
        response: {
          200: {
            description: 'The current QR code',
            content: {
              'application/json': { schema: dataOf(QrSchema) },
              'image/png': { schema: Type.String({ format: 'binary', description: 'PNG image (?format=png)' }) },
              'image/svg+xml': { schema: Type.String({ description: 'SVG image (?format=svg)' }) },
            },
          },
          ...errorResponses('INVALID_SESSION_ID', 'VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'ALREADY_PAIRED', 'SESSION_NOT_READY'),
        },
      },
    },
    async (request, reply) => {
      const qr = sessions.getQr(request.params.sessionId);
      reply.header('cache-control', 'no-store');
      const format = request.query.format ?? 'json';
      if (format === 'json') return reply.send({ data: qr });
      // Images bypass the JSON response schema.
      const image = reply as unknown as FastifyReply;
      if (format === 'png') {
        const png = await QRCode.toBuffer(qr.qr, { type: 'png', errorCorrectionLevel: 'L', margin: 2, width: 300 });
        return image.type('image/png').send(png);
      }
      const svg = await QRCode.toString(qr.qr, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 });
      return image.type('image/svg+xml').serializer((p: string) => p).send(svg);
    },
  );

  app.post(
    '/sessions/:sessionId/auth/pairing-code',
    {
      schema: {
        summary: 'Request a pairing code',
        description:
          'For unpaired sessions after `connect`: returns an 8-character code to type on the phone ' +
          '(Linked devices → Link with phone number). At most 3 codes per phone number every 10 minutes.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        body: PairingCodeBody,
        response: {
          200: dataOf(PairingCodeSchema, 'The code to type on the phone'),
          ...errorResponses(
            'INVALID_SESSION_ID',
            'VALIDATION_FAILED',
            'INVALID_PHONE_NUMBER',
            'FORBIDDEN',
            'SESSION_NOT_FOUND',
            'ALREADY_PAIRED',
            'SESSION_NOT_READY',
            'PAIRING_RATE_LIMITED',
            'ENGINE_ERROR',
            'TIMEOUT',
          ),
        },
      },
    },
    async (request) => {
      const info = await sessions.requestPairingCode(request.params.sessionId, request.body.phoneNumber);
      return {
        data: { code: info.code, phoneNumber: info.phoneNumber, ttlMs: info.ttlMs, createdAt: info.createdAt, expiresAt: info.expiresAt },
      };
    },
  );
}
