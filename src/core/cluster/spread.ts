/**
 * How evenly sessions spread over the serving nodes: every node within
 * [floor, ceil] of total / nodes. A pure rule, so every node reaches the
 * same answer from the same counts.
 */

export interface SpreadView {
  /** This node. */
  me: string;
  /** Serving nodes (alive, not draining), this one included. */
  nodes: string[];
  /** Sessions that want a connection, per owner. */
  countOf(nodeId: string): number;
  /** Sessions that want a connection, owned or not. */
  total: number;
  /** Most handed over in one round (the pacing maximum). */
  most: number;
}

/** What a node below its share claims from the sessions nobody holds: up to ceil. */
export function shareOf(total: number, nodes: number): number {
  return nodes > 0 ? Math.ceil(total / nodes) : 0;
}

/**
 * How many sessions this node hands over now. Above ceil while another node
 * is two or more below it: the excess. At ceil while a node is below floor
 * and none is above ceil: one, from the first of the fullest nodes only (so
 * they do not all give at once). Nothing while sessions wait for a claim
 * (the nodes below their share take those first), never more than the
 * lightest node lacks, and at most `most` a round, so the receiver
 * reconnects them a few at a time.
 */
export function toHandOver(view: SpreadView): number {
  const { me, nodes, countOf, total } = view;
  const others = nodes.filter((n) => n !== me);
  if (others.length === 0) return 0;
  if (nodes.reduce((n, id) => n + countOf(id), 0) < total) return 0;
  const share = shareOf(total, nodes.length);
  const mine = countOf(me);
  const lightest = Math.min(...others.map(countOf));
  if (mine - lightest < 2) return 0;
  let give = mine - share;
  if (give <= 0) {
    const fullest = nodes.filter((n) => countOf(n) === mine).sort()[0];
    if (fullest !== me || nodes.some((n) => countOf(n) > share)) return 0;
    give = 1;
  }
  return Math.max(0, Math.min(give, share - lightest, view.most));
}
