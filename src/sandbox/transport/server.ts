/**
 * The sandbox's listening socket: an HTTP server (room for a control API
 * later) with the WhatsApp websocket endpoint at /ws/chat.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export const WS_PATH = '/ws/chat';

export class TransportServer {
  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async listen(host: string, port: number, onSocket: (ws: WebSocket) => void): Promise<TransportServer> {
    const http = createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    const wss = new WebSocketServer({ server: http, path: WS_PATH, perMessageDeflate: false });
    wss.on('connection', (ws) => onSocket(ws));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const address = http.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new TransportServer(http, wss, `ws://${hostPart}:${address.port}${WS_PATH}`);
  }

  /** Stops accepting, terminates every socket, closes the port. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
