/**
 * Which node delivers a webhook lane: the session's owner while its lease
 * holds; for a session nobody live runs (and for deliveries tied to no
 * session) the serving node with the lowest id; nothing at all once this
 * node's own lease ran out. Notices from other nodes wake the outbox.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterDeliveryRouting } from '../../../src/core/cluster/deliveryRouting.js';
import type { NodeLease } from '../../../src/core/cluster/nodeLease.js';
import type { SessionManager } from '../../../src/core/sessions/sessionManager.js';
import type { ClusterStore, NodeRow } from '../../../src/store/types.js';

interface FakeEntry {
  lease: { nodeId: string; epoch: number } | null;
  ownerNode: string | null;
}

function routing(me: string, entries: Record<string, FakeEntry>, alive: Array<Pick<NodeRow, 'id' | 'draining'>>, leaseValid = true) {
  const wakes: string[] = [];
  const r = new ClusterDeliveryRouting({
    store: { wake: async (_channel: string, payload: string) => void wakes.push(payload) } as unknown as ClusterStore,
    sessions: { registry: { find: (id: string) => entries[id] } } as unknown as SessionManager,
    lease: { isValid: () => leaseValid, leaseMs: 6_000 } as unknown as NodeLease,
    nodeId: me,
    alive: () => alive.map((n) => ({ address: null, slot: 0, heartbeatAt: 0, ...n })),
    logger: pino({ level: 'silent' }),
  });
  return { r, wakes };
}

const ENTRIES: Record<string, FakeEntry> = {
  held: { lease: { nodeId: 'B', epoch: 3 }, ownerNode: 'B' },
  onA: { lease: null, ownerNode: 'A' },
  onDead: { lease: null, ownerNode: 'Z' },
  unowned: { lease: null, ownerNode: null },
  stray: { lease: null, ownerNode: 'B' },
};

describe('webhook delivery routing', () => {
  it('the owner delivers its sessions; the lowest-id serving node the ones nobody live runs', () => {
    const alive = [{ id: 'A', draining: false }, { id: 'B', draining: false }];
    const { r: b } = routing('B', ENTRIES, alive);
    const { r: a } = routing('A', { ...ENTRIES, held: { lease: null, ownerNode: 'B' }, stray: { lease: null, ownerNode: 'B' } }, alive);
    expect(b.mine('held')).toBe(true);
    expect(a.mine('held')).toBe(false);
    expect(b.mine('onA')).toBe(false);
    // Named for B in the database (dropped after a lapse): B's, not the leader's.
    expect(b.mine('stray')).toBe(true);
    expect(a.mine('stray')).toBe(false);
    for (const id of ['onDead', 'unowned', 'deleted', '']) {
      expect([a.mine(id), b.mine(id)]).toEqual([true, false]);
    }
  });

  it('a draining node leads nothing, and a node whose lease ran out delivers nothing', () => {
    const { r: b } = routing('B', ENTRIES, [{ id: 'A', draining: true }, { id: 'B', draining: false }]);
    expect(b.mine('unowned')).toBe(true);
    const { r: lapsed } = routing('B', ENTRIES, [{ id: 'B', draining: false }], false);
    expect(lapsed.mine('held')).toBe(false);
    expect(lapsed.mine('unowned')).toBe(false);
  });

  it('announces sessions to the other nodes once per turn, and hears only theirs', async () => {
    const { r, wakes } = routing('A', ENTRIES, [{ id: 'A', draining: false }]);
    const heard: Array<readonly string[] | null> = [];
    r.attach({ gained: () => undefined, lost: () => undefined, endpointChanged: () => undefined, waiting: (ids) => void heard.push(ids) });
    r.announce(['s1', 's2']);
    r.announce(['s2', '']);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(wakes).toEqual(['A s1,s2,']);
    r.notified('A s1');
    r.notified('B s1,');
    r.notified('B *');
    expect(heard).toEqual([['s1', ''], null]);
  });
});
