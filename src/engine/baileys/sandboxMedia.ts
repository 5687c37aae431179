/**
 * Sandbox mode only: media to and from the simulated network's media host.
 * Baileys always builds `https://<media_conn host>/…` URLs (uploads through
 * Node's https with `fetchAgent`, downloads through fetch with a
 * `dispatcher`). The sandbox serves plain HTTP on loopback, so these two
 * dial loopback hosts without TLS; any other host keeps full TLS, so real
 * WhatsApp media is never downgraded even if one of them leaks into
 * production.
 */
import { Agent as HttpsAgent } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent as UndiciAgent, buildConnector } from 'undici';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const isLoopback = (host: string | undefined | null): boolean => LOOPBACK.has(host ?? '');

/** Upload agent (Baileys' `fetchAgent`): plain TCP to a loopback media host, TLS elsewhere. */
export class SandboxMediaAgent extends HttpsAgent {
  override createConnection(options: { host?: string | null; port?: number | null }, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    if (!isLoopback(options.host)) {
      return (HttpsAgent.prototype as unknown as { createConnection: (o: unknown, cb?: unknown) => Duplex }).createConnection.call(this, options, callback);
    }
    const host = options.host === '[::1]' ? '::1' : options.host!;
    return netConnect({ host, port: options.port ?? 443 });
  }
}

/** Download dispatcher (fetch's `dispatcher`, Baileys' download `options.dispatcher`): plain TCP to loopback, TLS elsewhere. */
export function sandboxMediaDispatcher(): UndiciAgent {
  const tls = buildConnector({});
  return new UndiciAgent({
    connect: (opts, callback) => {
      if (!isLoopback(opts.hostname)) return tls(opts, callback);
      const socket: Socket = netConnect({ host: opts.hostname === '[::1]' ? '::1' : opts.hostname, port: Number(opts.port) || 443 });
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (err) => callback(err, null));
      return socket;
    },
  });
}
