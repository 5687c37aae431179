/** A core session as Wawp's instance info (WAHA's session object plus `instance_id`). */
import type { SessionView } from '../../core/model.js';
import { wahaMe, wahaStatus } from '../compat-shared/wahaStatus.js';

export function wawpInstance(view: SessionView, qrDataUrl: string | null = null): Record<string, unknown> {
  return {
    instance_id: view.sessionId,
    name: view.displayName ?? view.sessionId,
    status: wahaStatus(view.state),
    config: { webhooks: {}, proxy: null },
    me: wahaMe(view),
    qr: qrDataUrl,
  };
}
