/**
 * What the webhook outbox needs from the cluster (PostgreSQL, many nodes):
 * which lanes this node delivers, a claim on a delivery before each attempt,
 * and word of what changed elsewhere. SQLite (one node) has none of it and
 * delivers everything itself, as it always did.
 *
 * The contract is at-least-once: exactly one node sends a delivery at a
 * time (the claim), and only the claim holder records its result, so a
 * healthy cluster sends each (event, endpoint) once. A node that lost its
 * lease (paused, cut off) while a request was in flight may see that
 * request complete after another node sent the delivery again.
 */
export interface DeliveryRouting {
  readonly nodeId: string;
  /** How often to look for pending deliveries this node should deliver (the safety net behind the notices). */
  readonly scanMs: number;
  /** This node delivers the lanes of this session now ('' = deliveries tied to no session). */
  mine(sessionId: string): boolean;
  /** Claim one pending delivery for one attempt; false when another live node holds it or it is not pending. */
  claim(eventId: number, endpointId: string): Promise<boolean>;
  /** Deliveries were committed here for sessions another node delivers: wake that node. */
  announce(sessionIds: readonly string[]): void;
  /** The outbox listens (once). */
  attach(listener: DeliveryListener): void;
}

export interface DeliveryListener {
  /** This node took these sessions: deliver their pending lanes. */
  gained(sessionIds: readonly string[]): void;
  /** This node let these sessions go: stop their lanes. */
  lost(sessionIds: readonly string[]): void;
  /** Another node committed deliveries for these sessions (null: any, or notices may have been missed). */
  waiting(sessionIds: readonly string[] | null): void;
  /** An endpoint changed on some node (null: any, or notices may have been missed). */
  endpointChanged(id: string | null): void;
}
