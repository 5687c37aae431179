/**
 * The sandbox's listening socket: an HTTP server (the media host and any
 * other plain HTTP routes via `onRequest`) with the WhatsApp websocket
 * endpoint at /ws/chat.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME } from './framing.js';

export const WS_PATH = '/ws/chat';

/**
 * Load mode: room in the kernel's accept queue for a burst of simultaneous
 * connects (Node's default is 511; Linux caps it at net.core.somaxconn).
 */
const LOAD_BACKLOG = 4096;
/** Load mode: the largest ws message a client needs, one maximal frame plus the intro header and a routing block (ws's default is 100 MiB). */
const LOAD_MAX_PAYLOAD = MAX_FRAME + 3 + 1024;

export interface TransportOptions {
  load?: boolean;
  /** Plain HTTP requests; return false to let the server answer 404. */
  onRequest?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export class TransportServer {
  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
    /** `host:port` of the listening socket (what media URLs carry). */
    readonly hostPort: string,
  ) {}

  static async listen(host: string, port: number, onSocket: (ws: WebSocket) => void, opts: TransportOptions = {}): Promise<TransportServer> {
    const http = createServer((req, res) => {
      if (opts.onRequest?.(req, res)) return;
      res.statusCode = 404;
      res.end();
    });
    // Per-message deflate stays off in both modes: declined when a client offers it (a zlib context per socket).
    const wss = new WebSocketServer({
      server: http,
      path: WS_PATH,
      perMessageDeflate: false,
      ...(opts.load ? { maxPayload: LOAD_MAX_PAYLOAD } : {}),
    });
    wss.on('connection', (ws) => onSocket(ws));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      const listening = () => {
        http.off('error', reject);
        resolve();
      };
      if (opts.load) http.listen({ port, host, backlog: LOAD_BACKLOG }, listening);
      else http.listen(port, host, listening);
    });
    const address = http.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new TransportServer(http, wss, `ws://${hostPart}:${address.port}${WS_PATH}`, `${hostPart}:${address.port}`);
  }

  /** Stops accepting, terminates every socket, closes the port. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
