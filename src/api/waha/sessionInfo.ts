/** A core session as WAHA's session object. */
import type { SessionView } from '../../core/model.js';
import { wahaMe, wahaStatus, type WahaStatus } from '../compat-shared/wahaStatus.js';

export interface WahaSession {
  name: string;
  status: WahaStatus;
  config?: { metadata: Record<string, string> };
  me: { id: string; pushName: string } | null;
  presence: null;
  timestamps: { activity: number };
  engine: { engine: string };
}

export function wahaSession(view: SessionView): WahaSession {
  return {
    name: view.sessionId,
    status: wahaStatus(view.state),
    // Our display name travels as WAHA session metadata.
    // Absent when there is none, as WAHA's handlers leave an unset config out.
    ...(view.displayName === null ? {} : { config: { metadata: { displayName: view.displayName } } }),
    me: wahaMe(view),
    presence: null,
    timestamps: { activity: Date.parse(view.updatedAt) },
    engine: { engine: 'NOWEB' }, // WAHA's name for its Baileys-based engine
  };
}
