import { describe, expect, it } from 'vitest';
import { toHandOver } from '../../../src/core/cluster/spread.js';

/** Hand-overs each node would make from these counts (same snapshot for all). */
function gives(counts: Record<string, number>, total = Object.values(counts).reduce((a, b) => a + b, 0), most = 32): Record<string, number> {
  const nodes = Object.keys(counts);
  const out: Record<string, number> = {};
  for (const me of nodes) out[me] = toHandOver({ me, nodes, countOf: (id) => counts[id] ?? 0, total, most });
  return out;
}

/** Apply rounds until nobody gives: donors release, the lightest nodes claim up to ceil. */
function settle(counts: Record<string, number>, most = 32): Record<string, number> {
  const now = { ...counts };
  const total = Object.values(now).reduce((a, b) => a + b, 0);
  for (let round = 0; round < 100; round++) {
    const g = gives(now, total, most);
    if (Object.values(g).every((n) => n === 0)) return now;
    let free = 0;
    for (const [id, n] of Object.entries(g)) {
      now[id]! -= n;
      free += n;
    }
    const share = Math.ceil(total / Object.keys(now).length);
    for (const id of Object.keys(now).sort((a, b) => now[a]! - now[b]!)) {
      const take = Math.min(free, Math.max(0, share - now[id]!));
      now[id]! += take;
      free -= take;
    }
    expect(free).toBe(0);
  }
  throw new Error('no fixed point in 100 rounds');
}

describe('the even spread over nodes', () => {
  it('a lone node gives nothing; an even spread gives nothing', () => {
    expect(gives({ A: 6 })).toEqual({ A: 0 });
    expect(gives({ A: 2, B: 2, C: 2 })).toEqual({ A: 0, B: 0, C: 0 });
    expect(gives({ A: 3, B: 3, C: 2 })).toEqual({ A: 0, B: 0, C: 0 });
  });

  it('a node that joins takes a share: the fuller nodes give their excess', () => {
    expect(gives({ A: 6, B: 0 })).toEqual({ A: 3, B: 0 });
    expect(gives({ A: 3, B: 3, C: 0 })).toEqual({ A: 1, B: 1, C: 0 });
  });

  it('ends within [floor, ceil] where giving only the excess over ceil would stop short', () => {
    // 7 on 3 nodes: ceil 3, floor 2. Nobody is above ceil, yet C lacks one.
    expect(gives({ A: 3, B: 3, C: 1 })).toEqual({ A: 1, B: 0, C: 0 });
    expect(settle({ A: 3, B: 3, C: 1 })).toEqual({ A: 2, B: 3, C: 2 });
    const starts: Array<Record<string, number>> = [{ A: 7, B: 0, C: 0 }, { A: 4, B: 4, C: 0 }, { A: 10, B: 0, C: 0, D: 0 }, { A: 1000, B: 0, C: 0 }];
    for (const start of starts) {
      const end = Object.values(settle(start));
      const total = end.reduce((a, b) => a + b, 0);
      expect(Math.max(...end) - Math.min(...end), JSON.stringify(start)).toBeLessThanOrEqual(1);
      expect(end.every((n) => n >= Math.floor(total / end.length) && n <= Math.ceil(total / end.length))).toBe(true);
    }
  });

  it('gives nothing while sessions wait for a claim, and at most the pacing maximum a round', () => {
    // One session of a dead node is unclaimed: the nodes below their share take it first.
    expect(gives({ A: 4, B: 0 }, 5)).toEqual({ A: 0, B: 0 });
    expect(gives({ A: 1000, B: 0 }, 1000, 32)).toEqual({ A: 32, B: 0 });
  });
});
