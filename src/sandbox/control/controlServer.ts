/**
 * The standalone sandbox's control API: plain JSON over HTTP on its own port,
 * so a developer (or a test) plays the phones of a sandbox that runs as its
 * own process. It mirrors the gateway's `/sandbox` routes (src/api/sandbox)
 * without the gateway: no API keys (bind it to loopback), and connections
 * are named by their Noise key instead of a session id.
 *
 *   GET    /health                                  network URL, counts
 *   GET    /trust                                   root key + serial the engine must trust
 *   GET    /phones                 POST /phones {phoneNumber, name?}
 *   GET    /phones/:n/devices      DELETE /phones/:n/devices/:id
 *   POST   /phones/:n/scan {qr}    POST /phones/:n/link-code {code}
 *   GET    /phones/:n/messages     GET /phones/:n/messages/:id/media (the decrypted file)
 *   GET    /stats/logins                            concurrent logins per device and 440s sent (must stay 0)
 *   GET    /connections            POST /connections/:noiseKey/fault {kind}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SandboxError } from '../errors.js';
import type { SandboxNetwork } from '../network.js';
import { FAULT_KINDS, type FaultKind } from '../types.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status of each sandbox error code. */
const STATUS: Record<string, number> = {
  INVALID_QR: 400,
  QR_EXPIRED: 400,
  NO_SUCH_CONNECTION: 409,
  NO_PENDING_CODE: 400,
  WRONG_CODE: 400,
  PHONE_EXISTS: 409,
  NO_SUCH_PHONE: 404,
  INVALID_PHONE_NUMBER: 400,
  PAIRING_REFUSED: 400,
  PAIRING_TIMEOUT: 504,
  PAIRING_BUSY: 429,
  STOPPED: 503,
  NO_SUCH_MESSAGE: 404,
  NO_MEDIA: 404,
  INVALID_MEDIA: 400,
  MEDIA_UNAVAILABLE: 410,
};

const MAX_BODY = 64 * 1024;

/** `+1 555-000 1111` → `15550001111` (the sandbox then checks it is E.164 digits). */
const phoneOf = (raw: string): string => decodeURIComponent(raw).replace(/[\s()+-]/g, '');

type Handler = (params: string[], body: Record<string, unknown>) => Promise<unknown> | unknown;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  status?: number;
}

export class ControlServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async listen(network: SandboxNetwork, host: string, port: number, logger: Logger): Promise<ControlServer> {
    const routes = controlRoutes(network);
    const server = createServer((req, res) => {
      handle(routes, req, res).catch((err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'control request failed');
        if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new ControlServer(server, `http://${hostPart}:${address.port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function controlRoutes(network: SandboxNetwork): Route[] {
  const known = (raw: string): string => {
    const phone = phoneOf(raw);
    if (!network.phone(phone)) throw new HttpError(404, 'NO_SUCH_PHONE', `no simulated phone +${phone}`);
    return phone;
  };
  const text = (body: Record<string, unknown>, key: string): string => {
    const value = body[key];
    if (typeof value !== 'string' || value.length === 0) throw new HttpError(400, 'BAD_REQUEST', `body.${key} must be a non-empty string`);
    return value;
  };
  return [
    {
      method: 'GET',
      pattern: /^\/health$/,
      handler: () => ({ status: 'ok', url: network.url, phones: network.listPhones().length, connections: network.connections().length }),
    },
    {
      method: 'GET',
      pattern: /^\/trust$/,
      handler: () => ({ rootPublicKey: Buffer.from(network.rootPublicKey).toString('base64'), rootSerial: network.rootSerial }),
    },
    { method: 'GET', pattern: /^\/phones$/, handler: () => network.listPhones() },
    { method: 'GET', pattern: /^\/stats\/logins$/, handler: () => network.loginStats() },
    {
      method: 'POST',
      pattern: /^\/phones$/,
      status: 201,
      handler: (_p, body) => {
        const name = body.name;
        if (name !== undefined && typeof name !== 'string') throw new HttpError(400, 'BAD_REQUEST', 'body.name must be a string');
        return network.createPhone(phoneOf(text(body, 'phoneNumber')), name);
      },
    },
    { method: 'GET', pattern: /^\/phones\/([^/]+)\/devices$/, handler: ([n]) => network.devices(known(n!)) },
    {
      method: 'DELETE',
      pattern: /^\/phones\/([^/]+)\/devices\/(\d+)$/,
      handler: ([n, id]) => {
        const phone = known(n!);
        if (!network.removeDevice(phone, Number(id))) throw new HttpError(404, 'NO_SUCH_DEVICE', `+${phone} has no linked device ${id}`);
        return { phoneNumber: phone, deviceId: Number(id), removed: true };
      },
    },
    {
      method: 'POST',
      pattern: /^\/phones\/([^/]+)\/scan$/,
      handler: ([n], body) => network.scan(phoneOf(n!), text(body, 'qr')),
    },
    {
      method: 'POST',
      pattern: /^\/phones\/([^/]+)\/link-code$/,
      handler: ([n], body) => network.enterCode(phoneOf(n!), text(body, 'code')),
    },
    { method: 'GET', pattern: /^\/phones\/([^/]+)\/messages$/, handler: ([n]) => network.messages(known(n!)) },
    {
      method: 'GET',
      pattern: /^\/phones\/([^/]+)\/messages\/([^/]+)\/media$/,
      handler: ([n, id]) => network.receivedMedia(known(n!), decodeURIComponent(id!)),
    },
    { method: 'GET', pattern: /^\/connections$/, handler: () => network.connections() },
    {
      method: 'POST',
      pattern: /^\/connections\/([^/]+)\/fault$/,
      handler: ([key], body) => {
        const kind = text(body, 'kind');
        if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new HttpError(400, 'BAD_REQUEST', `kind must be one of ${FAULT_KINDS.join(', ')}`);
        const noiseKey = decodeURIComponent(key!);
        if (!network.fault(noiseKey, kind as FaultKind)) throw new HttpError(404, 'NO_SUCH_CONNECTION', 'no live connection with this noise key');
        return { noiseKey, kind, injected: true };
      },
    },
  ];
}

async function handle(routes: Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://control').pathname.replace(/\/+$/, '') || '/';
  const matching = routes.filter((r) => r.pattern.test(path));
  const route = matching.find((r) => r.method === req.method);
  if (!route) {
    req.resume();
    if (matching.length) return send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `use ${matching.map((r) => r.method).join(' or ')}` } });
    return send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${path}` } });
  }
  try {
    const body = req.method === 'POST' ? await readJson(req) : (req.resume(), {});
    const params = route.pattern.exec(path)!.slice(1);
    const result = await route.handler(params, body);
    if (Buffer.isBuffer(result)) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(result.length) }).end(result);
      return;
    }
    send(res, route.status ?? 200, { data: result });
  } catch (err) {
    if (err instanceof HttpError) return send(res, err.status, { error: { code: err.code, message: err.message } });
    if (err instanceof SandboxError) return send(res, STATUS[err.code] ?? 400, { error: { code: err.code, message: err.message } });
    throw err;
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'TOO_LARGE', `the body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'BAD_REQUEST', 'the body must be a JSON object');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
