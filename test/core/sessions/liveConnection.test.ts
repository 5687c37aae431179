/**
 * LiveConnections.ready in cluster mode, around a hand-over: a send that
 * arrives while this node closes the session's connection for another node
 * waits, and ends as SESSION_MOVED (which the forwarding node retries at the
 * new owner), not as "the session is connected, not connected".
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InMemoryEventBus } from '../../../src/core/eventBus.js';
import { LiveConnections } from '../../../src/core/sessions/liveConnection.js';
import { newSessionEntry } from '../../../src/core/sessions/sessionEntry.js';
import { SessionRegistry } from '../../../src/core/sessions/sessionRegistry.js';
import { freshSessionRow } from '../../../src/core/sessions/sessionRow.js';

const logger = pino({ level: 'silent' });

function handingOver(clustered: boolean) {
  const registry = new SessionRegistry();
  const events = new InMemoryEventBus({ logger });
  const row = { ...freshSessionRow('s1', { displayName: null, deviceBrowser: 'Chrome' }), meJid: '15550001111:1@s.whatsapp.net', state: 'connected' as const, wantConnected: true };
  const entry = newSessionEntry(row);
  // Held here, its connection already closed for the hand-over, the row not yet changed.
  entry.lease = clustered ? { nodeId: 'B', epoch: 3 } : null;
  registry.add(entry);
  return { entry, events, live: new LiveConnections(registry, events, logger, clustered) };
}

describe('LiveConnections.ready during a hand-over', () => {
  it('waits while the session is handed over, then answers SESSION_MOVED with Retry-After', async () => {
    const { entry, events, live } = handingOver(true);
    const answer = live.ready('s1', 'send a message', 5_000).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The hand-over ends: inactive, released; the new owner's first event reaches this node.
    entry.row.state = 'inactive';
    entry.lease = null;
    events.emit('connection.state', 's1', { state: 'connecting' });
    expect(await answer).toMatchObject({ code: 'SESSION_MOVED', status: 503, retryAfterSeconds: 1 });
  });

  it('on one node the same moment is a wait for the connection, then the usual not-ready answer', async () => {
    const { live } = handingOver(false);
    await expect(live.ready('s1', 'send a message', 100)).rejects.toMatchObject({ code: 'SESSION_NOT_READY' });
  });
});

describe('LiveConnections.ready on a node that does not hold the session', () => {
  it('answers SESSION_MOVED at once (a forwarded request that arrived after the hand-over)', async () => {
    const { entry, live } = handingOver(true);
    entry.row.state = 'inactive';
    entry.lease = null;
    await expect(live.ready('s1', 'send a message', 5_000)).rejects.toMatchObject({ code: 'SESSION_MOVED', status: 503 });
  });
});
