import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { corkWrites } from '../../src/engine/baileys/corkedWrites.js';

/** A loopback TCP pair: what the client writes, the server side reads. */
async function tcpPair(): Promise<{ client: Socket; received: Buffer[]; close(): void }> {
  const received: Buffer[] = [];
  const server = createServer((s) => s.on('data', (d: Buffer) => received.push(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  return { client, received, close: () => (client.destroy(), server.close()) };
}

/** The shape corkWrites wraps: Baileys' WebSocketClient holding a `ws` WebSocket whose `_socket` is the TCP socket. */
function fakeClient(tcp: Socket | null) {
  const sent: unknown[] = [];
  const ws = {
    _socket: tcp,
    send(data: Buffer, cb?: (err?: Error | null) => void) {
      sent.push(data);
      tcp?.write(data, cb);
    },
  };
  return { client: { socket: ws }, ws, sent };
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('corkWrites', () => {
  it('writes the frames of one run of microtasks in one chunk, in order, and calls every callback', async () => {
    const pair = await tcpPair();
    cleanup = pair.close;
    const { client, ws } = fakeClient(pair.client);
    corkWrites(client);
    const done: number[] = [];
    await Promise.resolve();
    for (let i = 0; i < 5; i++) ws.send(Buffer.from(`f${i};`), () => done.push(i));
    expect(pair.client.writableCorked).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pair.client.writableCorked).toBe(0);
    expect(Buffer.concat(pair.received).toString()).toBe('f0;f1;f2;f3;f4;');
    expect(pair.received).toHaveLength(1);
    expect(done).toEqual([0, 1, 2, 3, 4]);
  });

  it('uncorks between runs: a later frame is not held', async () => {
    const pair = await tcpPair();
    cleanup = pair.close;
    const { client, ws } = fakeClient(pair.client);
    corkWrites(client);
    ws.send(Buffer.from('a'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(pair.client.writableCorked).toBe(0);
    ws.send(Buffer.from('b'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(pair.received).toString()).toBe('ab');
  });

  it('passes frames straight through while there is no TCP socket yet (connecting), and leaves a client without a ws alone', () => {
    const { client, ws, sent } = fakeClient(null);
    corkWrites(client);
    ws.send(Buffer.from('x'));
    expect(sent).toHaveLength(1);
    expect(() => corkWrites({})).not.toThrow();
  });
});
