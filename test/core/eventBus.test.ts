/** The event bus on its own: ids, fan-out, replay, persisted history, and listeners that fail. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InMemoryEventBus } from '../../src/core/eventBus.js';
import type { GatewayEvent } from '../../src/core/model.js';
import type { EventRepo, EventRow } from '../../src/store/types.js';

const silent = pino({ level: 'silent' });

function memoryRepo(): EventRepo & { rows: EventRow[]; reserved: number } {
  const rows: EventRow[] = [];
  return {
    rows,
    reserved: 0,
    async reserveIds(through) {
      this.reserved = Math.max(this.reserved, through);
    },
    async append(row) {
      rows.push({ ...row, id: rows.length + 1 });
    },
    async list(sessionId, limit) {
      return rows.filter((r) => r.sessionId === sessionId).slice(-limit);
    },
    async commit(batches) {
      for (const batch of batches) {
        for (const e of batch.events) if (e.history) rows.push({ id: e.id, sessionId: e.sessionId, type: e.type, data: e.data, createdAt: e.createdAt, seq: e.seq });
      }
    },
    async sequences() {
      const seqBySession = new Map<string, number>();
      for (const r of rows) seqBySession.set(r.sessionId, Math.max(r.seq ?? 0, seqBySession.get(r.sessionId) ?? 0));
      return { lastEventId: Math.max(this.reserved, ...rows.map((r) => r.id ?? 0)), seqBySession };
    },
    async sequenceOf(sessionId: string) {
      return Math.max(0, ...rows.filter((r) => r.sessionId === sessionId).map((r) => r.seq ?? 0));
    },
  };
}

describe('InMemoryEventBus', () => {
  it('gives every event a strictly increasing id, in the {id, type, sessionId, seq, createdAt, data} shape', () => {
    const bus = new InMemoryEventBus({ logger: silent });
    const a = bus.emit('session.created', 's1', { x: 1 });
    const b = bus.emit('connection.state', 's2', { state: 'connecting' });
    expect(b.id).toBeGreaterThan(a.id);
    expect(a).toEqual({ id: a.id, type: 'session.created', sessionId: 's1', seq: 1, createdAt: expect.any(String), data: { x: 1 } });
    expect(Number.isNaN(Date.parse(a.createdAt))).toBe(false);
  });

  it('delivers to all-session listeners and to the listeners of that session only; unsubscribe stops delivery', () => {
    const bus = new InMemoryEventBus({ logger: silent });
    const all: string[] = [];
    const s1: string[] = [];
    bus.subscribe(undefined, (e) => all.push(e.sessionId));
    const off = bus.subscribe('s1', (e) => s1.push(e.type));
    bus.emit('session.created', 's1', {});
    bus.emit('session.created', 's2', {});
    off();
    bus.emit('auth.qr', 's1', {});
    expect(all).toEqual(['s1', 's2', 's1']);
    expect(s1).toEqual(['session.created']);
    expect(bus.listenerCount()).toBe(1);
  });

  it('a listener that throws is logged with the session id and does not stop the others', () => {
    const lines: Array<{ msg: string; sessionId?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(JSON.parse(chunk.toString()) as { msg: string; sessionId?: string });
        done();
      },
    });
    const bus = new InMemoryEventBus({ logger: pino(sink) });
    const got: number[] = [];
    bus.subscribe('s1', () => {
      throw new Error('listener bug');
    });
    bus.subscribe('s1', (e) => got.push(e.id));
    const event = bus.emit('auth.qr', 's1', {});
    expect(got).toEqual([event.id]);
    expect(lines).toEqual([expect.objectContaining({ msg: 'event listener failed', sessionId: 's1' })]);
  });

  it('replays buffered events after an id, for one session or all, and forgets beyond its bound', () => {
    const bus = new InMemoryEventBus({ logger: silent, bufferSize: 3 });
    const ids = ['a', 'b', 'a', 'a'].map((s) => bus.emit('auth.qr', s, {}).id);
    expect(bus.replay(undefined, ids[0]!).map((e) => e.id)).toEqual(ids.slice(1));
    expect(bus.replay('a', ids[1]!).map((e) => e.id)).toEqual([ids[2], ids[3]]);
    // Bound of 3: the first event is gone.
    expect(bus.replay(undefined, 0).map((e) => e.id)).toEqual(ids.slice(1));
  });

  it('persists the life of a session but not rotating QR codes, and reads history back in order', async () => {
    const repo = memoryRepo();
    const bus = new InMemoryEventBus({ logger: silent, repo });
    bus.emit('session.created', 's1', { n: 1 });
    bus.emit('auth.qr', 's1', { qr: 'secret' });
    bus.emit('connection.state', 's1', { state: 'qr' });
    await bus.flush();
    expect(repo.rows.map((r) => r.type)).toEqual(['session.created', 'connection.state']);
    const history: GatewayEvent[] = await bus.history('s1', 10);
    expect(history.map((e) => [e.type, e.data])).toEqual([
      ['session.created', { n: 1 }],
      ['connection.state', { state: 'qr' }],
    ]);
  });

  it('a failing write is logged, never thrown, and fails only its own event: the others of the group still land', async () => {
    const repo = memoryRepo();
    // The store refuses any write holding the session.created event (e.g. a constraint), whatever else is with it.
    const flaky: EventRepo = {
      ...repo,
      commit: async (batches) => {
        if (batches.some((b) => b.events.some((e) => e.type === 'session.created'))) throw new Error('constraint failed');
        return repo.commit(batches);
      },
    };
    const bus = new InMemoryEventBus({ logger: silent, repo: flaky });
    bus.emit('session.created', 's1', {});
    bus.emit('connection.state', 's1', { state: 'connecting' });
    await bus.flush();
    expect(repo.rows.map((r) => r.type)).toEqual(['connection.state']);
  });

  it('numbers each session\'s durable events 1, 2, 3 …; a QR carries the seq before it; history ids are the bus ids', async () => {
    const repo = memoryRepo();
    const bus = new InMemoryEventBus({ logger: silent, repo });
    const a = bus.emit('session.created', 's1', {});
    const qr = bus.emit('auth.qr', 's1', {});
    const b = bus.emit('connection.state', 's1', { state: 'qr' });
    const other = bus.emit('session.created', 's2', {});
    expect([a.seq, qr.seq, b.seq, other.seq]).toEqual([1, 1, 2, 1]);
    await bus.flush();
    expect((await bus.history('s1', 10)).map((e) => [e.id, e.seq])).toEqual([
      [a.id, 1],
      [b.id, 2],
    ]);
  });

  it('continues ids and seqs after a restart from what was committed', async () => {
    const repo = memoryRepo();
    const first = new InMemoryEventBus({ logger: silent, repo });
    first.emit('session.created', 's1', {});
    const last = first.emit('connection.state', 's1', {});
    await first.flush();
    const second = new InMemoryEventBus({ logger: silent, repo });
    await second.init();
    const next = second.emit('connection.state', 's1', {});
    expect(next.seq).toBe(3);
    expect(next.id).toBeGreaterThan(last.id);
  });

  it('hands out ids from blocks reserved in the store: a restart never reuses one, not even a QR\'s that was never stored', async () => {
    const repo = memoryRepo();
    const first = new InMemoryEventBus({ logger: silent, repo, idBlock: 10 });
    await first.init();
    expect(repo.reserved).toBe(10);
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push(first.emit('auth.qr', 's1', {}).id);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    await first.flush();
    await new Promise((r) => setTimeout(r, 0));
    // Half a block before its end, the next one was reserved.
    expect(repo.reserved).toBeGreaterThanOrEqual(seen.at(-1)!);
    expect(repo.rows).toEqual([]);
    const second = new InMemoryEventBus({ logger: silent, repo, idBlock: 10 });
    await second.init();
    expect(second.emit('session.created', 's1', {}).id).toBeGreaterThan(Math.max(...seen));
  });

  it('knows whether a resume misses events: ids before this process or dropped from the buffer are not covered', async () => {
    const repo = memoryRepo();
    repo.reserved = 100;
    const bus = new InMemoryEventBus({ logger: silent, repo, bufferSize: 2 });
    await bus.init();
    const ids = [1, 2, 3].map(() => bus.emit('auth.qr', 's1', {}).id);
    expect(ids[0]).toBe(101);
    expect(bus.covers(100)).toBe(false); // the event 101 was dropped from the buffer
    expect(bus.covers(101)).toBe(true);
    expect(bus.covers(103)).toBe(true);
    expect(bus.covers(50)).toBe(false); // before this process
    expect(bus.covers(104)).toBe(false); // not handed out yet
    expect(bus.position('s1')).toEqual({ id: 103, seq: 0 });
  });

  it('resumes from the shared feed (cluster mode): events it never saw, its own unpublished ones, each once, in id order', async () => {
    const bus = new InMemoryEventBus({ logger: silent });
    bus.useIdSlot(1, 64);
    const remote = (id: number, sessionId: string): GatewayEvent => ({ id, type: 'session.created', sessionId, seq: 1, createdAt: '', data: {} });
    const own = bus.emit('session.created', 's1', {});
    // Another node's events from before this node started, and one this node saw too.
    const feed = [remote(own.id - 640, 's2'), remote(own.id - 64, 's1'), own];
    const asked: Array<[number, string | undefined]> = [];
    bus.useFeed({
      async after(afterId, sessionId) {
        asked.push([afterId, sessionId]);
        return { events: feed.filter((e) => e.id > afterId && (sessionId === undefined || e.sessionId === sessionId)), more: false };
      },
      gone: (afterId) => afterId < 10,
    });
    const later = bus.emit('connection.state', 's1', { state: 'connecting' });
    const all = await bus.resume(undefined, own.id - 1000);
    expect(all.events.map((e) => e.id)).toEqual([own.id - 640, own.id - 64, own.id, later.id]);
    expect(all.missed).toBe(false);
    const one = await bus.resume('s1', own.id - 1000);
    expect(one.events.map((e) => e.id)).toEqual([own.id - 64, own.id, later.id]);
    expect(asked).toEqual([[own.id - 1000, undefined], [own.id - 1000, 's1']]);
    expect((await bus.resume(undefined, 5)).missed).toBe(true);
  });

  it('without a feed, resume is the buffer, flagged when it no longer covers the id', async () => {
    const bus = new InMemoryEventBus({ logger: silent });
    const a = bus.emit('session.created', 's1', {});
    const b = bus.emit('session.created', 's2', {});
    expect(await bus.resume(undefined, a.id)).toEqual({ events: [b], missed: false });
    expect((await bus.resume(undefined, a.id - 100)).missed).toBe(true);
  });
});
