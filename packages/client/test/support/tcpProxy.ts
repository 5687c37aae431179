/**
 * A loopback TCP proxy in front of the gateway that a test can break the way
 * networks break: cut every open connection, refuse new ones for a while,
 * or stall open connections (bytes stop flowing, sockets stay open).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Connections accepted and forwarded so far. */
  readonly accepted: number;
  /** Cut every open connection at once. */
  drop(): void;
  /** While true, a new connection is cut as soon as it arrives. */
  refuse(on: boolean): void;
  /** Open connections stop forwarding in both directions but stay open; new ones flow normally. */
  stall(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; stalled: boolean }>();
  let refusing = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, stalled: false };
    pairs.add(pair);
    // By hand rather than pipe(): a stalled pair must swallow bytes without pipe's flow control resuming it.
    client.on('data', (chunk) => {
      if (!pair.stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.stalled) client.write(chunk);
    });
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get accepted() {
      return accepted;
    },
    drop: () => {
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
    },
    refuse: (on) => {
      refusing = on;
    },
    stall: () => {
      for (const pair of pairs) pair.stalled = true;
    },
    close: async () => {
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
