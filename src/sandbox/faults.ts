/**
 * Faults a test or operator can inject on a live connection, each producing
 * the disconnect a real session sees (the client's close code in brackets):
 * restart-required [515], replaced [440], unavailable [503], closed [428],
 * timeout [408], drop (ws closed without a stream error) [428], silence
 * (half-open: nothing more is sent; the client's keepalive gives up) [408].
 */
import { node } from './binary/nodes.js';
import type { SandboxConnection } from './stream/connection.js';
import type { FaultKind } from './types.js';

export function applyFault(conn: SandboxConnection, kind: FaultKind): void {
  switch (kind) {
    case 'restart-required':
      return conn.streamError(515);
    case 'replaced':
      return conn.streamError(null, node('conflict', { type: 'replaced' }));
    case 'unavailable':
      return conn.streamError(503);
    case 'closed':
      return conn.streamEnd();
    case 'timeout':
      return conn.streamError(408);
    case 'drop':
      return conn.drop();
    case 'silence':
      return conn.silence();
  }
}
