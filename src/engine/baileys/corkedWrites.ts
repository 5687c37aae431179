/**
 * One socket write per burst of frames instead of one per frame.
 *
 * Baileys writes every stanza (a message, each ack and receipt it answers)
 * with its own `ws.send`, which is one `write` syscall on the TCP socket. A
 * send makes several such frames, many in the same run of microtasks (the
 * acks of the frames one read delivered), and those syscalls were ~7 % of
 * the gateway's CPU per send. Here the first frame of a run corks the
 * socket and the run's end (`process.nextTick`, which Node runs once the
 * current microtasks are done) uncorks it: the frames leave in one
 * `writev`, in the order they were sent, within the same turn.
 *
 * Wrapped on the `ws` WebSocket that Baileys' WebSocketClient holds (it
 * looks `send` up there on every frame; Baileys' own `send` reference is
 * bound when the socket is made, so wrapping the client would miss it).
 */
import type { Socket } from 'node:net';

type Send = (...args: unknown[]) => void;

/** The TCP socket under a `ws` WebSocket (`_socket`, set once connected), when it can be written. */
function tcpOf(ws: { _socket?: unknown }): Socket | null {
  const raw = ws._socket as Partial<Socket> | undefined;
  return raw && typeof raw.cork === 'function' && typeof raw.uncork === 'function' && raw.writable ? (raw as Socket) : null;
}

/**
 * Make the WebSocket under Baileys' `client` (its `sock.ws`) batch the frames
 * of one run of microtasks into one write. A client without one (not a
 * `ws` socket) is left as it is.
 */
export function corkWrites(client: object): void {
  const ws = (client as { socket?: { send?: unknown; _socket?: unknown } | null }).socket;
  if (!ws || typeof ws.send !== 'function') return;
  const send = (ws.send as Send).bind(ws);
  let corked: Socket | null = null;
  ws.send = ((...args: unknown[]) => {
    const tcp = corked ? null : tcpOf(ws);
    if (tcp) {
      corked = tcp;
      tcp.cork();
      process.nextTick(() => {
        corked = null;
        // On a socket destroyed meanwhile this is a no-op.
        tcp.uncork();
      });
    }
    send(...args);
  }) satisfies Send;
}
